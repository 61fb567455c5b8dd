package doctor

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/authstack/authstack/pkg/formats/ingressnginx"
)

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var _ = register(Check{
	Code: "AS-67", Name: "identity-headers-not-set", Category: CatIngress, Severity: Error,
	Title:   "oauth2-proxy answers with the identity headers the Ingress passes to the app",
	Symptom: "the app (Grafana, Prometheus behind an auth proxy setting...) sees no user: it shows its own login, refuses the request, or lets the request in as anonymous.",
	Cause:   "auth-response-headers lists X-Auth-Request-* headers that oauth2-proxy does not send: they come only with set_xauthrequest (X-Auth-Request-Access-Token also needs pass_access_token), or with an alpha config's injectResponseHeaders (oauth2-proxy pkg/apis/options/legacy_options.go getResponseHeaders). ingress-nginx sets each listed header from the auth response (auth_request_set + proxy_set_header, internal/ingress/controller/template buildAuthResponseHeaders), and nginx drops a header set to an empty value.",
	Fix:     "Set set_xauthrequest = true in oauth2-proxy (and pass_access_token for X-Auth-Request-Access-Token), or list the headers in the alpha config's injectResponseHeaders.",
	Needs:   []Need{NeedIngress, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			p := m.proxyFor(in)
			if !in.nginx().Guarded() || p == nil || p.Config == nil {
				continue
			}
			examined++
			sent := p.Config.ResponseHeaders()
			var missing []string
			for _, h := range in.nginx().ResponseHeaders {
				if strings.HasPrefix(strings.ToLower(h), "x-auth-request-") && !containsFold(sent, h) {
					missing = append(missing, h)
				}
			}
			if len(missing) == 0 {
				continue
			}
			key := "set_xauthrequest"
			if p.Config.SetXAuthRequest {
				key = "pass_access_token"
			}
			ev := fmt.Sprintf("%s = %t", p.at(key), key == "pass_access_token" && p.Config.PassAccessToken || key == "set_xauthrequest" && p.Config.SetXAuthRequest)
			fix := fmt.Sprintf("set %s = true in %s", key, p.Source)
			if p.Config.InjectResponseHeaders != nil {
				ev, fix = p.headersEvidence(), p.headersFix()
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s passes %s to the app, but oauth2-proxy %s does not send them: the app sees no user", in.ref(), strings.Join(missing, ", "), p.App),
				Evidence: []string{in.ann("auth-response-headers") + " = " + q(in.Annotations[ingressnginx.Key(ingressnginx.AuthResponseHeaders)]), ev},
				Fix:      fix,
			})
		}
		if examined == 0 {
			out = append(out, skip("no Ingress with auth-url is guarded by a given oauth2-proxy"))
		}
		return out
	},
})

// isProxyAuthURL tells an auth-url that asks oauth2-proxy: one served by a
// known proxy, or one that names oauth2-proxy or its /oauth2 prefix.
func isProxyAuthURL(u *url.URL, p *Proxy) bool {
	return p != nil || strings.Contains(u.Host, "oauth2-proxy") || strings.Contains(u.Host, "oauth2_proxy") || strings.HasPrefix(u.Path, "/oauth2")
}

