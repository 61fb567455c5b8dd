package doctor

import (
	"fmt"
	"strings"
)

// Checks of the edges other than ingress-nginx (docs/edges.md): what Envoy
// Gateway's SecurityPolicy, Gateway API's ExternalAuth filter and Traefik's
// ForwardAuth Middleware ask of oauth2-proxy, against its settings.

var _ = register(Check{
	Code: "AS-140", Name: "edge-extauth-not-200", Category: CatIngress, Severity: Error,
	Title:   "Envoy's external auth asks an oauth2-proxy that answers a signed-in user with 200",
	Symptom: "every request through Envoy Gateway (or a Gateway API ExternalAuth filter) gets 403 or 404, signed in or not; Envoy's access log says ext_authz_denied.",
	Cause:   "Envoy's HTTP ext_authz allows a request only on a 200 answer (Envoy docs, ext_authz; gateway-api HTTPExternalAuthFilter: \"each backend must respond with a 200 status code\"); oauth2-proxy's static://202 upstream and /oauth2/auth answer 202, which Envoy counts as a denial (envoyproxy/gateway#4562). A path is a prefix Envoy puts before the original path (SecurityPolicy extAuth.http.path), so /oauth2/auth becomes /oauth2/auth/<path>, which oauth2-proxy does not serve.",
	Fix:     "Set upstreams = [\"static://200\"] in the oauth2-proxy config and leave the auth path unset (authstack renders both for edge.provider envoy-gateway and gateway-api).",
	Needs:   []Need{NeedEdgeAuth, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, e := range m.EdgeAuths {
			p := m.proxyForEdge(e)
			if !e.Envoy || p == nil {
				continue
			}
			examined++
			if e.Path != "" && e.Path != "/" {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s asks oauth2-proxy %s on %s<original path>: oauth2-proxy serves no such path, and Envoy refuses every request", e.ref(), p.App, e.Path),
					Evidence: []string{e.at("path") + " = " + q(e.Path)},
					Fix:      fmt.Sprintf("remove %s.path from %s", e.Field, e.ref()),
				})
			}
			if !containsFold(p.Upstreams, "static://200") {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s asks oauth2-proxy %s, whose upstreams %s do not answer 200: Envoy refuses every signed-in request", e.ref(), p.App, ql(p.Upstreams)),
					Evidence: []string{e.Source + ": " + e.ref() + " " + e.Field, p.at("upstreams") + " = " + ql(p.Upstreams)},
					Fix:      fmt.Sprintf("set upstreams = [\"static://200\"] in %s", p.Source),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("no Envoy external auth asks a given oauth2-proxy"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-141", Name: "edge-extauth-no-cookie", Category: CatIngress, Severity: Error,
	Title:   "Envoy's external auth sends oauth2-proxy the session cookie",
	Symptom: "after logging in at dex the browser comes back to the app and is sent to dex again, in a loop.",
	Cause:   "Envoy sends an HTTP auth server only Host, Method, Path, Content-Length and Authorization unless more headers are listed (Envoy Gateway SecurityPolicy extAuth.headersToExtAuth, Gateway API ExternalAuth http.allowedHeaders): without Cookie, oauth2-proxy never sees its session cookie.",
	Fix:     "List Cookie (and Accept, X-Forwarded-Proto) in headersToExtAuth or allowedHeaders.",
	Needs:   []Need{NeedEdgeAuth, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, e := range m.EdgeAuths {
			if !e.Envoy || containsFold(e.RequestHeaders, "Cookie") {
				continue
			}
			field := "headersToExtAuth"
			if e.Kind == "HTTPRoute" {
				field = "http.allowedHeaders"
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s does not send the Cookie header to oauth2-proxy: no session is ever seen, and every login loops", e.ref()),
				Evidence: []string{e.at(field) + " = " + ql(e.RequestHeaders)},
				Fix:      fmt.Sprintf("add Cookie to %s.%s", e.Field, field),
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-142", Name: "edge-identity-headers", Category: CatIngress, Severity: Error,
	Title:   "the edge copies the identity oauth2-proxy sends onto the app request",
	Symptom: "a token app (Headlamp, Dashboard) asks for a token or gets 401 from the API server; a headers app sees no user; or, with an ExternalAuth filter listing nothing, the app gets every header of oauth2-proxy's answer.",
	Cause:   "Only the listed headers of the auth answer reach the app: SecurityPolicy extAuth.http.headersToBackend (\"If not specified, no authorization response headers will be added\"), Traefik forwardAuth.authResponseHeaders; Gateway API's allowedResponseHeaders copies every header when empty. oauth2-proxy sends Authorization with set_authorization_header and X-Auth-Request-* with set_xauthrequest.",
	Fix:     "List Authorization for a token app and X-Auth-Request-User/-Email/-Groups/-Preferred-Username for a headers app, and set the matching oauth2-proxy options.",
	Needs:   []Need{NeedEdgeAuth, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, e := range m.EdgeAuths {
			p := m.proxyForEdge(e)
			if p == nil {
				continue
			}
			field := map[string]string{"SecurityPolicy": "http.headersToBackend", "HTTPRoute": "http.allowedResponseHeaders", "Middleware": "authResponseHeaders"}[e.Kind]
			ev := e.at(field) + " = " + ql(e.ResponseHeaders)
			if len(e.ResponseHeaders) == 0 && e.Kind == "HTTPRoute" {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s lists no allowedResponseHeaders: every header of oauth2-proxy's answer (Set-Cookie included) is copied onto the app request", e.ref()),
					Evidence: []string{ev}, Fix: fmt.Sprintf("list the identity headers in %s.%s", e.Field, field),
				})
				continue
			}
			if p.SetAuthz && !containsFold(e.ResponseHeaders, "Authorization") {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sends the id token as Authorization, but %s does not copy it onto the request: the app gets no token", p.App, e.ref()),
					Evidence: []string{ev, p.at("set_authorization_header") + " = true"},
					Fix:      fmt.Sprintf("add Authorization to %s.%s", e.Field, field),
				})
			}
			sent := p.Config.ResponseHeaders()
			var missing []string
			for _, h := range e.ResponseHeaders {
				if strings.HasPrefix(strings.ToLower(h), "x-auth-request-") && !containsFold(sent, h) {
					missing = append(missing, h)
				}
			}
			if len(missing) > 0 {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s passes %s to the app, but oauth2-proxy %s does not send them: the app sees no user", e.ref(), strings.Join(missing, ", "), p.App),
					Evidence: []string{ev, p.headersEvidence()},
					Fix:      p.headersFix(),
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-143", Name: "edge-auth-fails-open", Category: CatIngress, Severity: Error,
	Title:   "the edge refuses requests it cannot ask oauth2-proxy about, and writes the forwarded headers itself",
	Symptom: "with oauth2-proxy down or slow, the app is served without a login; or after login the user lands on a host or page a client chose.",
	Cause:   "SecurityPolicy extAuth.failOpen: true lets a request through when the auth server cannot be reached (Envoy Gateway API: \"FailOpen is a switch used to control the behavior when a response from the External Authorization service cannot be obtained\"). Traefik's trustForwardHeader: true passes a client's own X-Forwarded-Host/-Uri to oauth2-proxy, which (reverse_proxy) builds the return address from them.",
	Fix:     "Set failOpen: false and trustForwardHeader: false.",
	Needs:   []Need{NeedEdgeAuth, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, e := range m.EdgeAuths {
			if e.FailOpen {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s fails open: when oauth2-proxy cannot be reached, requests reach the app without a login", e.ref()),
					Evidence: []string{e.at("failOpen") + " = true"}, Fix: fmt.Sprintf("set %s.failOpen: false", e.Field),
				})
			}
			if e.TrustForwardHeader {
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("%s trusts the client's X-Forwarded-* headers, from which oauth2-proxy builds the page to return to", e.ref()),
					Evidence: []string{e.at("trustForwardHeader") + " = true"}, Fix: fmt.Sprintf("set %s.trustForwardHeader: false", e.Field),
				})
			}
		}
		return out
	},
})
