package v1alpha1

// EdgeProvider is the component that receives the users' requests and asks
// oauth2-proxy about each of them before it reaches an app.
type EdgeProvider string

const (
	// EdgeIngressNginx is ingress-nginx with its auth-url/auth-signin
	// annotations. Retired: best-effort maintenance ended in March 2026.
	EdgeIngressNginx EdgeProvider = "ingress-nginx"
	// EdgeEnvoyGateway is Envoy Gateway: Gateway API HTTPRoutes on an existing
	// Gateway plus a SecurityPolicy (gateway.envoyproxy.io/v1alpha1) whose
	// extAuth asks oauth2-proxy.
	EdgeEnvoyGateway EdgeProvider = "envoy-gateway"
	// EdgeTraefik is Traefik with a ForwardAuth Middleware (traefik.io/v1alpha1)
	// on an IngressRoute or an Ingress.
	EdgeTraefik EdgeProvider = "traefik"
	// EdgeGatewayAPI is any Gateway API implementation that supports the
	// HTTPRoute ExternalAuth filter (experimental channel).
	EdgeGatewayAPI EdgeProvider = "gateway-api"
)

// EdgeProviders are the providers authstack knows how to make enforce a login.
var EdgeProviders = []EdgeProvider{EdgeIngressNginx, EdgeEnvoyGateway, EdgeTraefik, EdgeGatewayAPI}

// Default namespaces of the edge's proxy pods, the only clients the
// NetworkPolicies let reach dex, the oauth2-proxies and the apps.
const (
	DefaultEnvoyGatewayNamespace = "envoy-gateway-system"
	DefaultTraefikNamespace      = "traefik"
	DefaultTraefikClass          = "traefik"
	DefaultTraefikEntryPoint     = "websecure"
)

// Edge says how users' requests reach dex and the apps, and which component
// enforces the login in front of each app.
type Edge struct {
	// Provider is ingress-nginx (default; retired, validate warns), envoy-gateway,
	// traefik or gateway-api. Any other value is refused.
	Provider EdgeProvider `json:"provider,omitempty"`
	// ParentRefs are the existing Gateways (and listeners) the HTTPRoutes attach to:
	// required for envoy-gateway and gateway-api, refused otherwise. authstack renders
	// no Gateway: its listeners, addresses and certificates belong to the cluster.
	ParentRefs []ParentRef `json:"parentRefs,omitempty"`
	// Traefik settings, only with provider traefik.
	Traefik *TraefikEdge `json:"traefik,omitempty"`
}

// ParentRef names a Gateway listener, as a Gateway API parentRef does.
type ParentRef struct {
	// Name of the Gateway.
	Name string `json:"name"`
	// Namespace of the Gateway (required: the routes live in several namespaces).
	Namespace string `json:"namespace"`
	// SectionName is the listener of the Gateway (an HTTPS listener), or empty for all of them.
	SectionName string `json:"sectionName,omitempty"`
}

// TraefikKind is the object Traefik routes an app with.
type TraefikKind string

const (
	TraefikIngressRoute TraefikKind = "IngressRoute"
	TraefikIngress      TraefikKind = "Ingress"
)

// TraefikEdge holds the Traefik choices.
type TraefikEdge struct {
	// Kind is IngressRoute (default, traefik.io/v1alpha1) or Ingress (networking.k8s.io/v1
	// with the traefik.ingress.kubernetes.io/router.middlewares annotation).
	Kind TraefikKind `json:"kind,omitempty"`
	// EntryPoints the routes listen on (default [websecure], the HTTPS entry point of
	// Traefik's Helm chart); an entry point without TLS would serve the login over HTTP.
	EntryPoints []string `json:"entryPoints,omitempty"`
}

// EdgeProvider returns the provider, ingress-nginx when unset.
func (s *Spec) EdgeProvider() EdgeProvider {
	if s.Edge.Provider == "" {
		return EdgeIngressNginx
	}
	return s.Edge.Provider
}

// GatewayEdge reports whether the routes are Gateway API HTTPRoutes.
func (s *Spec) GatewayEdge() bool {
	p := s.EdgeProvider()
	return p == EdgeEnvoyGateway || p == EdgeGatewayAPI
}

// defaultIngressClass is the ingressClassName of dex and the apps when the
// spec names none: ingress-nginx's and Traefik's usual class names; none
// for a Gateway, where routes attach to parentRefs instead.
func (e *Edge) defaultIngressClass() string {
	switch e.Provider {
	case EdgeTraefik:
		return DefaultTraefikClass
	case EdgeEnvoyGateway, EdgeGatewayAPI:
		return ""
	}
	return DefaultIngressClass
}

// defaultIngressNamespace is where the edge's proxy pods usually run: the
// namespaces the providers' own install guides and Helm charts use.
func (e *Edge) defaultIngressNamespace() string {
	switch e.Provider {
	case EdgeEnvoyGateway:
		return DefaultEnvoyGatewayNamespace
	case EdgeTraefik:
		return DefaultTraefikNamespace
	case EdgeGatewayAPI:
		// The namespace of the Gateway's data plane depends on the
		// implementation; the first Gateway's namespace is the usual one.
		if len(e.ParentRefs) > 0 && e.ParentRefs[0].Namespace != "" {
			return e.ParentRefs[0].Namespace
		}
	}
	return DefaultIngressNamespace
}

func (e *Edge) setDefaults() {
	if e.Provider == "" {
		e.Provider = EdgeIngressNginx
	}
	if e.Provider == EdgeTraefik {
		if e.Traefik == nil {
			e.Traefik = &TraefikEdge{}
		}
		if e.Traefik.Kind == "" {
			e.Traefik.Kind = TraefikIngressRoute
		}
		if len(e.Traefik.EntryPoints) == 0 {
			e.Traefik.EntryPoints = []string{DefaultTraefikEntryPoint}
		}
	}
}