var _ = register(Check{
	Code: "AS-68", Name: "auth-url-endpoint", Category: CatIngress, Severity: Error,
	Title:   "ingress-nginx asks oauth2-proxy's auth endpoint",
	Symptom: "every request gets 500 Internal Server Error from ingress-nginx, or, with /ping or /ready, every request gets in without a login.",
	Cause:   "ingress-nginx's auth request lets a request in on any 2xx answer, refuses it on 401/403 and fails it with 500 otherwise (nginx auth_request). Only oauth2-proxy's <proxy_prefix>/auth answers 202 or 401 by session (oauthproxy.go AuthOnly); /ping and /ready answer 200 to anyone, and the other pages redirect.",
	Fix:     "Point nginx.ingress.kubernetes.io/auth-url at http://<oauth2-proxy service>.<namespace>.svc.cluster.local:4180/oauth2/auth.",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			raw := in.nginx().URL
			if raw == "" {
				continue
			}
			u, err := url.Parse(raw)
			p := m.proxyFor(in)
			if err != nil || !isProxyAuthURL(u, p) {
				continue
			}
			examined++
			prefix, ping, ready := "/oauth2", "/ping", "/ready"
			if p != nil && p.Config != nil {
				prefix = p.Config.ProxyPrefix
				if v := p.Config.Other["ping_path"]; v != "" {
					ping = v
				}
				if v := p.Config.Other["ready_path"]; v != "" {
					ready = v
				}
			}
			path := strings.TrimSuffix(u.Path, "/")
			if path == prefix+"/auth" {
				continue
			}
			f := Finding{
				Message:  fmt.Sprintf("%s asks oauth2-proxy at %s, which is not its auth endpoint %s/auth: ingress-nginx answers 500 to every request", in.ref(), u.Path, prefix),
				Evidence: []string{in.ann("auth-url") + " = " + q(raw)},
				Fix:      fmt.Sprintf("set %s to %s", ingressnginx.Key(ingressnginx.AuthURL), strings.TrimSuffix(raw, u.RequestURI())+prefix+"/auth"),
			}
			if path == ping || path == ready {
				f.Message = fmt.Sprintf("%s asks oauth2-proxy's health endpoint %s, which answers 200 to anyone: every request gets in without a login", in.ref(), u.Path)
			}
			out = append(out, f)
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no Ingress asks oauth2-proxy (auth-url)"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-69", Name: "auth-cache-key-shared", Category: CatIngress, Severity: Error,
	Title:   "cached auth answers are kept per session",
	Symptom: "none at first: a user without a session (or another user) gets in for the cache duration after someone else was let in.",
	Cause:   "auth-cache-key caches ingress-nginx's auth answers (default: 200, 202 and 401 for 5m) under the host, the auth path and the key (rootfs/etc/nginx/template/nginx.tmpl); a key that does not hold the session cookie serves one user's 202 to everyone. oauth2-proxy splits a large session cookie into <name>_0, <name>_1 (pkg/sessions/cookie/session_store.go splitCookie), so $cookie_<name> can be empty for every user; only $http_cookie holds the whole session.",
	Fix:     "Remove auth-cache-key, or make it $http_cookie (plus $http_authorization when bearer tokens are accepted).",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			a := in.nginx()
			key := a.CacheKey
			if !a.Has(ingressnginx.AuthCacheKey) || !a.Guarded() {
				continue
			}
			examined++
			lower := strings.ToLower(key)
			p := m.proxyFor(in)
			bearer := p != nil && p.SkipJWTBearer
			switch {
			case !strings.Contains(lower, "$http_cookie"):
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s caches auth answers under %q, which does not hold the whole session cookie: one user's answer lets others in", in.ref(), key),
					Evidence: []string{in.ann("auth-cache-key") + " = " + q(key)},
					Fix:      fmt.Sprintf("remove %s from %s, or set it to $http_cookie$http_authorization", ingressnginx.Key(ingressnginx.AuthCacheKey), in.ref()),
				})
			case bearer && !strings.Contains(lower, "$http_authorization"):
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s caches auth answers under %q, but oauth2-proxy %s also lets in bearer tokens (skip_jwt_bearer_tokens), which the key does not hold", in.ref(), key, p.App),
					Evidence: []string{in.ann("auth-cache-key") + " = " + q(key), p.at("skip_jwt_bearer_tokens") + " = true"},
					Fix:      fmt.Sprintf("set %s to $http_cookie$http_authorization on %s", ingressnginx.Key(ingressnginx.AuthCacheKey), in.ref()),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no Ingress caches auth answers (auth-cache-key)"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-22", Name: "ingress-annotation-invalid", Category: CatIngress, Severity: Error,
	Title:   "ingress-nginx accepts every auth annotation as written",
	Symptom: "every request to the path gets 503 Service Temporarily Unavailable from ingress-nginx, or a setting (backend protocol, keepalive, cache duration) silently falls back to its default; the controller logs \"error reading ExternalAuth annotation in Ingress <namespace>/<name>: ...\" (internal/ingress/annotations/annotations.go Extract).",
	Cause:   "ingress-nginx refuses an annotation value it cannot parse: auth-url must be an absolute URL (parser.StringToURL; doctor also refuses an auth-signin URL without a host, which nginx cannot redirect to), auth-response-headers must list header names of letters, digits, - and _ (authreq ValidHeader), auth-method must be an HTTP method, auth-cache-duration must be status codes then an nginx time (authreq ValidCacheDuration), source ranges must be addresses or CIDRs (ipallowlist). For the auth and source-range annotations it denies the location (LocationDenied: the location answers 503); others fall back to defaults.",
	Fix:     "Correct the annotation value named in the finding (ingress-nginx docs, user-guide/nginx-configuration/annotations.md).",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, in := range m.Ingresses {
			_, err := in.Auth()
			for _, ae := range annotationErrors(err) {
				name := strings.TrimPrefix(ae.Key, ingressnginx.Prefix)
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s: ingress-nginx refuses %s: %v", in.ref(), name, ae.Err),
					Evidence: []string{in.ann(name) + " = " + q(in.Annotations[ae.Key])},
					Fix:      fmt.Sprintf("correct %s on %s", ae.Key, in.ref()),
				})
			}
		}
		return out
	},
})

// annotationErrors unpacks the per-annotation errors ingressnginx.Parse
// joins.
func annotationErrors(err error) []*ingressnginx.AnnotationError {
	var out []*ingressnginx.AnnotationError
	var ae *ingressnginx.AnnotationError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, annotationErrors(e)...)
		}
	} else if errors.As(err, &ae) {
		out = append(out, ae)
	}
	return out
}
