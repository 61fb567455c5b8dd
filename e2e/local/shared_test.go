//go:build e2e

package local

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// testSharedSignin moves the stack's two apps behind one oauth2-proxy on a
// central sign-in host (spec.auth.host, as examples/shared-signin), each
// app open to another LDAP group, applies it with --prune and logs in
// through nginx: one login at the sign-in host serves both apps, and the
// real oauth2-proxy answers 403 at the app whose groups (the allowed_groups
// of its auth URL) the user is not in, 200 at the other. Runs last: the
// stack stays in shared mode.
func testSharedSignin(t *testing.T, s *Stack) {
	old := s.Params
	defer func() { s.Params = old }()
	s.Params.WithHeadersApp = true
	s.Params.SigninHost = localhost(freePort(t))
	s.Params.TokenHost, s.Params.HeadersHost = localhost(freePort(t)), localhost(freePort(t))
	// alice is in developers, bob in readonly-admins (slapd.go).
	s.Params.TokenGroups, s.Params.HeadersGroups = []string{ldapReadOnly}, []string{"developers"}
	// The per-app stack's headers app sends the preferred username; here
	// the other choice: the email as X-Auth-Request-User.
	s.Params.HeadersUserClaim = string(v1alpha1.UserHeaderEmail)
	s.render(t)
	s.Apply(t, "--prune")
	// dex reads its static clients at start, as its pod would after the
	// config Secret's checksum changed: run it again from the applied Secret.
	s.startDex(t)
	stack := s.Spec(t)

	backends := map[string]string{}
	for i := range stack.Spec.Apps {
		a := &stack.Spec.Apps[i]
		if a.Identity == v1alpha1.IdentityToken {
			backends[a.Namespace+"/"+a.Upstream.Service] = startTokenApp(t, s.Env)
		} else {
			backends[a.Namespace+"/"+a.Upstream.Service] = startHeadersApp(t)
		}
	}
	proxies := oauth2proxy.Proxies(&stack.Spec)
	if len(proxies) != 2 {
		t.Fatalf("a token app and a headers app share the sign-in host: want 2 proxy variants, got %d", len(proxies))
	}
	for _, p := range proxies {
		backends[p.Namespace+"/"+p.Name] = s.startSharedProxy(t, p)
	}
	list, err := s.Client.NetworkingV1().Ingresses("apps").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"})
	if err != nil {
		t.Fatalf("list applied Ingresses: %v", err)
	}
	var ingresses []networkingv1.Ingress
	for _, ing := range list.Items {
		// The per-app proxies' Ingresses are pruned; anything left of them would be a finding.
		if strings.HasPrefix(ing.Name, "oauth2-proxy-") {
			t.Errorf("Ingress %s of a per-app proxy survived apply --prune", ing.Name)
			continue
		}
		ingresses = append(ingresses, ing)
	}
	startNginx(t, filepath.Join(s.Dir, "nginx-shared"), stack, ingresses, backends, s.ServingCert, s.ServingKey)

	signin := "https://" + s.Params.SigninHost + "/oauth2/"
	tokenURL, headersURL := "https://"+s.Params.TokenHost+"/", "https://"+s.Params.HeadersHost+"/"

	t.Run("an app sends a stranger to the sign-in host", func(t *testing.T) {
		resp := s.newWeb(t, nil).get(t, headersURL, nil)
		if resp.Status != http.StatusFound || !strings.HasPrefix(resp.Location, signin+"start?rd=") {
			t.Fatalf("GET %s without a session: %d to %q, want 302 to %sstart?rd=...", headersURL, resp.Status, resp.Location, signin)
		}
	})

	for _, tc := range []struct {
		user          ldapUser
		start         string
		allowed, deny string
	}{
		{alice, headersURL, headersURL, tokenURL},
		{bob, tokenURL, tokenURL, headersURL},
	} {
		t.Run(tc.user.UID+" signs in once for both apps", func(t *testing.T) {
			w := s.newWeb(t, nil)
			cb := w.untilCallback(t, tc.start, tc.user, nil)
			if !strings.HasPrefix(cb, signin+"callback") {
				t.Fatalf("the issuer sent %s back to %s, want the sign-in host's callback %scallback", tc.user.UID, cb, signin)
			}
			resp := w.get(t, cb, nil)
			if resp.Status != http.StatusFound || resp.Location != tc.start {
				t.Fatalf("callback: %d to %q, want 302 back to the app %s (whitelist_domains)\n%s", resp.Status, resp.Location, tc.start, snippet(resp.Body))
			}
			page := w.get(t, tc.allowed, nil)
			if page.Status != http.StatusOK {
				t.Fatalf("%s at the app of their group %s: %d, want 200\n%s", tc.user.UID, tc.allowed, page.Status, snippet(page.Body))
			}
			if tc.allowed == headersURL {
				for _, want := range []string{`<p id="user">` + tc.user.Mail + `</p>`, `<p id="email">` + tc.user.Mail + `</p>`, "X-Auth-Request-Preferred-Username: " + tc.user.UID, `<p id="authorization">false</p>`} {
					if !strings.Contains(page.Body, want) {
						t.Errorf("the headers app's page lacks %q (a readable name, and no id token):\n%s", want, snippet(page.Body))
					}
				}
			} else if want := `<p id="user">oidc:` + tc.user.Mail + `</p>`; !strings.Contains(page.Body, want) {
				t.Errorf("the token app's page lacks %q: the forwarded id token was not accepted as %s:\n%s", want, tc.user.UID, snippet(page.Body))
			}
			// The same cookie reaches the other app: signed in, but not in
			// its groups, so 403 and not a redirect to the sign-in.
			other := w.get(t, tc.deny, nil)
			if other.Status != http.StatusForbidden {
				t.Errorf("%s at %s, an app of another group: %d (Location %q), want 403 from oauth2-proxy's allowed_groups\n%s", tc.user.UID, tc.deny, other.Status, other.Location, snippet(other.Body))
			}
		})
	}
}

// startSharedProxy runs one variant of the shared oauth2-proxy from its
// applied ConfigMap and the shared Secret, overriding only the listen
// address and the CA file's local path, as startProxy does for an app's own.
func (s *Stack) startSharedProxy(t testing.TB, p *oauth2proxy.Proxy) string {
	t.Helper()
	dir := filepath.Join(s.Dir, p.Name)
	cm := s.configMap(t, p.Namespace, p.Name)
	sec := s.secretData(t, p.Namespace, p.Secret)
	env := []string{"OAUTH2_PROXY_CLIENT_SECRET=" + string(sec["client-secret"]), "OAUTH2_PROXY_COOKIE_SECRET=" + string(sec["cookie-secret"])}
	addr := hostPort(freePort(t))
	args := proxyArgs(t, dir, cm.Data, addr)
	proc := testenv.StartProcess(s.t, dir, p.Name, env, testenv.Bin(t, "oauth2-proxy"), args...)
	testenv.WaitFor(t, proc, p.Name+" /ping", func() error { return s.get("http://" + addr + "/ping") })
	return addr
}
