package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fakeProxiedApp is an app behind an oauth2-proxy-like sign-in: it sends
// logged-out browsers to dex, redeems the code at dex's token endpoint and
// keeps the session in a cookie.
func fakeProxiedApp(t *testing.T, dex *fakeDex, brokenSecret bool) *httptest.Server {
	var srv *httptest.Server
	const verifier = "a-fixed-code-verifier-for-the-fake-proxy-0123456789"
	srv = newLocalTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		callback := srv.URL + "/oauth2/callback"
		switch r.URL.Path {
		case "/":
			if c, err := r.Cookie("_oauth2_proxy_web"); err == nil && c.Value == "alice" {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><body>hello</body></html>"))
				return
			}
			http.Redirect(w, r, "/oauth2/start?rd=/", http.StatusFound)
		case "/oauth2/start":
			sum := sha256.Sum256([]byte(verifier))
			q := url.Values{"client_id": {"oauth2-proxy-web"}, "redirect_uri": {callback}, "response_type": {"code"}, "state": {"s1"},
				"scope": {"openid email groups"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
			http.Redirect(w, r, dex.issuer()+"/auth?"+q.Encode(), http.StatusFound)
		case "/oauth2/callback":
			form := url.Values{"grant_type": {"authorization_code"}, "code": {r.URL.Query().Get("code")}, "redirect_uri": {callback}, "code_verifier": {verifier}}
			if brokenSecret {
				form.Set("code_verifier", "wrong")
			}
			resp, err := dex.srv.Client().PostForm(dex.issuer()+"/token", form)
			if err != nil || resp.StatusCode != http.StatusOK {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte("<html><body>Internal Error</body></html>"))
				return
			}
			resp.Body.Close()
			http.SetCookie(w, &http.Cookie{Name: "_oauth2_proxy_web", Value: "alice", Path: "/", Secure: true})
			http.Redirect(w, r, "/", http.StatusFound)
		case "/oauth2/userinfo":
			writeJSON(w, map[string]any{"user": "sub-alice", "email": "alice@example.org", "groups": []string{"developers"}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	dex.redirectURIs = append(dex.redirectURIs, srv.URL+"/oauth2/callback")
	return srv
}

func appSpec(app *httptest.Server) string {
	return `  apps:
    - name: web
      host: ` + strings.TrimPrefix(app.URL, "https://") + `
      namespace: web
      upstream:
        service: web
        port: 80
      identity: headers
`
}

func TestRunAppHops(t *testing.T) {
	for _, broken := range []bool{false, true} {
		dex := newFakeDex(t)
		app := fakeProxiedApp(t, dex, broken)
		api := fakeAPIServer(t, "oidc:alice@example.org", []string{"oidc:developers"}, ownerAllows)
		rep := run(t, writeStack(t, dex, api, appSpec(app)+rbacSpec), "alice", "wonderland")
		out := rep.Hop(HopAppLoggedOut("web"))
		if out == nil || !out.OK || !strings.Contains(out.Detail, "/oauth2/start 302") {
			t.Errorf("broken=%t: logged-out hop: %+v", broken, out)
		}
		in := rep.Hop(HopAppLoggedIn("web"))
		switch {
		case in == nil:
			t.Fatalf("no logged-in hop: %+v", rep.Hops)
		case !broken && (!in.OK || !strings.Contains(in.Detail, "session for alice@example.org")):
			t.Errorf("healthy app: %+v", in)
		case broken && (in.OK || !strings.Contains(in.Detail, "could not redeem the code")):
			t.Errorf("app that cannot redeem the code: %+v", in)
		}
		if rep.OK() == broken {
			t.Errorf("broken=%t but report OK=%t", broken, rep.OK())
		}
	}
}
