package oauth2proxy

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

func TestSigninKeepsThePortOfTheHost(t *testing.T) {
	tests := []struct{ host, want string }{
		{"dash.example.com", "https://dash.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri"},
		{"localhost:8443", "https://localhost:8443/oauth2/start?rd=$scheme://$http_host$escaped_request_uri"},
	}
	for _, tt := range tests {
		app := v1alpha1.App{Name: "a", Host: tt.host, Namespace: "apps", Identity: v1alpha1.IdentityToken}
		spec := &v1alpha1.Spec{Apps: []v1alpha1.App{app}}
		a, err := Annotations(spec, &spec.Apps[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := a["nginx.ingress.kubernetes.io/auth-signin"]; got != tt.want {
			t.Errorf("host %s: auth-signin = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestNoSnippetAnnotations(t *testing.T) {
	for _, mode := range []v1alpha1.IdentityMode{v1alpha1.IdentityToken, v1alpha1.IdentityHeaders} {
		spec := &v1alpha1.Spec{Apps: []v1alpha1.App{{Name: "a", Host: "a.example.com", Namespace: "apps", Identity: mode, Upstream: v1alpha1.Upstream{Protocol: "HTTPS"}}}}
		a, err := Annotations(spec, &spec.Apps[0])
		if err != nil {
			t.Fatal(err)
		}
		for k := range a {
			if strings.Contains(k, "snippet") {
				t.Errorf("%s mode renders the snippet annotation %s", mode, k)
			}
		}
		// What render prints, the shared model reads back unchanged, so
		// doctor and import see the same settings.
		parsed, err := ingressnginx.Parse(a)
		if err != nil {
			t.Fatalf("%s mode: rendered annotations do not parse: %v", mode, err)
		}
		if again, _ := parsed.Annotations(); !reflect.DeepEqual(again, a) {
			t.Errorf("%s mode: annotations do not round-trip:\n got %v\nwant %v", mode, again, a)
		}
	}
}

func TestCookieRefreshIsShorterThanTheIDToken(t *testing.T) {
	for _, lifetime := range []string{"1h", "10m", "24h", "1m"} {
		spec := &v1alpha1.Spec{Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{IDTokenLifetime: lifetime}}}
		got := CookieRefresh(spec)
		if lt, _ := time.ParseDuration(lifetime); got <= 0 || got >= lt {
			t.Errorf("id token %s: cookie_refresh %s is not shorter", lifetime, got)
		}
	}
}

// Only dex knows the cross-client scope audience:server:client_id:; an
// external issuer ignores or refuses it, and its id token's audience stays
// the proxy's own client.
func TestCrossClientScopeOnlyForDex(t *testing.T) {
	app := &v1alpha1.App{Name: "dash", Host: "dash.example.com", Namespace: "apps", Identity: v1alpha1.IdentityToken, ClientID: "oauth2-proxy-dash"}
	dex := &v1alpha1.Spec{Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}}, Kubectl: v1alpha1.Kubectl{ClientID: "kubernetes"}}
	ext := &v1alpha1.Spec{Issuer: v1alpha1.Issuer{External: &v1alpha1.ExternalIssuer{URL: "https://keycloak.example.com/realms/a"}}, Kubectl: v1alpha1.Kubectl{ClientID: "kubernetes"}}
	if got := mustConfig(t, dex, app); !strings.Contains(got, "audience:server:client_id:kubernetes") {
		t.Errorf("dex: no cross-client scope in\n%s", got)
	}
	got := mustConfig(t, ext, app)
	for _, bad := range []string{"audience:server:client_id:", "oidc_extra_audiences"} {
		if strings.Contains(got, bad) {
			t.Errorf("external issuer: config has %q:\n%s", bad, got)
		}
	}
}

// groups is a dex scope: Keycloak (10 and later) refuses a scope it does
// not know with invalid_scope, and a realm has no groups scope by default.
// Another issuer gets the scopes its spec names, openid profile email
// offline_access by default.
func TestExternalIssuerScopes(t *testing.T) {
	app := &v1alpha1.App{Name: "dash", Host: "dash.example.com", Namespace: "apps", Identity: v1alpha1.IdentityHeaders, ClientID: "dash", AppIdentityHeaders: v1alpha1.AppIdentityHeaders{UserHeaderClaim: v1alpha1.UserHeaderPreferredUsername}}
	s := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{Issuer: v1alpha1.Issuer{External: &v1alpha1.ExternalIssuer{URL: "https://keycloak.example.com/realms/a"}}}}
	v1alpha1.SetDefaults(s)
	if got := mustModel(t, &s.Spec, app); got.Scope != "openid profile email offline_access" {
		t.Errorf("default scopes of an external issuer: %q", got.Scope)
	}
	s.Spec.Issuer.External.Scopes = []string{"openid", "email", "groups"}
	// profile too: the app's X-Auth-Request-User is preferred_username.
	if got := mustModel(t, &s.Spec, app); got.Scope != "openid email groups profile" {
		t.Errorf("scopes the spec names, with the claim's: %q", got.Scope)
	}
}

func mustConfig(t *testing.T, spec *v1alpha1.Spec, app *v1alpha1.App) string {
	t.Helper()
	withApp := *spec
	withApp.Apps = []v1alpha1.App{*app}
	cfg, err := Config(&withApp, &withApp.Apps[0], false)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Config + cfg.Alpha
}

// mustModel reads app's rendered config files back, as oauth2-proxy does.
func mustModel(t *testing.T, spec *v1alpha1.Spec, app *v1alpha1.App) *format.Config {
	t.Helper()
	withApp := *spec
	withApp.Apps = []v1alpha1.App{*app}
	files, err := Config(&withApp, &withApp.Apps[0], false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := format.ParseFiles([]byte(files.Config), []byte(files.Alpha), nil)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, files.Config, files.Alpha)
	}
	return c.Effective()
}
