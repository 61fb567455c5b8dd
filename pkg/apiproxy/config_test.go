package apiproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClustersConfigErrorsNameTheFileAndField(t *testing.T) {
	dir := t.TempDir()
	head := "apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"plain http", head + "clusters:\n- {name: a, server: http://10.0.0.1, certificateAuthority: /ca, tokenFile: /t}\n", "clusters[0].server"},
		{"bad name", head + "clusters:\n- {name: A_b, server: https://10.0.0.1, certificateAuthority: /ca, tokenFile: /t}\n", "clusters[0].name"},
		{"API root name", head + "clusters:\n- {name: api, server: https://10.0.0.1, certificateAuthority: /ca, tokenFile: /t}\n", "Kubernetes API path"},
		{"twice", head + "clusters:\n- {name: a, server: https://x, certificateAuthority: /ca, tokenFile: /t}\n- {name: a, server: https://y, certificateAuthority: /ca, tokenFile: /t}\n", "clusters[1].name"},
		{"no token", head + "clusters:\n- {name: a, server: https://x, certificateAuthority: /ca}\n", "clusters[0].tokenFile"},
		{"unknown field", head + "clusters:\n- {name: a, server: https://x, certificateAuthority: /ca, tokenFile: /t, insecure: true}\n", "unknown field"},
		{"wrong kind", "apiVersion: authstack.dev/v1alpha1\nkind: Clusters\nclusters: []\n", "kind"},
		{"empty", head + "clusters: []\n", "lists no cluster"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, "clusters.yaml", c.yaml)
			_, err := LoadClusters(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want it to name %s and %q", err, path, c.want)
			}
		})
	}
}

func TestAuthenticationConfigIsCheckedLikeKubeAPIServer(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, yaml, want string }{
		{"no issuer", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt: []\n", "lists no issuer"},
		{"http issuer", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: http://dex, audiences: [k]}\n  claimMappings: {username: {claim: sub, prefix: \"\"}}\n", "https"},
		{"bad CEL", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://dex, audiences: [k]}\n  claimMappings: {username: {expression: \"claims.sub +\"}}\n", "expression"},
		{"unknown field", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://dex, audiences: [k], insecure: true}\n  claimMappings: {username: {claim: sub, prefix: \"\"}}\n", "unknown field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, "authn.yaml", c.yaml)
			_, err := LoadAuthenticationConfiguration(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestProxyCredentialMustBeABearerToken(t *testing.T) {
	iss := newTestIssuer(t)
	dir := t.TempDir()
	kubeconfig := writeFile(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {client-certificate-data: "", username: admin, password: secret}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)
	opts := DefaultOptions()
	opts.AuthenticationConfig = writeFile(t, dir, "authn.yaml", authConfigYAML(iss, "kubectl"))
	opts.Kubeconfig = kubeconfig
	_, err := New(context.Background(), opts, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "bearer token") {
		t.Errorf("error %v, want a refusal of a credential that is not a bearer token", err)
	}
}

func TestReadinessNeedsTheIssuersKeys(t *testing.T) {
	iss := newTestIssuer(t)
	cfg, err := LoadAuthenticationConfiguration(writeFile(t, t.TempDir(), "authn.yaml", authConfigYAML(iss, "kubectl")))
	if err != nil {
		t.Fatal(err)
	}
	if err := fetchKeysOnce(context.Background(), cfg); err != nil {
		t.Fatalf("issuer with a key: %v", err)
	}
	empty := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keys" {
			_, _ = w.Write([]byte(`{"keys":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"jwks_uri":"` + "https://" + r.Host + `/keys"}`))
	}))
	defer empty.Close()
	cfg.JWT[0].Issuer.URL = empty.URL
	cfg.JWT[0].Issuer.CertificateAuthority = certPEM(empty)
	if err := fetchKeysOnce(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("issuer without keys: %v, want not ready", err)
	}
}
