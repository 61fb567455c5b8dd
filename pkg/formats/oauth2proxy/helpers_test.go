package oauth2proxy

import (
	"encoding/json"

	"sigs.k8s.io/yaml"
)

func yamlJSON(v any) ([]byte, error)      { return json.Marshal(v) }
func yamlUnmarshal(b []byte, v any) error { return yaml.Unmarshal(b, v) }
