package apiproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/transport"
)

// seen is what a fake API server received.
type seen struct {
	Path          string
	Authorization string
	User          string
	Groups        []string
	Impersonate   []string // every Impersonate-* header name
	XFF           string
	Header        http.Header // everything, for the attack tests
}

// fakeAPIServer records each request, answers /readyz, streams on
// ?watch=true, and switches protocols on an Upgrade request, then echoes.
type fakeAPIServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFakeAPIServer(t *testing.T) *fakeAPIServer {
	f := &fakeAPIServer{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.EnableHTTP2 = true
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPIServer) serve(w http.ResponseWriter, r *http.Request) {
	s := seen{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), User: r.Header.Get("Impersonate-User"),
		Groups: r.Header.Values("Impersonate-Group"), XFF: r.Header.Get("X-Forwarded-For"), Header: r.Header.Clone()}
	for k := range r.Header {
		if strings.HasPrefix(k, "Impersonate-") {
			s.Impersonate = append(s.Impersonate, k)
		}
	}
	if r.URL.Path != "/readyz" {
		f.mu.Lock()
		f.reqs = append(f.reqs, s)
		f.mu.Unlock()
	}
	switch {
	case r.Header.Get("Upgrade") != "":
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", r.Header.Get("Upgrade"))
		_ = brw.Flush()
		_, _ = io.Copy(conn, brw) // echo until the client or the proxy closes
	case r.URL.Query().Get("watch") == "true":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"type":"ADDED"}`)
		_ = http.NewResponseController(w).Flush()
		<-r.Context().Done()
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"kind":"PodList","items":[]}`)
	}
}

func (f *fakeAPIServer) last(t *testing.T) seen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the API server received no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeAPIServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

