package authproxy

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// execPluginEnv makes the test binary act as a kubeconfig exec plugin that
// counts its runs in the file the variable names.
const execPluginEnv = "AUTHSTACK_TEST_EXEC_PLUGIN"

// execTokenEnv makes the plugin print the token in the file it names, with
// no expiry, instead of counting.
const execTokenEnv = "AUTHSTACK_TEST_EXEC_TOKEN"

// execPluginLifetime is how long the plugin's credential lives.
const execPluginLifetime = 2 * time.Second

func TestMain(m *testing.M) {
	if file := os.Getenv(execTokenEnv); file != "" {
		os.Exit(printToken(file))
	}
	if counter := os.Getenv(execPluginEnv); counter != "" {
		os.Exit(runExecPlugin(counter))
	}
	os.Exit(m.Run())
}

// runExecPlugin prints an ExecCredential whose token is token-N for its Nth
// run, expiring after execPluginLifetime, as kubelogin does with an ID token.
func runExecPlugin(counter string) int {
	b, _ := os.ReadFile(counter)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	n++
	if err := os.WriteFile(counter, []byte(strconv.Itoa(n)), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cred := map[string]any{
		"apiVersion": "client.authentication.k8s.io/v1",
		"kind":       "ExecCredential",
		"status": map[string]any{
			"token":               "token-" + strconv.Itoa(n),
			"expirationTimestamp": time.Now().Add(execPluginLifetime).UTC().Format(time.RFC3339),
		},
	}
	if err := json.NewEncoder(os.Stdout).Encode(cred); err != nil {
		return 1
	}
	return 0
}

func printToken(file string) int {
	token, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cred := map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": map[string]any{"token": string(token)}}
	if err := json.NewEncoder(os.Stdout).Encode(cred); err != nil {
		return 1
	}
	return 0
}

func execPluginConfig(t *testing.T) (*rest.Config, string) {
	t.Helper()
	counter := t.TempDir() + "/count"
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &rest.Config{Host: "https://127.0.0.1:6443", ExecProvider: &clientcmdapi.ExecConfig{
		Command:         self,
		APIVersion:      "client.authentication.k8s.io/v1",
		Env:             []clientcmdapi.ExecEnvVar{{Name: execPluginEnv, Value: counter}},
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}, counter
}

// seen records what reached the upstream.
type seen struct {
	mu      sync.Mutex
	headers []http.Header
}

func (s *seen) record(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = append(s.headers, h.Clone())
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.headers)
}

func (s *seen) last() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.headers) == 0 {
		return nil
	}
	return s.headers[len(s.headers)-1]
}

func echoUpstream(t *testing.T, tls bool) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r.Header)
		fmt.Fprint(w, "as ", r.Header.Get("Authorization"))
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, s
}

// serveProxy runs NewHandler on a loopback port and returns its host:port.
func serveProxy(t *testing.T, cfg *rest.Config, upstream *Upstream) string {
	t.Helper()
	cred, err := NewCredential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(ln.Addr().String(), upstream, cred)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func upstreamOf(t *testing.T, srv *httptest.Server) *Upstream {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var up Upstream
	up.Set(u.Scheme, u.Host)
	return &up
}

func do(t *testing.T, method, rawURL string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestProxyReplacesTheBrowsersCredentialsWithTheKubeconfigToken(t *testing.T) {
	up, seen := echoUpstream(t, false)
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, upstreamOf(t, up))
	status, body := do(t, http.MethodGet, "http://"+addr+"/api/v1/namespaces", http.Header{
		"Authorization":     {"Bearer someone-elses-token"},
		"Impersonate-User":  {"admin"},
		"Impersonate-Group": {"system:masters"},
	})
	if status != http.StatusOK || body != "as Bearer kube-token" {
		t.Fatalf("got %d %q, want 200 as Bearer kube-token", status, body)
	}
	h := seen.last()
	if got := h.Values("Authorization"); len(got) != 1 || got[0] != "Bearer kube-token" {
		t.Errorf("upstream saw Authorization %q, want only the kubeconfig token", got)
	}
	for k := range h {
		if strings.HasPrefix(k, "Impersonate-") {
			t.Errorf("upstream saw %s from the browser", k)
		}
	}
}

func TestProxyAnswersOnlyItsOwnHostName(t *testing.T) {
	up, seen := echoUpstream(t, false)
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, upstreamOf(t, up))
	_, port, _ := net.SplitHostPort(addr)
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1:1", "127.0.0.1.nip.io:" + port} {
		status, _ := do(t, http.MethodGet, "http://"+addr+"/", http.Header{"Host": {host}})
		if status != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: status %d, want %d", host, status, http.StatusMisdirectedRequest)
		}
	}
	if n := seen.count(); n != 0 {
		t.Fatalf("%d requests with a foreign Host reached the upstream", n)
	}
	for _, host := range []string{addr, "localhost:" + port, "LOCALHOST:" + port} {
		if status, _ := do(t, http.MethodGet, "http://"+addr+"/", http.Header{"Host": {host}}); status != http.StatusOK {
			t.Errorf("Host %s: status %d, want 200", host, status)
		}
	}
}

