package apiproxy

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/user"
)

// raw sends one request as written over a TLS connection to the proxy
// (HTTP/1.1), for headers and methods net/http's client will not send, and
// returns the response with its body read.
func (h *harness) raw(t *testing.T, request string) (*http.Response, string) {
	t.Helper()
	conn, err := tls.Dial("tcp", h.srv.Listener.Addr().String(), &tls.Config{
		RootCAs: h.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, strings.ReplaceAll(request, "\n", "\r\n")+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, ""
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// TestIdentitiesTheHeadersCannotCarryAreRefused: what the proxy checks must
// be what the API server reads. Go's HTTP/1.1 client trims header values
// (the upgrade transport; a group " system:masters" became system:masters),
// and control bytes or commas change what a header means.
func TestIdentitiesTheHeadersCannotCarryAreRefused(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		name   string
		claims map[string]any
		reason Reason
	}{
		{"group with a leading space", h.iss.claims("mallory@example.com", "kubectl", " system:masters"), ReasonUnsafeIdentity},
		{"group with a trailing tab", h.iss.claims("mallory@example.com", "kubectl", "dev\t"), ReasonUnsafeIdentity},
		{"group with a newline", h.iss.claims("mallory@example.com", "kubectl", "dev\nImpersonate-Group: system:masters"), ReasonUnsafeIdentity},
		{"username with a leading space", h.iss.claims(" system:admin", "kubectl"), ReasonUnsafeIdentity},
		{"username with a NUL", h.iss.claims("mallory@example.com\x00", "kubectl"), ReasonUnsafeIdentity},
		{"system: after a comma in a group", h.iss.claims("mallory@example.com", "kubectl", "dev, system:masters"), ReasonReservedName},
		{"system: after a comma in the username", h.iss.claims("mallory@example.com,system:admin", "kubectl"), ReasonReservedName},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The trimming HTTP/1.1 transport (an Upgrade header) is
			// exercised against the real API server in
			// TestIntegrationAttacksAgainstRealAPIServer: the fake here would
			// switch protocols and hold the connection.
			code, body := h.do(t, "GET", "/a/api/v1/namespaces/kube-system/secrets", h.iss.sign(t, c.claims), nil)
			if code != 403 || !strings.Contains(string(body), string(c.reason)) {
				t.Errorf("%d %s, want 403 %s", code, body, c.reason)
			}
		})
	}
	if h.a.count() != 0 {
		t.Errorf("%d refused identities reached the API server", h.a.count())
	}
	// A comma alone is not refused: LDAP distinguished names have them.
	dn := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "cn=dev,ou=groups,dc=example,dc=com"))
	if code, body := h.do(t, "GET", "/a/api", dn, nil); code != 200 {
		t.Errorf("a DN group: %d %s", code, body)
	} else if g := h.a.last(t).Groups; len(g) != 1 || g[0] != "cn=dev,ou=groups,dc=example,dc=com" {
		t.Errorf("the DN group arrived as %q", g)
	}
}

func TestUnsafeIdentityCoversUIDAndExtras(t *testing.T) {
	for _, c := range []struct {
		u    *user.DefaultInfo
		want string
	}{
		{&user.DefaultInfo{Name: "alice", UID: "1234", Groups: []string{"dev"}, Extra: map[string][]string{"example.com/k": {"v w"}}}, ""},
		{&user.DefaultInfo{}, "an empty username"},
		{&user.DefaultInfo{Name: "alice", UID: " 1234"}, `uid " 1234"`},
		{&user.DefaultInfo{Name: "alice", Extra: map[string][]string{"example.com/k": {"v\r\n"}}}, `extra example.com/k value "v\r\n"`},
	} {
		if got := unsafeIdentity(c.u); got != c.want {
			t.Errorf("%+v: %q, want %q", c.u, got, c.want)
		}
	}
}

