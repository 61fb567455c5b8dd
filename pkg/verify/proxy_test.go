package verify

import (
	"bytes"
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With apiServer.mode proxy the user's view is asked of authstack-apiproxy,
// once per cluster under /<cluster>/, never of the API servers themselves
// (they do not know the issuer).
func TestRunAsksTheProxyForEachCluster(t *testing.T) {
	rep, seen := runThroughFakeProxy(t, "")
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	if !rep.OK() {
		t.Fatalf("report:\n%s", out.String())
	}
	for _, want := range []string{
		"✓ api server accepts token (cluster a through authstack-apiproxy): SelfSubjectReview: user oidc:alice@example.org",
		"✓ api server accepts token (cluster b through authstack-apiproxy)",
		"✓ rbac allows create deployments.apps in alice (cluster b through authstack-apiproxy)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("the proxy was asked %v, want both clusters", seen)
	}
}

// One cluster refusing the token fails its hops only: the next cluster is
// still checked.
func TestRunChecksTheOtherClustersAfterOneFails(t *testing.T) {
	rep, _ := runThroughFakeProxy(t, "a")
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	for _, want := range []string{
		"× api server accepts token (cluster a through authstack-apiproxy)",
		"× rbac (cluster a through authstack-apiproxy): not checked",
		"✓ api server accepts token (cluster b through authstack-apiproxy)",
		"✓ rbac allows create deployments.apps in alice (cluster b through authstack-apiproxy)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if rep.OK() {
		t.Error("the report is OK although cluster a refused the token")
	}
}

// runThroughFakeProxy verifies a two-cluster proxy-mode spec against a fake
// authstack-apiproxy that answers 401 for the cluster refuse ("" none).
func runThroughFakeProxy(t *testing.T, refuse string) (*Report, map[string]int) {
	t.Helper()
	dex := newFakeDex(t)
	// One fake API server stands for both clusters; the fake proxy routes
	// /a/ and /b/ to it and records what it was asked.
	api := fakeAPIServer(t, "oidc:alice@example.org", []string{"oidc:developers", "system:authenticated"}, ownerAllows)
	seen := map[string]int{}
	target, _ := url.Parse(api.URL)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			cluster, rest, _ := strings.Cut(strings.TrimPrefix(r.In.URL.Path, "/"), "/")
			seen[cluster]++
			r.Out.URL.Path = "/" + rest
		},
		Transport: api.Client().Transport,
	}
	// httptest's own certificate is for example.com (and 127.0.0.1).
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/a/") && !strings.HasPrefix(r.URL.Path, "/b/") {
			http.NotFound(w, r)
			return
		}
		if refuse != "" && strings.HasPrefix(r.URL.Path, "/"+refuse+"/") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	stack := writeStack(t, dex, nil, rbacSpec+`  apiServer:
    mode: proxy
  proxy:
    host: example.com
    tls:
      caFile: proxy-ca.crt
  clusters:
    - name: a
      server: https://a.invalid
      certificateAuthority: issuer-ca.crt
      context: a
    - name: b
      server: https://b.invalid
      certificateAuthority: issuer-ca.crt
      context: b
`)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(filepath.Dir(stack.File), "proxy-ca.crt"), caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// The proxy serves https://example.com (its certificate's name) on 443:
	// dial the test server instead.
	addr := proxy.Listener.Addr().String()
	var d net.Dialer
	dial := func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == "example.com:443" {
			a = addr
		}
		return d.DialContext(ctx, network, a)
	}
	rep, err := Run(context.Background(), Options{Stack: stack, User: "alice", Password: "wonderland", DialContext: dial})
	if err != nil {
		t.Fatal(err)
	}
	return rep, seen
}
