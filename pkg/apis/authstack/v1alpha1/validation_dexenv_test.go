package v1alpha1

import (
	"strings"
	"testing"
)

func twoApps(a, b string) func(*AuthStack) {
	return func(s *AuthStack) {
		for i, id := range []string{a, b} {
			name := []string{"one", "two"}[i]
			s.Spec.Apps = append(s.Spec.Apps, App{Name: name, Host: name + ".example.com", Namespace: "apps",
				Upstream: Upstream{Service: name, Port: 80}, Identity: IdentityHeaders, ClientID: id})
		}
	}
}

// Regression (red-team of the renderer): clients "app-a" and "app.a" were
// both given dex's CLIENT_SECRET_APP_A, so one of them got the other's
// secret; "$host" made a Secret key the API server refuses.
func TestDexClientIDsMapToDistinctPlainEnvNames(t *testing.T) {
	if errs := validate(twoApps("app-a", "app-b")); len(errs) > 0 {
		t.Fatalf("distinct ids refused: %v", errs)
	}
	for _, pair := range [][2]string{{"app-a", "app.a"}, {"app-a", "APP_A"}, {"app.a", "app_a"}} {
		wantError(t, validate(twoApps(pair[0], pair[1])), "spec.apps[1].clientID", "CLIENT_SECRET_APP_A")
	}
	for _, id := range []string{"$host", "a$HOME", "é", "a b", "-a", "a=b"} {
		wantError(t, validate(twoApps(id, "app-b")), "spec.apps[0].clientID", "letters, digits")
	}
	wantError(t, validate(func(s *AuthStack) { s.Spec.Kubectl.ClientID = "app-a"; twoApps("app.a", "b")(s) }),
		"spec.apps[0].clientID", `client "app-a" of spec.kubectl.clientID`)
}

// Regression: dex's ingressClassName under ingress-nginx was not checked
// and is written into the dex Ingress by the chart, so "nginx\n  b: c"
// added a key to the Ingress's spec.
func TestDexIngressClassIsAnObjectName(t *testing.T) {
	for _, class := range []string{"nginx\n  b: c", "a: b", "*a", "Nginx"} {
		wantError(t, validate(func(s *AuthStack) { s.Spec.Issuer.Dex.IngressClassName = class }), "spec.issuer.dex.ingressClassName", "DNS name")
	}
	if errs := validate(func(s *AuthStack) { s.Spec.Issuer.Dex.IngressClassName = "nginx-internal" }); len(errs) > 0 {
		t.Fatalf("a plain class refused: %v", errs)
	}
}

// Regression: a backtick in dex's path ended the Traefik rule's quote, so
// "/x`)||PathPrefix(`/" routed every host's requests to dex.
func TestDexPathIsAPlainURLPath(t *testing.T) {
	for _, p := range []string{"/x`)||PathPrefix(`/", "/a$b", "/a;b", "/a%2F", "/a#b", "/a?b"} {
		wantError(t, validate(func(s *AuthStack) { s.Spec.Issuer.Dex.Path = p }), "spec.issuer.dex.path", "only letters, digits")
	}
	if errs := validate(func(s *AuthStack) { s.Spec.Issuer.Dex.Path = "/dex_v2.x~y-z" }); len(errs) > 0 {
		t.Fatalf("a plain path refused: %v", errs)
	}
}

// Regression: spec.images.dex is written into dex's Deployment by the
// chart; "…\n      hostNetwork: true" put dex on the node's network.
func TestImageOverridesAreImageReferences(t *testing.T) {
	for _, im := range []string{"ghcr.io/dexidp/dex:v2.44.0\n      hostNetwork: true", "dex:v2 #x", "Dex:v2", "dex:{{ .Values }}", "dex:$TAG"} {
		wantError(t, validate(func(s *AuthStack) { s.Spec.Images.Dex = im }), "spec.images.dex", "image reference")
		wantError(t, validate(func(s *AuthStack) { s.Spec.Images.OAuth2Proxy = im }), "spec.images.oauth2Proxy", "image reference")
	}
	for _, im := range []string{"dex:v2", "ghcr.io/dexidp/dex:v2.44.0", "registry.local:5000/dex@sha256:" + strings.Repeat("a", 64)} {
		if errs := validate(func(s *AuthStack) { s.Spec.Images.Dex = im }); len(errs) > 0 {
			t.Errorf("%s refused: %v", im, errs)
		}
	}
}

// Regression: "groups,email" passed as one extra scope; kubelogin splits
// --oidc-extra-scope at commas, so kubectl asked for two scopes where
// oauth2-proxy asked for one, and a newline or quote went through too.
func TestScopesAreSingleTokens(t *testing.T) {
	for _, sc := range []string{"groups,email", "a\nb", `a"b`, `a\b`, "é", "a b", ""} {
		wantError(t, validate(func(s *AuthStack) { s.Spec.Kubectl.ExtraScopes = []string{"openid", sc} }), "spec.kubectl.extraScopes[1]", "must be one scope")
	}
	if errs := validate(func(s *AuthStack) {
		s.Spec.Kubectl.ExtraScopes = []string{"groups", "audience:server:client_id:x", "https://graph.microsoft.com/.default"}
	}); len(errs) > 0 {
		t.Fatalf("plain scopes refused: %v", errs)
	}
}

// Regression: "https://issuer.example.com?" and "…#" passed, since net/url
// leaves RawQuery and Fragment empty for a bare "?" or "#"; the issuer
// string the API server compares with each token's iss would carry them.
func TestIssuerURLsHaveNoBareQueryOrFragment(t *testing.T) {
	for _, u := range []string{"https://keycloak.example.com/realms/a?", "https://keycloak.example.com/realms/a#", "https://evil.example.com#@keycloak.example.com", "https://u:p@keycloak.example.com"} {
		wantError(t, validate(func(s *AuthStack) { externalIssuer(s); s.Spec.Issuer.External.URL = u }), "spec.issuer.external.url", "query, fragment or user info")
	}
}

// Regression: dex's own cert-manager issuer was not checked and is written
// into the annotations of dex's Ingress; "a\nb: c" added a key to it.
func TestDexCertManagerIssuerIsAnObjectName(t *testing.T) {
	for _, is := range []string{"a\nb: c", "a\r\nX: 1", "Lets Encrypt"} {
		wantError(t, validate(func(s *AuthStack) { s.Spec.Issuer.Dex.TLS.CertManager = &CertManager{Issuer: is} }), "spec.issuer.dex.tls.certManager.issuer", "DNS name")
	}
}