// TestOnlyAPIMethodsAndUpgradesAreForwarded: an h2c upgrade would give the
// client an HTTP/2 connection to the API server whose later requests carry
// no credential or impersonation header; the fake API server here switches
// to any protocol asked for, so before the check the h2c upgrade went
// through with a 101.
func TestOnlyAPIMethodsAndUpgradesAreForwarded(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, c := range []struct{ name, head string }{
		{"h2c upgrade", "GET /a/api/v1/pods HTTP/1.1\nConnection: Upgrade, HTTP2-Settings\nUpgrade: h2c\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"},
		{"h2c listed after websocket", "GET /a/api/v1/pods HTTP/1.1\nConnection: Upgrade\nUpgrade: websocket, h2c"},
		{"two Upgrade lines", "GET /a/api/v1/pods HTTP/1.1\nConnection: Upgrade\nUpgrade: websocket\nUpgrade: h2c"},
		{"Connection: Upgrade without Upgrade", "GET /a/api/v1/pods HTTP/1.1\nConnection: Upgrade"},
		{"TRACE", "TRACE /a/api/v1/pods HTTP/1.1"},
		{"CONNECT", "CONNECT /a/api/v1/pods HTTP/1.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.raw(t, c.head+"\nHost: proxy\nAuthorization: Bearer "+tok+"\n")
			if resp.StatusCode != 400 || !strings.Contains(body, string(ReasonBadRequest)) {
				t.Errorf("%s %s, want 400 %s", resp.Status, body, ReasonBadRequest)
			}
		})
	}
	if h.a.count() != 0 {
		t.Errorf("%d refused requests reached the API server", h.a.count())
	}
	// The upgrades the API server serves still pass, in any letter case.
	conn, br := h.upgrade(t, "/a/api/v1/namespaces/team/pods/web/exec?command=sh", tok, "spdy/3.1")
	fmt.Fprint(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "ping\n" {
		t.Errorf("spdy/3.1 stream: %q %v", line, err)
	}
}

// TestHopByHopTricksCannotDropTheProxysHeaders: a client listing the
// credential or impersonation headers in Connection must not make the
// ReverseProxy drop the ones the proxy sets (the API server would then
// serve the request as the proxy's ServiceAccount), nor pass its own.
func TestHopByHopTricksCannotDropTheProxysHeaders(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, conn := range []string{"Authorization", "Impersonate-User", "Impersonate-Group", "X-Forwarded-For", "Authorization, Impersonate-User, Impersonate-Group"} {
		resp, body := h.raw(t, "GET /a/api/v1/pods HTTP/1.1\nHost: proxy\nAuthorization: Bearer "+tok+"\nConnection: "+conn+"\n")
		if resp.StatusCode != 200 {
			t.Fatalf("Connection: %s: %s %s", conn, resp.Status, body)
		}
		got := h.a.last(t)
		if got.Authorization != "Bearer token-a" || got.User != "alice@example.com" || strings.Join(got.Groups, ",") != "dev" || got.XFF != "127.0.0.1" {
			t.Errorf("Connection: %s: the API server got %q %q %v XFF %q", conn, got.Authorization, got.User, got.Groups, got.XFF)
		}
		if v := got.Header.Values("Connection"); len(v) != 0 {
			t.Errorf("Connection: %s: forwarded Connection %q", conn, v)
		}
	}
}

func wsProtocolToken(tok string) string {
	return bearerProtocolPrefix + base64.RawURLEncoding.EncodeToString([]byte(tok))
}

// TestWebSocketBearerSubprotocol: browsers put the token in
// Sec-WebSocket-Protocol (the API server's websocket authenticator reads it
// there); the proxy accepts it on WebSocket upgrades as that authenticator
// does and never forwards it: the cluster sees the proxy's token only.
func TestWebSocketBearerSubprotocol(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	bob := h.iss.sign(t, h.iss.claims("bob@example.com", "kubectl"))
	ws := func(extra string) string {
		return "GET /a/api/v1/namespaces/team/pods/web/exec?command=sh HTTP/1.1\nHost: proxy\nConnection: Upgrade\nUpgrade: websocket\n" +
			"Sec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n" + extra
	}
	t.Run("token subprotocol authenticates and is removed", func(t *testing.T) {
		resp, body := h.raw(t, ws("Sec-WebSocket-Protocol: "+wsProtocolToken(alice)+", v5.channel.k8s.io\n"))
		if resp.StatusCode != 101 {
			t.Fatalf("%s %s", resp.Status, body)
		}
		got := h.a.last(t)
		if got.User != "alice@example.com" || got.Authorization != "Bearer token-a" {
			t.Errorf("the API server got %q %q", got.User, got.Authorization)
		}
		if p := got.Header.Values("Sec-Websocket-Protocol"); len(p) != 1 || p[0] != "v5.channel.k8s.io" {
			t.Errorf("forwarded subprotocols %q, want only v5.channel.k8s.io", p)
		}
	})
	t.Run("with Authorization, the header wins and the subprotocol token is dropped", func(t *testing.T) {
		resp, body := h.raw(t, ws("Authorization: Bearer "+alice+"\nSec-WebSocket-Protocol: v5.channel.k8s.io\nSec-WebSocket-Protocol: "+wsProtocolToken(bob)+"\n"))
		if resp.StatusCode != 101 {
			t.Fatalf("%s %s", resp.Status, body)
		}
		got := h.a.last(t)
		if got.User != "alice@example.com" || strings.Contains(fmt.Sprint(got.Header), bob) ||
			strings.Contains(fmt.Sprint(got.Header), "base64url.bearer") {
			t.Errorf("the API server got user %q and headers %v", got.User, got.Header)
		}
	})
	n := h.a.count()
	for _, c := range []struct{ name, req string }{
		{"no other subprotocol", ws("Sec-WebSocket-Protocol: " + wsProtocolToken(alice) + "\n")},
		{"two token subprotocols", ws("Sec-WebSocket-Protocol: " + wsProtocolToken(alice) + ", " + wsProtocolToken(bob) + ", v5.channel.k8s.io\n")},
		{"not base64url", ws("Sec-WebSocket-Protocol: " + bearerProtocolPrefix + "a+b/c=, v5.channel.k8s.io\n")},
		{"not a WebSocket upgrade", "GET /a/api/v1/pods HTTP/1.1\nHost: proxy\nSec-WebSocket-Protocol: " + wsProtocolToken(alice) + ", v5.channel.k8s.io\n"},
		{"token in the query", "GET /a/api/v1/pods?access_token=" + alice + " HTTP/1.1\nHost: proxy\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.raw(t, c.req)
			if resp.StatusCode != 401 || strings.Contains(body, alice) {
				t.Errorf("%s %s, want 401 without the token", resp.Status, body)
			}
		})
	}
	if h.a.count() != n {
		t.Errorf("refused requests reached the API server")
	}
	waitFor(t, "the audit line of the query token", func() error {
		if !strings.Contains(h.stderr.String(), "access_token=REDACTED") {
			return fmt.Errorf("no redacted audit line yet")
		}
		return nil
	})
	if strings.Contains(h.stderr.String(), alice) || strings.Contains(h.stderr.String(), bob) {
		t.Errorf("a user's token is in the log or audit lines")
	}
}

