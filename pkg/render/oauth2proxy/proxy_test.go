package oauth2proxy

import (
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

func sharedSpec(t *testing.T) *v1alpha1.Spec {
	t.Helper()
	s := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{
		Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}},
		Auth:   v1alpha1.Auth{Host: "oauthproxy.example.com"},
		Apps: []v1alpha1.App{
			{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Identity: v1alpha1.IdentityHeaders},
			{Name: "prometheus", Host: "prometheus.example.com", Namespace: "monitoring", Identity: v1alpha1.IdentityHeaders, AllowedGroups: []string{"sre", "on call"}, AllowedEmailDomains: []string{"example.com"}},
			{Name: "headlamp", Host: "headlamp.example.com", Namespace: "headlamp", Identity: v1alpha1.IdentityToken, AllowedGroups: []string{"sre"}},
		},
	}}
	v1alpha1.SetDefaults(s)
	return &s.Spec
}

// One proxy cannot send the id token to token apps and withhold it from
// headers apps (set_authorization_header is global), so a shared sign-in
// host with both kinds of app has two variants: the headers one signs in,
// the token one only answers the token apps' auth requests; both read one
// cookie (name, domain, secret) made for every app.
func TestSharedProxyVariants(t *testing.T) {
	spec := sharedSpec(t)
	ps := Proxies(spec)
	if len(ps) != 2 || ps[0].Name != "oauth2-proxy" || !ps[0].SignIn || ps[1].Name != "oauth2-proxy-token" || ps[1].SignIn {
		t.Fatalf("proxies: %+v", ps)
	}
	var cookies []string
	for _, p := range ps {
		cfg, err := ProxyConfig(spec, p, false)
		if err != nil {
			t.Fatal(err)
		}
		c, err := format.ParseFiles([]byte(cfg.Config), []byte(cfg.Alpha), nil)
		if err != nil {
			t.Fatal(err)
		}
		c = c.Effective()
		if c.SetAuthorizationHeader != (p.Identity == v1alpha1.IdentityToken) {
			t.Errorf("%s: set_authorization_header = %t", p.Name, c.SetAuthorizationHeader)
		}
		if len(c.AllowedGroups) != 0 {
			t.Errorf("%s: a global allowed_groups %q would hold every app to one app's groups", p.Name, c.AllowedGroups)
		}
		if strings.Join(c.CookieDomains, ",") != ".example.com" || c.RedirectURL != "https://oauthproxy.example.com/oauth2/callback" {
			t.Errorf("%s: cookie domains %q, redirect %q", p.Name, c.CookieDomains, c.RedirectURL)
		}
		for _, h := range []string{"grafana.example.com", "prometheus.example.com", "headlamp.example.com"} {
			if !strings.Contains(strings.Join(c.WhitelistDomains, " "), h) {
				t.Errorf("%s: whitelist %q lacks %s: the sign-in could not return there", p.Name, c.WhitelistDomains, h)
			}
		}
		if !strings.Contains(c.Scope, "audience:server:client_id:kubernetes") {
			t.Errorf("%s: the session is made once for every app; it needs the token app's audience: %q", p.Name, c.Scope)
		}
		cookies = append(cookies, c.CookieName)
	}
	if cookies[0] != cookies[1] {
		t.Errorf("variants read different cookies %q", cookies)
	}
}

func TestSharedAppIngressesAskTheirVariantWithTheirGroups(t *testing.T) {
	spec := sharedSpec(t)
	tests := []struct {
		app           int
		url, headers  string
		noAuthzHeader bool
	}{
		{0, "http://oauth2-proxy.oauth2-proxy.svc.cluster.local:4180/oauth2/auth", "X-Auth-Request-User", false},
		{1, "http://oauth2-proxy.oauth2-proxy.svc.cluster.local:4180/oauth2/auth?allowed_groups=sre,on+call&allowed_email_domains=example.com", "X-Auth-Request-User", false},
		{2, "http://oauth2-proxy-token.oauth2-proxy.svc.cluster.local:4180/oauth2/auth?allowed_groups=sre", "Authorization", true},
	}
	for _, tt := range tests {
		app := &spec.Apps[tt.app]
		m, err := Annotations(spec, app)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ingressnginx.Parse(m)
		if err != nil {
			t.Fatal(err)
		}
		if a.URL != tt.url {
			t.Errorf("%s: auth-url %q, want %q", app.Name, a.URL, tt.url)
		}
		if want := "https://oauthproxy.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri"; a.Signin != want {
			t.Errorf("%s: auth-signin %q, want %q", app.Name, a.Signin, want)
		}
		if !a.ResponseHeader(tt.headers) {
			t.Errorf("%s: response headers %q lack %s", app.Name, a.ResponseHeaders, tt.headers)
		}
		if tt.noAuthzHeader && a.ResponseHeader("X-Auth-Request-User") {
			t.Errorf("%s: a token app gets only its mode's header, not %q", app.Name, a.ResponseHeaders)
		}
	}
}
