package oauth2proxy

import "github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"

// StaticUpstream is what oauth2-proxy answers a signed-in user on any path
// but its own: ingress-nginx and Traefik take any 2xx (202 as oauth2-proxy's
// /oauth2/auth), but Envoy's HTTP ext_authz, behind Envoy Gateway's
// SecurityPolicy and Gateway API's ExternalAuth filter, allows only 200
// (gateway-api apis/v1 HTTPExternalAuthFilter: "each backend must respond
// with a 200 status code"; envoyproxy/gateway#4562), and asks on the
// original path, not /oauth2/auth. See package edge.
func StaticUpstream(spec *v1alpha1.Spec) string {
	if spec.GatewayEdge() {
		return "static://200"
	}
	return "static://202"
}