// TestAuthorizationHeaderForms: the bearer scheme in any case is accepted,
// as the API server's bearertoken authenticator does; two Authorization
// headers or two tokens in one are refused, not guessed at.
func TestAuthorizationHeaderForms(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	bob := h.iss.sign(t, h.iss.claims("bob@example.com", "kubectl"))
	for _, c := range []struct {
		auth string
		want int
	}{
		{"Authorization: bearer " + alice, 200},
		{"Authorization: BEARER " + alice, 200},
		{"Authorization: Bearer " + alice + "\nAuthorization: Bearer " + bob, 401},
		{"Authorization: Bearer " + alice + " " + bob, 401},
		{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+alice)), 401},
		{"Proxy-Authorization: Bearer " + alice, 401},
	} {
		resp, body := h.raw(t, "GET /a/api/v1/pods HTTP/1.1\nHost: proxy\n"+c.auth+"\n")
		if resp.StatusCode != c.want {
			t.Errorf("%.40s...: %s %s, want %d", c.auth, resp.Status, body, c.want)
		}
		if c.want == 200 {
			if got := h.a.last(t); got.User != "alice@example.com" || got.Authorization != "Bearer token-a" {
				t.Errorf("%.40s: the API server got %q %q", c.auth, got.User, got.Authorization)
			}
		}
	}
}

// TestUpstreamErrorsDoNotLeakTheProxysToken: with the API server gone, the
// client gets a 502 Status and neither it nor the log holds the proxy's
// credential or the user's token.
func TestUpstreamErrorsDoNotLeakTheProxysToken(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	h.a.srv.Close()
	code, body := h.do(t, "GET", "/a/api/v1/pods", alice, nil)
	if code != 502 {
		t.Fatalf("%d %s, want 502", code, body)
	}
	for _, secret := range []string{"token-a", alice} {
		if strings.Contains(string(body), secret) || strings.Contains(h.stderr.String(), secret) {
			t.Errorf("%.10s... leaks into the 502 body or the log", secret)
		}
	}
}

func TestIdentityTrailersAreRefused(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, tr := range []string{"Impersonate-User", "Authorization", "X-Remote-Group"} {
		resp, body := h.raw(t, "POST /a/api/v1/namespaces/team/pods HTTP/1.1\nHost: proxy\nAuthorization: Bearer "+tok+
			"\nContent-Type: application/json\nTransfer-Encoding: chunked\nTrailer: "+tr+"\n\n2\r\n{}\r\n0\r\n"+tr+": system:admin\n")
		if resp.StatusCode != 400 || !strings.Contains(body, string(ReasonBadRequest)) {
			t.Errorf("trailer %s: %s %s, want 400", tr, resp.Status, body)
		}
	}
	if h.a.count() != 0 {
		t.Errorf("a request with identity trailers reached the API server")
	}
}

