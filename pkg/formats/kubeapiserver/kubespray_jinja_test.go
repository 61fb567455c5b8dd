package kubeapiserver

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandKubesprayVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]any
		want map[string]any // the variables checked, after expansion
		err  string
	}{{
		// kubespray's sample inventory: kube_cert_dir from the role defaults.
		name: "sample CA file",
		vars: map[string]any{"kube_oidc_ca_file": "{{ kube_cert_dir }}/ca.pem"},
		want: map[string]any{"kube_oidc_ca_file": "/etc/kubernetes/ssl/ca.pem"},
	}, {
		name: "the file's own variable wins over the role default",
		vars: map[string]any{"kube_oidc_ca_file": "{{kube_cert_dir}}/dex.pem", "kube_cert_dir": "{{ kube_config_dir }}/pki", "kube_config_dir": "/srv/k8s"},
		want: map[string]any{"kube_oidc_ca_file": "/srv/k8s/pki/dex.pem", "kube_cert_dir": "{{ kube_config_dir }}/pki"},
	}, {
		name: "a lone reference keeps its type",
		vars: map[string]any{"kube_oidc_auth": "{{ use_oidc }}", "use_oidc": true, "kube_oidc_url": "https://{{ dex_host }}/dex", "dex_host": "dex.example.com"},
		want: map[string]any{"kube_oidc_auth": true, "kube_oidc_url": "https://dex.example.com/dex"},
	}, {
		name: "inside the structured authenticators",
		vars: map[string]any{"kube_apiserver_authentication_config_jwt": []any{map[string]any{"issuer": map[string]any{"url": "{{ kube_oidc_url }}"}}}, "kube_oidc_url": "https://dex.example.com"},
		want: map[string]any{"kube_apiserver_authentication_config_jwt": []any{map[string]any{"issuer": map[string]any{"url": "https://dex.example.com"}}}},
	}, {
		name: "other variables are left alone",
		vars: map[string]any{"kube_apiserver_ip": "{{ kube_service_addresses | ipaddr('net') }}"},
		want: map[string]any{"kube_apiserver_ip": "{{ kube_service_addresses | ipaddr('net') }}"},
	}, {
		name: "a variable defined elsewhere",
		vars: map[string]any{"kube_oidc_url": "https://{{ dex_host }}"},
		err:  `kube_oidc_url: "https://{{ dex_host }}" is a Jinja expression authstack cannot evaluate: dex_host is not defined in this file`,
	}, {
		name: "a filter",
		vars: map[string]any{"kube_oidc_username_prefix": "{{ 'oidc:' | lower }}"},
		err:  `kube_oidc_username_prefix: "{{ 'oidc:' | lower }}" is a Jinja expression authstack cannot evaluate`,
	}, {
		name: "a statement",
		vars: map[string]any{"kube_oidc_client_id": "{% if prod %}k8s{% else %}k8s-dev{% endif %}"},
		err:  "kube_oidc_client_id: ",
	}, {
		name: "a variable that refers to itself",
		vars: map[string]any{"kube_oidc_url": "{{ a }}/x", "a": "{{ a }}"},
		err:  "levels deep",
	}, {
		name: "a list into text",
		vars: map[string]any{"kube_oidc_url": "https://{{ hosts }}", "hosts": []any{"a", "b"}},
		err:  "is a list or map",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandKubesprayVars(tc.vars)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
		})
	}
}

// The input map is not changed: the caller keeps what the file says.
func TestExpandKubesprayVarsCopies(t *testing.T) {
	vars := map[string]any{"kube_oidc_ca_file": "{{ kube_cert_dir }}/ca.pem"}
	if _, err := ExpandKubesprayVars(vars); err != nil {
		t.Fatal(err)
	}
	if vars["kube_oidc_ca_file"] != "{{ kube_cert_dir }}/ca.pem" {
		t.Errorf("input changed to %v", vars["kube_oidc_ca_file"])
	}
}
