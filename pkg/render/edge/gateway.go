package edge

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/meta"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// How the Gateway providers ask oauth2-proxy, and why:
//
//   - Envoy's HTTP ext_authz (which Envoy Gateway's SecurityPolicy extAuth
//     and Gateway API's ExternalAuth filter configure) allows a request only
//     when the auth server answers 200; any other answer goes back to the
//     client as it is, headers included (Envoy docs, ext_authz filter;
//     gateway-api apis/v1 HTTPExternalAuthFilter: "each backend must respond
//     with a 200 status code"; envoyproxy/gateway#4562: oauth2-proxy's 202
//     counts as denied). So oauth2-proxy's /oauth2/auth (202 or 401, no
//     redirect) cannot be used: the check goes to oauth2-proxy's proxy
//     endpoint, whose static upstream answers 200 with the identity
//     headers for a signed-in user, and whose answer to a browser without a
//     session is the 302 to dex (skip_provider_button), which Envoy passes
//     on (oauth2-proxy PR #265 added static upstreams for this).
//     oauth2proxy.StaticUpstream picks static://200 for these providers.
//   - The check carries the original path (no path prefix: the
//     SecurityPolicy's path and the filter's path are prefixes the original
//     path is appended to), so oauth2-proxy's redirect after login returns
//     to the page asked for. oauth2-proxy answers some paths itself before
//     any session check (/ping, /ready: 200; /robots.txt): for those paths
//     the check would say yes to anyone. The oauth2-proxy-<app> HTTPRoute
//     sends exactly these paths, and /oauth2/*, to oauth2-proxy without a
//     check, so no unauthenticated request reaches the app through them;
//     the app's own /ping, /ready and /robots.txt are not reachable.
//   - Only Host, Method, Path, Content-Length and Authorization reach an
//     HTTP auth server unless listed (SecurityPolicy headersToExtAuth,
//     filter allowedHeaders): the session cookie, Accept (oauth2-proxy
//     answers 401 instead of redirecting when JSON is asked for) and
//     X-Forwarded-Proto (the scheme of the page to return to) are listed.
//   - Response headers are copied onto the app request, replacing the
//     client's, but only when oauth2-proxy sends them; oauth2-proxy sends no
//     X-Auth-Request-Groups for a user in no group, and the client's header
//     would then reach a headers app. Envoy Gateway's ClientTrafficPolicy
//     headers.earlyRequestHeaders removes them before routing and before
//     the ext_authz filter (its CRD description: "before envoy performs
//     routing, tracing and built-in header manipulation"); the standard
//     filter has no such thing, so validation refuses headers apps there.

// Gateway API and Envoy Gateway groups.
const (
	gatewayGroup = "gateway.networking.k8s.io"
	egAPIVersion = "gateway.envoyproxy.io/v1alpha1"
)

// extAuthRequestHeaders are the client headers the auth check needs beyond
// the ones always sent.
var extAuthRequestHeaders = []string{"Cookie", "Accept", "X-Forwarded-Proto"}

// oauth2ProxyPaths are served by oauth2-proxy without a check.
var oauth2ProxyPaths = []gwv1.HTTPPathMatch{
	{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/oauth2")},
	{Type: ptr.To(gwv1.PathMatchExact), Value: ptr.To("/ping")},
	{Type: ptr.To(gwv1.PathMatchExact), Value: ptr.To("/ready")},
	{Type: ptr.To(gwv1.PathMatchExact), Value: ptr.To("/robots.txt")},
}

func (r *renderer) parentRefs() []gwv1.ParentReference {
	var out []gwv1.ParentReference
	for _, p := range r.Spec.Edge.ParentRefs {
		ref := gwv1.ParentReference{
			Group:     ptr.To(gwv1.Group(gatewayGroup)),
			Kind:      ptr.To(gwv1.Kind("Gateway")),
			Name:      gwv1.ObjectName(p.Name),
			Namespace: ptr.To(gwv1.Namespace(p.Namespace)),
		}
		if p.SectionName != "" {
			ref.SectionName = ptr.To(gwv1.SectionName(p.SectionName))
		}
		out = append(out, ref)
	}
	return out
}

func (r *renderer) httpRoute(name, namespace, component, host string, rules []gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
	return &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: meta.Copy(r.Labels(component))},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: r.parentRefs()},
			Hostnames:       []gwv1.Hostname{gwv1.Hostname(hostOnly(host))},
			Rules:           rules,
		},
	}
}