type harness struct {
	iss    *testIssuer
	a, b   *fakeAPIServer
	proxy  *Proxy
	srv    *httptest.Server
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func certPEM(s *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
}

// newHarness starts an issuer, two fake API servers (clusters a and b) and
// the proxy in front of them; mutate adjusts the options first.
func newHarness(t *testing.T, mutate func(*Options)) *harness {
	t.Helper()
	h := &harness{iss: newTestIssuer(t), a: newFakeAPIServer(t), b: newFakeAPIServer(t), stderr: &syncBuffer{}}
	dir := t.TempDir()
	clusters := "apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n"
	for _, c := range []struct {
		name string
		f    *fakeAPIServer
	}{{"a", h.a}, {"b", h.b}} {
		ca := writeFile(t, dir, c.name+"-ca.crt", certPEM(c.f.srv))
		tok := writeFile(t, dir, c.name+"-token", "token-"+c.name+"\n")
		clusters += fmt.Sprintf("- name: %s\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n", c.name, c.f.srv.URL, ca, tok)
	}
	opts := DefaultOptions()
	opts.AuthenticationConfig = writeFile(t, dir, "authn.yaml", authConfigYAML(h.iss, "kubectl"))
	opts.ClustersConfig = writeFile(t, dir, "clusters.yaml", clusters)
	if mutate != nil {
		mutate(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := New(ctx, opts, h.stderr)
	if err != nil {
		t.Fatal(err)
	}
	h.proxy = p
	h.srv = httptest.NewTLSServer(p)
	t.Cleanup(h.srv.Close)
	waitFor(t, "the issuer's discovery", func() error { return p.authn.HealthCheck() })
	return h
}

func waitFor(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) do(t *testing.T, method, path, token string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func TestVerifiedUserIsImpersonatedWithTheProxysOwnToken(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev", "ops"))
	code, body := h.do(t, "GET", "/a/api/v1/namespaces/team/pods", tok, nil)
	if code != 200 {
		t.Fatalf("code %d: %s", code, body)
	}
	got := h.a.last(t)
	if got.Path != "/api/v1/namespaces/team/pods" {
		t.Errorf("path %q: the /a prefix must be stripped", got.Path)
	}
	if got.Authorization != "Bearer token-a" {
		t.Errorf("Authorization %q: want the proxy's token for cluster a, never the user's", got.Authorization)
	}
	if got.User != "alice@example.com" || strings.Join(got.Groups, ",") != "dev,ops" {
		t.Errorf("impersonated %q %v, want alice@example.com [dev ops]", got.User, got.Groups)
	}
	if got.XFF != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q, want the client's address", got.XFF)
	}
	if h.b.count() != 0 {
		t.Errorf("cluster b received %d requests meant for a", h.b.count())
	}
}

func TestRoutesEachClusterToItsServerAndUnknownIs404(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl"))
	if code, body := h.do(t, "GET", "/b/apis/apps/v1/deployments", tok, nil); code != 200 {
		t.Fatalf("code %d: %s", code, body)
	}
	if got := h.b.last(t); got.Authorization != "Bearer token-b" || got.Path != "/apis/apps/v1/deployments" {
		t.Errorf("cluster b got %+v", got)
	}
	for _, path := range []string{"/c/api/v1/pods", "/api/v1/pods", "/"} {
		code, body := h.do(t, "GET", path, tok, nil)
		if code != 404 || !strings.Contains(string(body), "unknown_cluster") {
			t.Errorf("%s: code %d body %s, want a 404 Status", path, code, body)
		}
	}
	if h.a.count()+h.b.count() != 1 {
		t.Errorf("unknown clusters reached an API server")
	}
}

func TestRefusedTokensGet401WithTheReason(t *testing.T) {
	h := newHarness(t, nil)
	other := newTestIssuer(t)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	expired := h.iss.claims("alice@example.com", "kubectl")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	expired["iat"] = time.Now().Add(-2 * time.Hour).Unix()
	cases := []struct {
		name, token string
		reason      Reason
	}{
		{"no token", "", ReasonMissingToken},
		{"not a JWT", "opaque-token", ReasonMalformed},
		{"another issuer", other.sign(t, other.claims("alice@example.com", "kubectl")), ReasonUnknownIssuer},
		{"another audience", h.iss.sign(t, h.iss.claims("alice@example.com", "someone-else")), ReasonWrongAudience},
		{"expired", h.iss.sign(t, expired), ReasonExpired},
		{"forged signature", signWith(t, otherKey, "k1", h.iss.claims("alice@example.com", "kubectl")), ReasonBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.do(t, "GET", "/a/api/v1/pods", c.token, nil)
			if code != 401 {
				t.Fatalf("code %d, want 401: %s", code, body)
			}
			var st metav1.Status
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatalf("body is not a Status: %v: %s", err, body)
			}
			if st.Reason != metav1.StatusReasonUnauthorized || st.Details == nil || len(st.Details.Causes) != 1 ||
				st.Details.Causes[0].Type != metav1.CauseType(c.reason) {
				t.Errorf("status %+v, want cause %s", st, c.reason)
			}
			if c.token != "" && strings.Contains(string(body), c.token) {
				t.Errorf("the 401 body echoes the token")
			}
		})
	}
	if h.a.count() != 0 {
		t.Errorf("a refused token reached the API server")
	}
	if strings.Contains(h.stderr.String(), cases[3].token) {
		t.Errorf("a token appears in the log")
	}
}

func TestClientImpersonationAndSystemIdentitiesGet403(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, hdr := range []string{"Impersonate-User", "Impersonate-Group", "impersonate-uid", "Impersonate-Extra-Scopes"} {
		code, body := h.do(t, "GET", "/a/api/v1/pods", alice, map[string]string{hdr: "system:admin"})
		if code != 403 || !strings.Contains(string(body), string(ReasonImpersonation)) {
			t.Errorf("%s: code %d body %s, want 403", hdr, code, body)
		}
	}
	for _, c := range []map[string]any{
		h.iss.claims("system:admin", "kubectl"),
		h.iss.claims("mallory@example.com", "kubectl", "dev", "system:masters"),
	} {
		code, body := h.do(t, "GET", "/a/api/v1/pods", h.iss.sign(t, c), nil)
		if code != 403 || !strings.Contains(string(body), string(ReasonReservedName)) {
			t.Errorf("%v: code %d body %s, want 403", c["email"], code, body)
		}
	}
	if h.a.count() != 0 {
		t.Errorf("a refused request reached the API server")
	}
}

func TestNewKeyIsFetchedWhenATokenNamesAnUnknownKid(t *testing.T) {
	h := newHarness(t, nil)
	if code, _ := h.do(t, "GET", "/a/api", h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl")), nil); code != 200 {
		t.Fatalf("first token: %d", code)
	}
	h.iss.rotate(t, "k2")
	code, body := h.do(t, "GET", "/a/api", h.iss.sign(t, h.iss.claims("bob@example.com", "kubectl")), nil)
	if code != 200 {
		t.Fatalf("token signed with the rotated key: code %d %s (go-oidc refetches the JWKS on an unknown kid)", code, body)
	}
}

// countingIssuer stands for an issuer in cache tests.
type countingIssuer struct{ calls int }

func (c *countingIssuer) AuthenticateToken(context.Context, string) (*authResponse, bool, error) {
	c.calls++
	return &authResponse{User: &userInfo{name: "alice"}}, true, nil
}
func (c *countingIssuer) HealthCheck() error { return nil }

func TestVerifiedTokensAreCachedUntilExpiryByHash(t *testing.T) {
	iss := &countingIssuer{}
	now := time.Now()
	a := &Authenticator{issuers: []issuerAuthenticator{iss}, cache: newTokenCache(2), now: func() time.Time { return now }}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok := func(sub string) string {
		return signWith(t, key, "k", map[string]any{"sub": sub, "exp": now.Add(time.Minute).Unix()})
	}
	t1 := tok("1")
	for range 3 {
		if _, r := a.Authenticate(context.Background(), t1); r != "" {
			t.Fatal(r)
		}
	}
	if iss.calls != 1 {
		t.Errorf("verified %d times, want once then from the cache", iss.calls)
	}
	for _, e := range a.cache.items {
		if bytes.Contains([]byte(fmt.Sprint(e.Value)), []byte(t1)) {
			t.Error("the cache holds the raw token")
		}
	}
	a.Authenticate(context.Background(), tok("2"))
	a.Authenticate(context.Background(), tok("3"))
	if a.cache.len() != 2 {
		t.Errorf("cache holds %d entries, bound is 2", a.cache.len())
	}
	now = now.Add(2 * time.Minute) // past exp: verified again (and refused by the real verifier)
	iss.calls = 0
	a.Authenticate(context.Background(), tok("3"))
	if iss.calls != 1 {
		t.Errorf("an expired cache entry was used")
	}
}

type userInfo struct{ name string }

func (u *userInfo) GetName() string               { return u.name }
func (u *userInfo) GetUID() string                { return "" }
func (u *userInfo) GetGroups() []string           { return nil }
func (u *userInfo) GetExtra() map[string][]string { return nil }

func TestWatchStreamsAndIdleTimeoutEndsIt(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.IdleTimeout = 300 * time.Millisecond })
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl"))
	req, _ := http.NewRequest("GET", h.srv.URL+"/a/api/v1/pods?watch=true", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, "ADDED") {
		t.Fatalf("first watch event not flushed through: %q %v", line, err)
	}
	// The fake API server sends nothing more: the idle timeout must end
	// the stream (io.ReadAll returns once the proxy closes it).
	done := make(chan struct{})
	go func() { _, _ = io.ReadAll(resp.Body); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("an idle watch stayed open")
	}
	waitFor(t, "the audit line", func() error {
		if !strings.Contains(h.stderr.String(), "idle timeout") {
			return fmt.Errorf("no idle-timeout audit line in %s", h.stderr.String())
		}
		return nil
	})
}

