package oauth2proxy

import (
	"reflect"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// What X-Auth-Request-User carries for each userHeaderClaim: the session's
// field of that name, or its user (the sub claim) for sub. The other
// identity headers are those set_xauthrequest sends.
func TestHeadersAppUserHeaderClaim(t *testing.T) {
	for claim, session := range map[v1alpha1.UserHeaderClaim]string{
		v1alpha1.UserHeaderPreferredUsername: "preferred_username", v1alpha1.UserHeaderEmail: "email", v1alpha1.UserHeaderSub: "user",
	} {
		app := &v1alpha1.App{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Identity: v1alpha1.IdentityHeaders,
			AppIdentityHeaders: v1alpha1.AppIdentityHeaders{UserHeaderClaim: claim}}
		spec := &v1alpha1.Spec{Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}}}
		c := mustModel(t, spec, app)
		want := map[string][]string{
			"X-Auth-Request-User": {session}, "X-Auth-Request-Email": {"email"},
			"X-Auth-Request-Preferred-Username": {"preferred_username"}, "X-Auth-Request-Groups": {"groups"},
		}
		if got := c.ResponseHeaderClaims(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: response headers %v", claim, got)
		}
		if c.SetAuthorizationHeader || c.ClientSecret.From != "env OAUTH2_PROXY_CLIENT_SECRET" {
			t.Errorf("%s: authorization header %t, client secret from %q", claim, c.SetAuthorizationHeader, c.ClientSecret.From)
		}
	}
}

// A token app keeps the legacy options: the id token in Authorization,
// no alpha config.
func TestTokenAppHasNoAlphaConfig(t *testing.T) {
	app := &v1alpha1.App{Name: "dash", Host: "dash.example.com", Namespace: "apps", Identity: v1alpha1.IdentityToken}
	spec := &v1alpha1.Spec{Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}}, Apps: []v1alpha1.App{*app}}
	files, err := Config(spec, &spec.Apps[0], false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := format.ParseTOML([]byte(files.Config))
	if err != nil {
		t.Fatal(err)
	}
	if files.Alpha != "" || !c.SetAuthorizationHeader {
		t.Errorf("alpha %q, set_authorization_header %t", files.Alpha, c.SetAuthorizationHeader)
	}
}

// A shared sign-in host serves one proxy variant per set of response
// headers: apps choosing different claims get each their own, all reading
// the one session (same cookie, client and scopes).
func TestSharedProxyVariantPerUserHeaderClaim(t *testing.T) {
	spec := sharedSpec(t)
	spec.Apps[0].UserHeaderClaim = v1alpha1.UserHeaderPreferredUsername
	spec.Apps[1].UserHeaderClaim = v1alpha1.UserHeaderEmail
	ps := Proxies(spec)
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"oauth2-proxy", "oauth2-proxy-headers-email", "oauth2-proxy-token"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("proxies %v, want %v", names, want)
	}
	var scope, cookie string
	for i, p := range ps {
		files, err := ProxyConfig(spec, p, false)
		if err != nil {
			t.Fatal(err)
		}
		c, err := format.ParseFiles([]byte(files.Config), []byte(files.Alpha), nil)
		if err != nil {
			t.Fatal(err)
		}
		c = c.Effective()
		if i == 0 {
			scope, cookie = c.Scope, c.CookieName
		} else if c.Scope != scope || c.CookieName != cookie {
			t.Errorf("%s: scope %q cookie %q, the sign-in variant's are %q %q", p.Name, c.Scope, c.CookieName, scope, cookie)
		}
		user := c.ResponseHeaderClaims()["X-Auth-Request-User"]
		switch p.Name {
		case "oauth2-proxy":
			if !reflect.DeepEqual(user, []string{"preferred_username"}) || p.Apps[0].Name != "grafana" {
				t.Errorf("%s for %s: X-Auth-Request-User from %v", p.Name, p.Apps[0].Name, user)
			}
		case "oauth2-proxy-headers-email":
			if !reflect.DeepEqual(user, []string{"email"}) || p.Apps[0].Name != "prometheus" {
				t.Errorf("%s for %s: X-Auth-Request-User from %v", p.Name, p.Apps[0].Name, user)
			}
		}
		for _, a := range p.Apps {
			m, err := Annotations(spec, a)
			if err != nil {
				t.Fatal(err)
			}
			if u := m["nginx.ingress.kubernetes.io/auth-url"]; u[:len("http://"+p.Name+".")] != "http://"+p.Name+"." {
				t.Errorf("app %s asks %s, not its variant %s", a.Name, u, p.Name)
			}
		}
	}
}
