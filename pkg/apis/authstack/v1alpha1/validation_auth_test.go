package v1alpha1

import (
	"slices"
	"strings"
	"testing"
)

func sharedApps(s *AuthStack) {
	s.Spec.Auth = Auth{Host: "oauthproxy.example.com"}
	s.Spec.Apps = []App{
		{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Identity: IdentityHeaders, Upstream: Upstream{Service: "grafana", Port: 80}, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"app": "grafana"}}},
		{Name: "headlamp", Host: "headlamp.ops.example.com", Namespace: "headlamp", Identity: IdentityToken, AllowedGroups: []string{"sre"}, Upstream: Upstream{Service: "headlamp", Port: 80}, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"app": "headlamp"}}},
	}
}

func TestCommonCookieDomain(t *testing.T) {
	tests := []struct {
		hosts []string
		want  string
	}{
		{[]string{"oauthproxy.example.com", "grafana.example.com", "headlamp.ops.example.com"}, ".example.com"},
		{[]string{"a.ops.example.com", "b.ops.example.com:8443"}, ".ops.example.com"},
		{[]string{"localhost:1", "localhost:2"}, "localhost"},
		{[]string{"sso.example.com", "app.example.org"}, ""},
		// A cookie for a top-level domain: browsers refuse it.
		{[]string{"a.com", "b.com"}, ""},
		{[]string{"auth.example.com", "example.com"}, ".example.com"},
	}
	for _, tt := range tests {
		if got := CommonCookieDomain(tt.hosts); got != tt.want {
			t.Errorf("CommonCookieDomain(%q) = %q, want %q", tt.hosts, got, tt.want)
		}
	}
}

func TestSharedSigninIsValidAndDefaulted(t *testing.T) {
	s := validSpec()
	sharedApps(s)
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	au := s.Spec.Auth
	if au.CookieDomain != ".example.com" || au.Namespace != "oauth2-proxy" || au.ClientID != "oauth2-proxy" {
		t.Errorf("defaults: %+v", au)
	}
	if got := s.Spec.ProxyClients(); len(got) != 1 || got[0].ID != "oauth2-proxy" || got[0].RedirectURI != "https://oauthproxy.example.com/oauth2/callback" || !got[0].ForwardsToken {
		t.Errorf("one client for the sign-in host, trusted for the token app: %+v", got)
	}
}

// Fail closed: a cookie the browser would not send to an app, an app
// outside the sign-in host's domain, or a group the auth URL cannot carry
// is refused, never rendered into a login loop or an open app.
func TestSharedSigninRefusals(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*AuthStack)
		path, want string
	}{
		{"app outside the cookie domain", func(s *AuthStack) { s.Spec.Auth.CookieDomain = ".ops.example.com" }, "spec.auth.cookieDomain", "app grafana (spec.apps[0].host grafana.example.com) is not under it"},
		{"sign-in host outside the cookie domain", func(s *AuthStack) {
			s.Spec.Auth.Host = "sso.example.org"
			s.Spec.Auth.CookieDomain = ".example.com"
		}, "spec.auth.cookieDomain", "the sign-in host sso.example.org is not under it"},
		{"no common parent", func(s *AuthStack) { s.Spec.Auth.Host = "sso.example.org" }, "spec.auth.cookieDomain", "share no parent domain"},
		{"top-level cookie domain", func(s *AuthStack) { s.Spec.Auth.CookieDomain = ".com" }, "spec.auth.cookieDomain", "top-level domain"},
		{"comma in a group", func(s *AuthStack) { s.Spec.Apps[1].AllowedGroups = []string{"a,b"} }, "spec.apps[1].allowedGroups[0]", "comma"},
		{"per-app secret with a shared host", func(s *AuthStack) {
			externalIssuer(s)
			s.Spec.Apps[0].ClientSecret = &SecretKeyRef{Name: "grafana-oidc", Key: "secret"}
		}, "spec.apps[0].clientSecret", "spec.auth.clientSecret"},
		{"auth client secret with dex", func(s *AuthStack) { s.Spec.Auth.ClientSecret = &SecretKeyRef{Name: "x", Key: "y"} }, "spec.auth.clientSecret", "only with issuer.external"},
		{"sign-in host is an app host", func(s *AuthStack) { s.Spec.Auth.Host = "grafana.example.com" }, "spec.apps[0].host", "Duplicate"},
		{"kubectl's client", func(s *AuthStack) { s.Spec.Auth.ClientID = "kubernetes" }, "spec.auth.clientID", "kubectl client"},
		{"pod security of a namespace authstack does not create", func(s *AuthStack) { s.Spec.Auth.PodSecurity = PodSecurityBaseline }, "spec.auth.podSecurity", "createNamespace: true"},
		{"auth fields without a host", func(s *AuthStack) { s.Spec.Auth = Auth{CookieDomain: ".example.com"} }, "spec.auth.cookieDomain", "only to a shared sign-in host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, validate(func(s *AuthStack) { sharedApps(s); tt.edit(s) }), tt.path, tt.want)
		})
	}
}