// upgrade sends an Upgrade request over a raw TLS connection, as kubectl
// exec (SPDY/3.1) and WebSocket clients do, and returns the connection
// after the 101.
func (h *harness) upgrade(t *testing.T, path, token, protocol string) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := tls.Dial("tcp", h.srv.Listener.Addr().String(), &tls.Config{RootCAs: h.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\nUpgrade: %s\r\nContent-Length: 0\r\n\r\n", path, token, protocol)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upgrade: %s %s", resp.Status, b)
	}
	return conn, br
}

func TestUpgradedStreamsAreImpersonatedAndTimeOut(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.IdleTimeout = 500 * time.Millisecond })
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, proto := range []string{"SPDY/3.1", "websocket"} {
		t.Run(proto, func(t *testing.T) {
			conn, br := h.upgrade(t, "/b/api/v1/namespaces/team/pods/web/exec?command=sh", tok, proto)
			if got := h.b.last(t); got.User != "alice@example.com" || got.Authorization != "Bearer token-b" ||
				got.Path != "/api/v1/namespaces/team/pods/web/exec" {
				t.Errorf("upgrade reached the API server as %+v", got)
			}
			fmt.Fprint(conn, "ping\n")
			if line, err := br.ReadString('\n'); err != nil || line != "ping\n" {
				t.Fatalf("echo through the upgraded stream: %q %v", line, err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			if _, err := br.ReadByte(); err == nil {
				t.Fatal("read data from an idle stream")
			} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the proxy did not close an idle upgraded stream")
			}
		})
	}
}