func backend(name, namespace string, port int32) gwv1.HTTPBackendRef {
	return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
		Name: gwv1.ObjectName(name), Port: ptr.To(gwv1.PortNumber(port)),
	}}}
}

func (r *renderer) gateway() error {
	spec := r.Spec
	if d := spec.Issuer.Dex; d != nil {
		route := r.httpRoute(dexService, d.Namespace, "dex", d.Host, []gwv1.HTTPRouteRule{{
			Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To(dexPath(d))}}},
			BackendRefs: []gwv1.HTTPBackendRef{backend(dexService, "", dexPort)},
		}})
		if err := r.add(r.DexFile, route); err != nil {
			return err
		}
	}
	for i := range spec.Apps {
		app := &spec.Apps[i]
		file := r.AppFile(app.Name)
		proxy := oauth2proxy.Name(app)
		var matches []gwv1.HTTPRouteMatch
		for _, m := range oauth2ProxyPaths {
			matches = append(matches, gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: m.Type, Value: m.Value}})
		}
		proxyRoute := r.httpRoute(proxy, app.Namespace, proxy, app.Host, []gwv1.HTTPRouteRule{{
			Matches: matches, BackendRefs: []gwv1.HTTPBackendRef{backend(proxy, "", oauth2proxy.Port)},
		}})
		appRule := gwv1.HTTPRouteRule{
			Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/")}}},
			BackendRefs: []gwv1.HTTPBackendRef{backend(app.Upstream.Service, "", app.Upstream.Port)},
		}
		if spec.EdgeProvider() == v1alpha1.EdgeGatewayAPI {
			appRule.Filters = []gwv1.HTTPRouteFilter{{
				Type: gwv1.HTTPRouteFilterExternalAuth,
				ExternalAuth: &gwv1.HTTPExternalAuthFilter{
					ExternalAuthProtocol: gwv1.HTTPRouteExternalAuthHTTPProtocol,
					BackendRef:           gwv1.BackendObjectReference{Name: gwv1.ObjectName(proxy), Port: ptr.To(gwv1.PortNumber(oauth2proxy.Port))},
					// An empty allowedResponseHeaders copies every header
					// of the answer; list exactly the identity.
					HTTPAuthConfig: &gwv1.HTTPAuthConfig{
						AllowedRequestHeaders:  extAuthRequestHeaders,
						AllowedResponseHeaders: responseHeaders(app),
					},
				},
			}}
		}
		appRoute := r.httpRoute(app.Name, app.Namespace, app.Name, app.Host, []gwv1.HTTPRouteRule{appRule})
		if err := r.add(file, proxyRoute); err != nil {
			return err
		}
		if err := r.add(file, appRoute); err != nil {
			return err
		}
		if spec.EdgeProvider() == v1alpha1.EdgeEnvoyGateway {
			if err := r.add(file, r.securityPolicy(app)); err != nil {
				return err
			}
		}
	}
	if spec.EdgeProvider() == v1alpha1.EdgeEnvoyGateway && anyHeadersApp(spec) {
		for _, p := range spec.Edge.ParentRefs {
			if err := r.add(r.EdgeFile, r.clientTrafficPolicy(p)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Envoy Gateway objects (gateway.envoyproxy.io/v1alpha1), only the fields
// authstack sets; JSON names as in Envoy Gateway v1.9's CRDs
// (charts/gateway-crds-helm/templates/generated/).

// SecurityPolicy is gateway.envoyproxy.io/v1alpha1 SecurityPolicy.
type SecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              SecurityPolicySpec `json:"spec"`
}

// SecurityPolicySpec holds the target routes and the external auth.
type SecurityPolicySpec struct {
	TargetRefs []PolicyTargetRef `json:"targetRefs"`
	ExtAuth    *ExtAuth          `json:"extAuth,omitempty"`
}

// PolicyTargetRef names the route or Gateway a policy applies to.
type PolicyTargetRef struct {
	Group       string `json:"group"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	SectionName string `json:"sectionName,omitempty"`
}

// ExtAuth is SecurityPolicy's extAuth.
type ExtAuth struct {
	HTTP             *HTTPExtAuthService `json:"http,omitempty"`
	HeadersToExtAuth []string            `json:"headersToExtAuth,omitempty"`
	// FailOpen false: when oauth2-proxy cannot be asked, the request is refused.
	FailOpen *bool `json:"failOpen,omitempty"`
}

// HTTPExtAuthService is the HTTP auth server of extAuth.
type HTTPExtAuthService struct {
	BackendRefs      []BackendRef `json:"backendRefs"`
	HeadersToBackend []string     `json:"headersToBackend,omitempty"`
}

// BackendRef is a Service port in the policy's namespace.
type BackendRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Port  int32  `json:"port"`
}

func (r *renderer) securityPolicy(app *v1alpha1.App) *SecurityPolicy {
	proxy := oauth2proxy.Name(app)
	return &SecurityPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: egAPIVersion, Kind: "SecurityPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: proxy, Namespace: app.Namespace, Labels: meta.Copy(r.Labels(proxy))},
		Spec: SecurityPolicySpec{
			TargetRefs: []PolicyTargetRef{{Group: gatewayGroup, Kind: "HTTPRoute", Name: app.Name}},
			ExtAuth: &ExtAuth{
				HTTP: &HTTPExtAuthService{
					BackendRefs:      []BackendRef{{Group: "", Kind: "Service", Name: proxy, Port: oauth2proxy.Port}},
					HeadersToBackend: responseHeaders(app),
				},
				HeadersToExtAuth: extAuthRequestHeaders,
				FailOpen:         ptr.To(false),
			},
		},
	}
}

// ClientTrafficPolicy is gateway.envoyproxy.io/v1alpha1 ClientTrafficPolicy.
type ClientTrafficPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ClientTrafficPolicySpec `json:"spec"`
}

// ClientTrafficPolicySpec holds the target Gateway and the header settings.
type ClientTrafficPolicySpec struct {
	TargetRefs []PolicyTargetRef `json:"targetRefs"`
	Headers    *HeaderSettings   `json:"headers,omitempty"`
}

// HeaderSettings is ClientTrafficPolicy's headers.
type HeaderSettings struct {
	EarlyRequestHeaders *HeaderModifier `json:"earlyRequestHeaders,omitempty"`
}

// HeaderModifier is a Gateway API header filter; authstack only removes.
type HeaderModifier struct {
	Remove []string `json:"remove,omitempty"`
}

// ClientTrafficPolicyName names the policy that strips the identity headers
// clients send, on one Gateway listener.
func ClientTrafficPolicyName(p v1alpha1.ParentRef) string {
	return dnsName("authstack-identity-headers", p.Name, p.SectionName)
}

func (r *renderer) clientTrafficPolicy(p v1alpha1.ParentRef) *ClientTrafficPolicy {
	return &ClientTrafficPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: egAPIVersion, Kind: "ClientTrafficPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: ClientTrafficPolicyName(p), Namespace: p.Namespace, Labels: meta.Copy(r.Labels("edge"))},
		Spec: ClientTrafficPolicySpec{
			TargetRefs: []PolicyTargetRef{{Group: gatewayGroup, Kind: "Gateway", Name: p.Name, SectionName: p.SectionName}},
			Headers:    &HeaderSettings{EarlyRequestHeaders: &HeaderModifier{Remove: append([]string(nil), oauth2proxy.IdentityHeaders...)}},
		},
	}
}
