package initspec

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Header starts every spec init writes.
const Header = `# authstack.yaml written by authstack init.
# Check it with:  authstack validate -f authstack.yaml
# Render it with: authstack render -f authstack.yaml -o out
`

// Marshal writes the spec as YAML in the field order of the types (not
// alphabetical, as sigs.k8s.io/yaml would), without empty mappings such as
// tls: {} that encoding/json keeps for struct fields.
func Marshal(s *v1alpha1.AuthStack) ([]byte, error) { return MarshalWithHeader(s, Header) }

// MarshalWithHeader is Marshal with another comment on top, for specs that
// other commands write (import). Every spec starts with
// v1alpha1.SchemaComment, above the header.
func MarshalWithHeader(s *v1alpha1.AuthStack, header string) ([]byte, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	clean(&doc)
	var b bytes.Buffer
	// The schema comment comes first so editors complete and check the
	// spec as soon as it is opened.
	b.WriteString(v1alpha1.SchemaComment)
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	return b.Bytes(), nil
}

// clean turns the JSON-shaped node tree into block style YAML and drops
// empty mappings and lists. It reports whether n is empty itself.
func clean(n *yaml.Node) bool {
	n.Style = 0
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			clean(c)
		}
		return false
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			k.Style = 0
			if clean(v) {
				continue
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
		return len(kept) == 0
	case yaml.SequenceNode:
		for _, c := range n.Content {
			clean(c)
		}
		return len(n.Content) == 0
	}
	return false
}
