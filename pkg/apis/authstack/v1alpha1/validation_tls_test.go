package v1alpha1

import (
	"reflect"
	"strings"
	"testing"
)

func grafana() App {
	return App{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Identity: IdentityHeaders,
		Upstream: Upstream{Service: "grafana", Port: 80}, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"app": "grafana"}}}
}

func TestHostWithoutTLSSourceIsRefused(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.TLS = TLS{}
		s.Spec.Apps = []App{grafana()}
	})
	wantError(t, errs, "spec.issuer.dex.tls.secretName", "host dex.example.com has no TLS certificate")
	wantError(t, errs, "spec.apps[0].tlsSecretName", "host grafana.example.com has no TLS certificate")
}

func TestUserSecretsAreATLSSource(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.TLS = TLS{}
		s.Spec.Issuer.Dex.TLS.SecretName = "dex-tls"
		a := grafana()
		a.TLSSecretName = "grafana-tls"
		s.Spec.Apps = []App{a}
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestInsecureHTTPAcceptsHostsWithoutTLSAndWarns(t *testing.T) {
	s := validSpec()
	s.Spec.TLS = TLS{InsecureHTTP: true}
	s.Spec.Apps = []App{grafana()}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	var fields []string
	for _, w := range Warnings(s) {
		if strings.Contains(w.Message, "without TLS") {
			fields = append(fields, w.Field)
		}
	}
	if want := []string{"spec.issuer.dex.tls.secretName", "spec.apps[0].tlsSecretName"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("warnings about hosts without TLS on %q, want %q", fields, want)
	}
}

func TestCertManagerNeedsAnIssuer(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.TLS.CertManager = &CertManager{Kind: "Cluster"} })
	wantError(t, errs, "spec.tls.certManager.issuer", "Required")
	wantError(t, errs, "spec.tls.certManager.kind", "Unsupported")
}

// Dex's own cert-manager setting is kept (ingress-shim), so a Certificate
// of spec.tls must not write the same Secret.
func TestOneSecretTwoCertificateSourcesIsRefused(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.Issuer.Dex.TLS.CertManager = &CertManager{Issuer: "letsencrypt"}
		a := grafana()
		a.Namespace, a.TLSSecretName = "dex", "dex-tls"
		s.Spec.Apps = []App{a}
	})
	wantError(t, errs, "spec.apps[0].tlsSecretName", "give each its own Secret")
}

func TestCertificatesCoverEveryHostOnceAndDexKeepsItsOwnSetting(t *testing.T) {
	s := validSpec()
	a, b := grafana(), grafana()
	b.Name, b.Host = "prometheus", "prometheus.example.com"
	a.TLSSecretName, b.TLSSecretName = "monitoring-tls", "monitoring-tls"
	s.Spec.Apps = []App{a, b}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	got := s.Spec.CertificateGroups()
	want := []CertificateGroup{
		{Namespace: "dex", SecretName: "dex-tls", DNSNames: []string{"dex.example.com"}, CertManager: s.Spec.TLS.CertManager},
		{Namespace: "monitoring", SecretName: "monitoring-tls", DNSNames: []string{"grafana.example.com", "prometheus.example.com"}, CertManager: s.Spec.TLS.CertManager},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("certificates = %+v, want %+v", got, want)
	}
	s.Spec.Issuer.Dex.TLS.CertManager = &CertManager{Issuer: "internal", Kind: "Issuer"}
	for _, g := range s.Spec.CertificateGroups() {
		if g.Namespace == "dex" {
			t.Errorf("dex's own certManager is set, yet spec.tls renders a Certificate for it: %+v", g)
		}
	}
	if h := s.Spec.Hosts()[0]; h.Source != TLSIngressAnnotation || h.CertManager.Issuer != "internal" {
		t.Errorf("dex host = %+v, want its own issuer through the Ingress annotation", h)
	}
}

func headlamp() App {
	return App{Name: "headlamp", Host: "headlamp.example.com", Namespace: "headlamp", Identity: IdentityOIDC,
		AppSoftware: AppSoftware{Kind: AppKindHeadlamp}, Upstream: Upstream{Service: "headlamp", Port: 80},
		AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"app.kubernetes.io/name": "headlamp"}}}
}

func TestOwnLoginAppDefaults(t *testing.T) {
	s := validSpec()
	s.Spec.Apps = []App{headlamp()}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	a := &s.Spec.Apps[0]
	if a.ClientID != "headlamp" || a.RedirectURI() != "https://headlamp.example.com/oidc-callback" {
		t.Errorf("client %q redirect %q", a.ClientID, a.RedirectURI())
	}
	// Dex mints Headlamp's id token for the kubectl audience too (cross-client).
	if got := s.Spec.OwnLoginScopes(); !reflect.DeepEqual(got[len(got)-1], "audience:server:client_id:kubernetes") {
		t.Errorf("scopes = %q", got)
	}
	if !reflect.DeepEqual(s.Spec.APIServer.Audiences, []string{"kubernetes"}) {
		t.Errorf("audiences = %q", s.Spec.APIServer.Audiences)
	}
}

func TestOwnLoginWithExternalIssuerAddsTheAppAudience(t *testing.T) {
	s := validSpec()
	s.Spec.Issuer = Issuer{External: &ExternalIssuer{URL: "https://login.example.com", AppClientSecret: &SecretRef{Env: "X"}}}
	s.Spec.Apps = []App{headlamp()}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(s.Spec.APIServer.Audiences, []string{"kubernetes", "headlamp"}) {
		t.Errorf("audiences = %q, want the headlamp client too", s.Spec.APIServer.Audiences)
	}
	for _, sc := range s.Spec.OwnLoginScopes() {
		if sc == "openid" || strings.HasPrefix(sc, "audience:") {
			t.Errorf("scope %q: Headlamp adds openid itself, and another issuer knows no dex scope", sc)
		}
	}
}

func TestOwnLoginRefusesWhatOnlyAProxyEnforces(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		a := headlamp()
		a.Kind = ""
		a.AllowedGroups = []string{"admins"}
		a.AllowedEmailDomains = []string{"example.com"}
		s.Spec.Apps = []App{a}
	})
	wantError(t, errs, "spec.apps[0].kind", "headlamp")
	wantError(t, errs, "spec.apps[0].allowedGroups", "no oauth2-proxy")
	wantError(t, errs, "spec.apps[0].allowedEmailDomains", "no oauth2-proxy")
	errs = validate(func(s *AuthStack) {
		a := grafana()
		a.Kind = "grafana"
		s.Spec.Apps = []App{a}
	})
	wantError(t, errs, "spec.apps[0].kind", "Unsupported")
}
