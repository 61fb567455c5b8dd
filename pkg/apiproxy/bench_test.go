package apiproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchBackend answers like an API server on loopback: a small object, or a
// list of 500 ConfigMaps (about 150 KiB of JSON).
func benchBackend(b *testing.B) *httptest.Server {
	var list strings.Builder
	list.WriteString(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[`)
	for i := range 500 {
		if i > 0 {
			list.WriteString(",")
		}
		fmt.Fprintf(&list, `{"metadata":{"name":"cm-%03d","namespace":"bench","uid":"6f1c2a4e-0000-4000-8000-%012d","resourceVersion":"%d","labels":{"app":"bench"}},"data":{"key":"value-%03d-abcdefghijklmnopqrstuvwxyz"}}`, i, i, i, i)
	}
	list.WriteString("]}")
	small := `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-000","namespace":"bench"},"data":{"key":"value"}}`
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/configmaps") {
			_, _ = io.WriteString(w, list.String())
			return
		}
		_, _ = io.WriteString(w, small)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return srv
}

func benchProxy(b *testing.B, path string, direct bool) {
	backend := benchBackend(b)
	iss := newTestIssuer(b)
	dir := b.TempDir()
	ca := writeFile(b, dir, "ca.crt", string(certPEMOf(backend)))
	tok := writeFile(b, dir, "token", "impersonator")
	opts := DefaultOptions()
	opts.AuthenticationConfig = writeFile(b, dir, "authn.yaml", authConfigYAML(iss, "kubectl"))
	opts.ClustersConfig = writeFile(b, dir, "clusters.yaml", fmt.Sprintf(
		"apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n- name: c\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n", backend.URL, ca, tok))
	p, err := New(b.Context(), opts, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, "discovery", p.authn.HealthCheck)
	front := httptest.NewUnstartedServer(p)
	front.EnableHTTP2 = true
	front.StartTLS()
	b.Cleanup(front.Close)
	url, client := front.URL+"/c"+path, front.Client()
	if direct {
		url, client = backend.URL+path, backend.Client()
	}
	token := iss.sign(b, iss.claims("alice@example.com", "kubectl", "dev"))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func certPEMOf(s *httptest.Server) []byte { return []byte(certPEM(s)) }

// BenchmarkProxyGet and BenchmarkProxyList compare a request through the
// proxy (token cache warm, impersonation, TLS on both legs) with the same
// request straight to the backend, on loopback.
func BenchmarkProxyGet(b *testing.B) {
	b.Run("direct", func(b *testing.B) { benchProxy(b, "/api/v1/namespaces/bench/configmaps/cm-000", true) })
	b.Run("proxy", func(b *testing.B) { benchProxy(b, "/api/v1/namespaces/bench/configmaps/cm-000", false) })
}

func BenchmarkProxyList(b *testing.B) {
	b.Run("direct", func(b *testing.B) { benchProxy(b, "/api/v1/namespaces/bench/configmaps", true) })
	b.Run("proxy", func(b *testing.B) { benchProxy(b, "/api/v1/namespaces/bench/configmaps", false) })
}