// TestRoutingTricksReachNoOtherCluster: the first escaped path segment
// names the cluster, exactly; nothing in the rest of the path or in the
// Host header moves a request to another cluster or to the proxy's own
// endpoints (probes and /metrics live on the probe port only).
func TestRoutingTricksReachNoOtherCluster(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, c := range []struct {
		path string
		code int
	}{
		{"/a/../b/api", 400},
		{"/a/%2e%2e/b/api", 400},
		{"/a/api/../../b/api", 400},
		{"/a%2Fapi", 404},
		{"/a%2fapi/v1/pods", 404},
		{"//a/api", 404},
		{"//b/api", 404},
		{"/A/api", 404},
		{"/%61/api", 404},
		{"/a./api", 404},
		{"/metrics", 404},
		{"/readyz", 404},
		{"/healthz", 404},
	} {
		resp, body := h.raw(t, "GET "+c.path+" HTTP/1.1\nHost: proxy\nAuthorization: Bearer "+tok+"\n")
		if resp.StatusCode != c.code {
			t.Errorf("%s: %s %.200s, want %d", c.path, resp.Status, body, c.code)
		}
	}
	if n := h.a.count() + h.b.count(); n != 0 {
		t.Errorf("%d tricks reached an API server", n)
	}
	// The Host header plays no part: a request for /a/ with b's host goes
	// to a, with a's token.
	resp, body := h.raw(t, "GET /a/api HTTP/1.1\nHost: "+strings.TrimPrefix(h.b.srv.URL, "https://")+".\nAuthorization: Bearer "+tok+"\n")
	if resp.StatusCode != 200 || h.b.count() != 0 || h.a.last(t).Authorization != "Bearer token-a" {
		t.Errorf("Host of b: %s %s, a %d b %d requests", resp.Status, body, h.a.count(), h.b.count())
	}
}

// TestExtrasCannotClaimKubernetesKeys: an extra the API server sets itself
// (authentication.kubernetes.io/credential-id from jti) cannot come from a
// claim mapping: kube-apiserver's validation, which LoadAuthenticationConfiguration
// runs, reserves k8s.io and kubernetes.io keys.
func TestExtrasCannotClaimKubernetesKeys(t *testing.T) {
	iss := newTestIssuer(t)
	for _, key := range []string{"authentication.kubernetes.io/credential-id", "example.k8s.io/x"} {
		cfg := authConfigYAML(iss, "kubectl") + "    extra:\n    - key: " + key + "\n      valueExpression: claims.email\n"
		_, err := LoadAuthenticationConfiguration(writeFile(t, t.TempDir(), "authn.yaml", cfg))
		if err == nil || !strings.Contains(err.Error(), "reserved for Kubernetes use") {
			t.Errorf("extra %s: %v, want it refused", key, err)
		}
	}
}

// TestWithdrawnKeyStopsBeingHonouredAfterTheCacheTTL: once the issuer drops
// a key from its JWKS (and a token with the new kid makes go-oidc refetch),
// tokens signed with the old key are refused as soon as their cache entry
// ends: tokenCacheTTL, like kube-apiserver's, not the token's exp an hour
// later.
func TestWithdrawnKeyStopsBeingHonouredAfterTheCacheTTL(t *testing.T) {
	h := newHarness(t, nil)
	old := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	if code, body := h.do(t, "GET", "/a/api", old, nil); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	h.iss.rotate(t, "k2")
	if code, body := h.do(t, "GET", "/a/api", h.iss.sign(t, h.iss.claims("bob@example.com", "kubectl")), nil); code != 200 {
		t.Fatalf("token with the new key: %d %s", code, body)
	}
	if code, _ := h.do(t, "GET", "/a/api", old, nil); code != 200 {
		t.Fatalf("within the cache TTL the verified identity is served from the cache: %d", code)
	}
	h.proxy.authn.now = func() time.Time { return time.Now().Add(tokenCacheTTL + time.Second) }
	code, body := h.do(t, "GET", "/a/api", old, nil)
	if code != 401 || !strings.Contains(string(body), string(ReasonBadSignature)) {
		t.Errorf("token of the withdrawn key after the cache TTL: %d %s, want 401 %s", code, body, ReasonBadSignature)
	}
}

// TestClientImpersonationIsRefusedOverHTTP2: HTTP/2 sends header names in
// lower case; escaped Impersonate-Extra- names and odd cases are still
// impersonation headers, refused whoever sends them.
func TestClientImpersonationIsRefusedOverHTTP2(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewUnstartedServer(h.proxy)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tok := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	for _, name := range []string{"impersonate-user", "IMPERSONATE-GROUP", "Impersonate-Extra-%73copes", "impersonate-extra-authentication.kubernetes.io%2fcredential-id", "Impersonate-Uid"} {
		req, _ := http.NewRequest("GET", srv.URL+"/a/api/v1/pods", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header[name] = []string{"system:admin"}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != 403 || !strings.Contains(string(body), string(ReasonImpersonation)) {
			t.Errorf("%s over %s: %d %s, want 403 %s", name, resp.Proto, resp.StatusCode, body, ReasonImpersonation)
		}
	}
	if h.a.count() != 0 {
		t.Errorf("client impersonation reached the API server")
	}
}
