package kubeapiserver

import (
	"fmt"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// KubesprayJWTValue prints JWT authenticators as the value of
// kube_apiserver_authentication_config_jwt: kubespray (v2.31 and later,
// roles/kubespray_defaults/defaults/main/main.yml) writes that list as the
// jwt of the AuthenticationConfiguration file it gives the API server.
func KubesprayJWTValue(jwt ...apiserverv1.JWTAuthenticator) ([]any, error) {
	raw, err := yaml.Marshal(jwt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KubesprayJWT, err)
	}
	var out []any
	if err := yaml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", KubesprayJWT, err)
	}
	return out, nil
}

// KubesprayAuthConfig reads back the AuthenticationConfiguration kubespray
// writes from the inventory variables: its jwt is
// kube_apiserver_authentication_config_jwt. It returns the file as YAML
// too, for the API server's own validation.
func KubesprayAuthConfig(vars map[string]any) (*apiserverv1.AuthenticationConfiguration, []byte, error) {
	jwt, ok := vars[KubesprayJWT].([]any)
	if v, set := vars[KubesprayJWT]; set && v != nil && !ok {
		return nil, nil, fmt.Errorf("%s: expected a list, found %T", KubesprayJWT, v)
	}
	doc := map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": jwt}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", KubesprayJWT, err)
	}
	var cfg apiserverv1.AuthenticationConfiguration
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", KubesprayJWT, err)
	}
	return &cfg, b, nil
}
