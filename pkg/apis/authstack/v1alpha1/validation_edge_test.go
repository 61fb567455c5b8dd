package v1alpha1

import (
	"strings"
	"testing"
)

// nonEdgeWarnings leaves out the edge provider's warning (ingress-nginx is
// retired), which every default spec gets, for tests about other warnings.
func nonEdgeWarnings(s *AuthStack) []Warning {
	var out []Warning
	for _, w := range Warnings(s) {
		if w.Field != "spec.edge.provider" {
			out = append(out, w)
		}
	}
	return out
}

func edgeApp(identity IdentityMode) App {
	return App{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80},
		Identity: identity, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"app": "grafana"}}}
}

func withEdge(e Edge, apps ...App) func(*AuthStack) {
	return func(s *AuthStack) {
		s.Spec.Edge = e
		s.Spec.Apps = apps
		if s.Spec.GatewayEdge() {
			// The Gateway's listeners terminate TLS (validateTLS).
			s.Spec.TLS.CertManager = nil
			if d := s.Spec.Issuer.Dex; d != nil {
				d.TLS.CertManager = nil
			}
		}
	}
}

var eg = []ParentRef{{Name: "eg", Namespace: "envoy-gateway-system", SectionName: "https"}}

func TestEdgeProvidersThatValidate(t *testing.T) {
	for _, e := range []Edge{
		{},
		{Provider: EdgeEnvoyGateway, ParentRefs: eg},
		{Provider: EdgeTraefik},
		{Provider: EdgeTraefik, Traefik: &TraefikEdge{Kind: TraefikIngress}},
		{Provider: EdgeGatewayAPI, ParentRefs: eg},
	} {
		identity := IdentityHeaders
		if e.Provider == EdgeGatewayAPI {
			identity = IdentityToken
		}
		if errs := validate(withEdge(e, edgeApp(identity))); len(errs) > 0 {
			t.Errorf("%+v: %v", e, errs)
		}
	}
}

// An unknown provider, or one without what it needs, is refused: nothing
// is rendered that would route to an app without a login.
func TestEdgeRefusesWhatItCannotRenderSafely(t *testing.T) {
	cases := []struct {
		name        string
		edit        func(*AuthStack)
		field, want string
	}{
		{"unknown provider", withEdge(Edge{Provider: "haproxy"}, edgeApp(IdentityToken)), "spec.edge.provider", "supported values"},
		{"gateway without parentRefs", withEdge(Edge{Provider: EdgeEnvoyGateway}, edgeApp(IdentityToken)), "spec.edge.parentRefs", "Required"},
		{"parentRef without namespace", withEdge(Edge{Provider: EdgeGatewayAPI, ParentRefs: []ParentRef{{Name: "gw"}}}, edgeApp(IdentityToken)), "spec.edge.parentRefs[0].namespace", "Required"},
		{"parentRefs with traefik", withEdge(Edge{Provider: EdgeTraefik, ParentRefs: eg}, edgeApp(IdentityToken)), "spec.edge.parentRefs", "only with provider envoy-gateway or gateway-api"},
		{"traefik block with envoy", withEdge(Edge{Provider: EdgeEnvoyGateway, ParentRefs: eg, Traefik: &TraefikEdge{}}, edgeApp(IdentityToken)), "spec.edge.traefik", "only with provider traefik"},
		{"traefik kind", withEdge(Edge{Provider: EdgeTraefik, Traefik: &TraefikEdge{Kind: "HTTPRoute"}}, edgeApp(IdentityToken)), "spec.edge.traefik.kind", "supported values"},
		{"headers app on plain gateway-api", withEdge(Edge{Provider: EdgeGatewayAPI, ParentRefs: eg}, edgeApp(IdentityHeaders)), "spec.apps[0].identity", "X-Auth-Request-Groups"},
		{"nginx class on traefik", func(s *AuthStack) {
			withEdge(Edge{Provider: EdgeTraefik}, edgeApp(IdentityToken))(s)
			s.Spec.Apps[0].IngressClassName = "nginx"
		}, "spec.apps[0].ingressClassName", "ingress-nginx's"},
		{"class on a gateway", func(s *AuthStack) {
			withEdge(Edge{Provider: EdgeEnvoyGateway, ParentRefs: eg}, edgeApp(IdentityToken))(s)
			s.Spec.Apps[0].IngressClassName = "eg"
		}, "spec.apps[0].ingressClassName", "would be ignored"},
		{"https upstream off nginx", func(s *AuthStack) {
			withEdge(Edge{Provider: EdgeTraefik}, edgeApp(IdentityToken))(s)
			s.Spec.Apps[0].Upstream.Protocol = "HTTPS"
		}, "spec.apps[0].upstream.protocol", "only for ingress-nginx"},
		{"cert-manager for dex behind a gateway", func(s *AuthStack) {
			withEdge(Edge{Provider: EdgeEnvoyGateway, ParentRefs: eg}, edgeApp(IdentityToken))(s)
			s.Spec.Issuer.Dex.TLS.CertManager = &CertManager{Issuer: "letsencrypt"}
		}, "spec.issuer.dex.tls.certManager", "Gateway's listener"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantError(t, validate(c.edit), c.field, c.want) })
	}
}

func TestEdgeDefaultsFollowTheProvider(t *testing.T) {
	cases := []struct {
		edge         Edge
		class, netNS string
	}{
		{Edge{}, "nginx", "ingress-nginx"},
		{Edge{Provider: EdgeEnvoyGateway, ParentRefs: eg}, "", "envoy-gateway-system"},
		{Edge{Provider: EdgeTraefik}, "traefik", "traefik"},
		{Edge{Provider: EdgeGatewayAPI, ParentRefs: []ParentRef{{Name: "gw", Namespace: "gateways"}}}, "", "gateways"},
	}
	for _, c := range cases {
		s := validSpec()
		withEdge(c.edge, edgeApp(IdentityToken))(s)
		SetDefaults(s)
		if got := s.Spec.Apps[0].IngressClassName; got != c.class {
			t.Errorf("%s: app class %q, want %q", s.Spec.Edge.Provider, got, c.class)
		}
		if got := s.Spec.Issuer.Dex.IngressClassName; got != c.class {
			t.Errorf("%s: dex class %q, want %q", s.Spec.Edge.Provider, got, c.class)
		}
		if got := s.Spec.NetworkPolicy.IngressNamespace; got != c.netNS {
			t.Errorf("%s: network policy namespace %q, want %q", s.Spec.Edge.Provider, got, c.netNS)
		}
	}
}

func TestRetiredIngressNginxIsWarnedAbout(t *testing.T) {
	s := validSpec()
	SetDefaults(s)
	ws := Warnings(s)
	if len(ws) != 1 || ws[0].Field != "spec.edge.provider" || !strings.Contains(ws[0].Message, "retired") {
		t.Errorf("warnings = %v, want one that ingress-nginx is retired", ws)
	}
	s = validSpec()
	withEdge(Edge{Provider: EdgeTraefik}, edgeApp(IdentityToken))(s)
	s.Spec.Apps[0].AllowedGroups = []string{"sre"}
	SetDefaults(s)
	if ws := Warnings(s); len(ws) != 0 {
		t.Errorf("traefik: warnings = %v, want none", ws)
	}
}