func TestProxyRefusesRequestsOtherSitesMakeTheBrowserSend(t *testing.T) {
	up, seen := echoUpstream(t, false)
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, upstreamOf(t, up))
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		want   int
	}{
		{"form post from another site", http.MethodPost, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"post from an opaque origin", http.MethodPost, http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"fetch from another site", http.MethodGet, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"no-cors"}}, http.StatusForbidden},
		{"fetch from another port on localhost", http.MethodDelete, http.Header{"Sec-Fetch-Site": {"same-site"}, "Sec-Fetch-Mode": {"cors"}}, http.StatusForbidden},
		{"post navigation from another site", http.MethodPost, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}}, http.StatusForbidden},
		{"link from another site", http.MethodGet, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}}, http.StatusOK},
		{"typed in the address bar", http.MethodGet, http.Header{"Sec-Fetch-Site": {"none"}, "Sec-Fetch-Mode": {"navigate"}}, http.StatusOK},
		{"the UI's own post", http.MethodPost, http.Header{"Origin": {"http://" + addr}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusOK},
		{"curl", http.MethodDelete, nil, http.StatusOK},
	} {
		before := seen.count()
		status, body := do(t, tc.method, "http://"+addr+"/api/v1/namespaces/x", tc.header)
		if status != tc.want {
			t.Errorf("%s: status %d (%s), want %d", tc.name, status, body, tc.want)
		}
		if reached := seen.count() > before; reached != (tc.want == http.StatusOK) {
			t.Errorf("%s: reached the upstream: %v", tc.name, reached)
		}
	}
}

func TestProxyReachesAnHTTPSUpstreamWithASelfSignedCertificate(t *testing.T) {
	up, _ := echoUpstream(t, true)
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, upstreamOf(t, up))
	if status, body := do(t, http.MethodGet, "http://"+addr+"/", nil); status != http.StatusOK || body != "as Bearer kube-token" {
		t.Fatalf("got %d %q, want 200 as Bearer kube-token", status, body)
	}
}

func TestProxyAnswers503WhileTheForwardIsDown(t *testing.T) {
	var up Upstream
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, &up)
	if status, _ := do(t, http.MethodGet, "http://"+addr+"/", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", status)
	}
}

func TestProxyRefusesAnUpstreamThatIsNotLoopback(t *testing.T) {
	var up Upstream
	up.Set("http", "192.0.2.1:80")
	addr := serveProxy(t, &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, &up)
	if status, body := do(t, http.MethodGet, "http://"+addr+"/", nil); status != http.StatusBadGateway || !strings.Contains(body, "not the loopback port-forward") {
		t.Fatalf("got %d %q, want 502 not the loopback port-forward", status, body)
	}
}

func TestProxyRunsTheExecPluginAgainAfterItsCredentialExpires(t *testing.T) {
	up, _ := echoUpstream(t, false)
	cfg, counter := execPluginConfig(t)
	addr := serveProxy(t, cfg, upstreamOf(t, up))
	// Two requests in a row share one credential: the plugin is not run per
	// request (kubelogin would open a browser each time).
	for range 2 {
		if status, body := do(t, http.MethodGet, "http://"+addr+"/", nil); status != http.StatusOK || body != "as Bearer token-1" {
			t.Fatalf("got %d %q, want 200 as Bearer token-1", status, body)
		}
	}
	deadline := time.Now().Add(execPluginLifetime + 10*time.Second)
	for {
		_, body := do(t, http.MethodGet, "http://"+addr+"/", nil)
		if body == "as Bearer token-2" {
			break
		}
		if body != "as Bearer token-1" || time.Now().After(deadline) {
			runs, _ := os.ReadFile(counter)
			t.Fatalf("got %q after the credential expired (plugin ran %s times), want token-2", body, runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCredentialTakesTokensFromWhereKubeconfigsKeepThem(t *testing.T) {
	tokenFile := t.TempDir() + "/token"
	if err := os.WriteFile(tokenFile, []byte("file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	idToken := unsignedJWT(t, time.Now().Add(time.Hour))
	for _, tc := range []struct {
		name string
		cfg  *rest.Config
		want string
	}{
		{"static token", &rest.Config{BearerToken: "static"}, "Bearer static"},
		{"token file", &rest.Config{BearerTokenFile: tokenFile}, "Bearer file-token"},
		{"token and client certificate", &rest.Config{BearerToken: "static", TLSClientConfig: rest.TLSClientConfig{CertData: []byte("cert"), KeyData: []byte("key")}}, "Bearer static"},
		{"legacy oidc auth-provider", &rest.Config{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{
			"idp-issuer-url": "https://issuer.example", "client-id": "kubernetes", "id-token": idToken,
		}}}, "Bearer " + idToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Host = "https://k8s.example"
			up, _ := echoUpstream(t, false)
			addr := serveProxy(t, tc.cfg, upstreamOf(t, up))
			if status, body := do(t, http.MethodGet, "http://"+addr+"/", nil); status != http.StatusOK || body != "as "+tc.want {
				t.Fatalf("got %d %q, want 200 as %s", status, body, tc.want)
			}
		})
	}
}

func unsignedJWT(t *testing.T, exp time.Time) string {
	t.Helper()
	enc := base64.RawURLEncoding
	claims, err := json.Marshal(map[string]any{"iss": "https://issuer.example", "sub": "alice", "exp": exp.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte("sig"))
}

func TestCredentialWithoutBearerTokenIsRefusedAtStartUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *rest.Config
		want string
	}{
		{"client certificate", &rest.Config{TLSClientConfig: rest.TLSClientConfig{CertData: []byte("cert"), KeyData: []byte("key")}}, "client certificate"},
		{"basic auth", &rest.Config{Username: "admin", Password: "secret"}, "basic auth"},
		{"impersonation", &rest.Config{BearerToken: "static", Impersonate: rest.ImpersonationConfig{UserName: "alice"}}, "impersonates"},
		{"nothing", &rest.Config{}, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Host = "https://k8s.example"
			cred, err := NewCredential(tc.cfg)
			if err == nil {
				err = cred.Check()
			}
			if !errors.Is(err, ErrNoBearerToken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNoBearerToken mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