// With an external issuer each app may have its own client secret, so
// appClientSecret is needed only by the apps without one; the shared
// proxy's client is the API server audience of token apps.
func TestPerAppClientSecretsWithAnExternalIssuer(t *testing.T) {
	own := func(s *AuthStack) {
		externalIssuer(s)
		s.Spec.Issuer.External.AppClientSecret = nil
		tokenApp(s)
		for i := range s.Spec.Apps {
			s.Spec.Apps[i].ClientSecret = &SecretKeyRef{Name: s.Spec.Apps[i].Name + "-oidc", Key: "client-secret"}
		}
	}
	if errs := validate(own); len(errs) > 0 {
		t.Errorf("every app with its own secret: %v", errs)
	}
	wantError(t, validate(func(s *AuthStack) {
		own(s)
		s.Spec.Apps = append(s.Spec.Apps, App{Name: "other", Host: "other.example.com", Namespace: "apps", Identity: IdentityHeaders, Upstream: Upstream{Service: "o", Port: 80}, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"a": "b"}}})
	}), "spec.issuer.external.appClientSecret", "Required")
	wantError(t, validate(func(s *AuthStack) { own(s); s.Spec.Apps[0].ClientSecret.Key = "" }), "spec.apps[0].clientSecret.key", "Required")
	wantError(t, validate(func(s *AuthStack) { tokenApp(s); s.Spec.Apps[0].ClientSecret = &SecretKeyRef{Name: "a", Key: "b"} }), "spec.apps[0].clientSecret", "only with issuer.external")

	s := validSpec()
	sharedApps(s)
	externalIssuer(s)
	s.Spec.Issuer.External.AppClientSecret = nil
	s.Spec.Auth.ClientSecret = &SecretKeyRef{Name: "oauth2-proxy-oidc", Key: "client-secret"}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	if !slices.Contains(s.Spec.APIServer.Audiences, "oauth2-proxy") {
		t.Errorf("audiences %q lack the shared proxy's client, whose id tokens the token app forwards", s.Spec.APIServer.Audiences)
	}
}

func TestLDAPWithoutPreferredUsernameIsWarnedAbout(t *testing.T) {
	s := validSpec()
	sharedApps(s)
	s.Spec.Issuer.Dex.Connectors[0].LDAP.UserSearch.PreferredUsernameAttr = ""
	SetDefaults(s)
	ws := Warnings(s)
	if !slices.ContainsFunc(ws, func(w Warning) bool {
		return w.Field == "spec.issuer.dex.connectors[0].ldap.userSearch.preferredUsernameAttr" && strings.Contains(w.Message, "no X-Auth-Request-Preferred-Username")
	}) {
		t.Errorf("no warning about the empty user name; got %v", ws)
	}
	s.Spec.Issuer.Dex.Connectors[0].LDAP.UserSearch.PreferredUsernameAttr = "uid"
	for _, w := range Warnings(s) {
		if strings.Contains(w.Field, "preferredUsernameAttr") {
			t.Errorf("warned with the attribute set: %v", w)
		}
	}
}