func TestClientCannotSmuggleIdentityHeaders(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl"))
	code, _ := h.do(t, "GET", "/a/api", tok, map[string]string{"X-Remote-User": "admin", "X-Forwarded-For": "10.9.9.9"})
	if code != 200 {
		t.Fatal(code)
	}
	got := h.a.last(t)
	if got.XFF != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q: a client-sent value must not pass", got.XFF)
	}
	for _, k := range got.Impersonate {
		if k != "Impersonate-User" && k != "Impersonate-Group" {
			t.Errorf("unexpected header %s", k)
		}
	}
}

func TestMetricsAndProbes(t *testing.T) {
	healthEvery = 100 * time.Millisecond
	t.Cleanup(func() { healthEvery = 10 * time.Second })
	h := newHarness(t, nil)
	waitFor(t, "readiness", h.proxy.Ready)
	h.do(t, "GET", "/a/api", h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl")), nil)
	h.do(t, "GET", "/a/api", "not.a.jwt", nil)
	probes := httptest.NewServer(h.proxy.ProbeHandler())
	defer probes.Close()
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ok",
		"/metrics": `authstack_apiproxy_requests_total{cluster="a",code="200"} 1`,
	} {
		resp, err := http.Get(probes.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d, want %q in %s", path, resp.StatusCode, want, b)
		}
		if path == "/metrics" {
			for _, m := range []string{"authstack_apiproxy_auth_failures_total{reason=", "authstack_apiproxy_request_duration_seconds_bucket", "authstack_apiproxy_audit_events_dropped_total 0"} {
				if !strings.Contains(string(b), m) {
					t.Errorf("/metrics lacks %s", m)
				}
			}
		}
	}
	h.a.srv.Close()
	waitFor(t, "not ready once cluster a is down", func() error {
		if h.proxy.Ready() == nil {
			return fmt.Errorf("still ready")
		}
		return nil
	})
}

// TestImpersonationHeadersMatchClientGo: the forwarding transport writes the
// same impersonation headers as client-go's impersonating round tripper,
// which the API server's impersonation filter is written against, for
// extra keys with every kind of byte the escaping must handle.
func TestImpersonationHeadersMatchClientGo(t *testing.T) {
	users := []*user.DefaultInfo{
		{Name: "alice@example.com"},
		{Name: "oidc:bob", UID: "1234", Groups: []string{"oidc:dev", "oidc:ops"}},
		{Name: "carol", Extra: map[string][]string{
			"authentication.kubernetes.io/credential-id": {"JTI=abc"},
			"example.com/Mixed Case%key":                 {"a", "b"},
			"ünïcode/kéy":                                {"v"},
			"scopes":                                     {"openid", "email"},
			"tab\there,and\"quotes\"":                    {"x"},
		}},
	}
	for _, u := range users {
		var want http.Header
		rt := transport.NewImpersonatingRoundTripper(transport.ImpersonationConfig{
			UserName: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra,
		}, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			want = r.Header
			return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
		}))
		if _, err := rt.RoundTrip(httptest.NewRequest("GET", "https://example.com/api", nil)); err != nil {
			t.Fatal(err)
		}
		got := http.Header{}
		setImpersonation(got, u)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("user %q:\n got  %v\n want %v", u.Name, got, want)
		}
		// What the API server reads back: the lower-cased suffix, unescaped.
		for name := range got {
			suffix, ok := strings.CutPrefix(name, transport.ImpersonateUserExtraHeaderPrefix)
			if !ok {
				continue
			}
			key, err := url.PathUnescape(strings.ToLower(suffix))
			if err != nil {
				t.Errorf("header %q: %v", name, err)
			}
			if _, ok := u.Extra[key]; !ok && !hasLowerKey(u.Extra, key) {
				t.Errorf("header %q reads back as extra %q, not one of the user's", name, key)
			}
		}
	}
}

func hasLowerKey(m map[string][]string, key string) bool {
	for k := range m {
		if strings.ToLower(k) == key {
			return true
		}
	}
	return false
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
