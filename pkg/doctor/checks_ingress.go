package doctor

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/authstack/authstack/pkg/formats/ingressnginx"
)

func (in *Ingress) ref() string { return fmt.Sprintf("Ingress %s/%s", in.Namespace, in.Name) }

func (in *Ingress) ann(k string) string {
	return fmt.Sprintf("%s: %s metadata.annotations[%s]", in.Source, in.ref(), k)
}

// proxyFor finds the oauth2-proxy that guards one of the Ingress's hosts:
//   - the one whose redirect_url is on that host (one oauth2-proxy per app);
//   - else the one the Ingress's own auth-url asks (a shared sign-in host:
//     the app's host differs from redirect_url's);
//   - else the one another Ingress of the same host asks, or whose
//     whitelist_domains names the host exactly (oauth2-proxy sends users back
//     only to those, so the host is meant to be behind it; a leading-dot
//     wildcard is not taken as such a statement).
func (m *Model) proxyFor(in *Ingress) *Proxy {
	for _, p := range m.Proxies {
		for _, h := range in.Hosts {
			if hostOf(p.RedirectURL) == h {
				return p
			}
		}
	}
	if u := in.nginx().URL; u != "" {
		if p := m.authProxy(u); p != nil {
			return p
		}
	}
	guards := m.hostGuards
	if guards == nil {
		guards = m.guardsByHost()
	}
	for _, h := range in.Hosts {
		if g, ok := guards[h]; ok {
			return g.proxy
		}
	}
	return nil
}

// hostGuard is the oauth2-proxy a host is behind, and whether only its
// whitelist_domains says so (no Ingress of the host asks it).
type hostGuard struct {
	proxy         *Proxy
	whitelistOnly bool
}

// guardsByHost maps each host to the oauth2-proxy an Ingress of that host
// asks (auth-url), or else whose whitelist_domains names it exactly. The
// first Ingress wins; several proxies on one host are AS-21's business.
func (m *Model) guardsByHost() map[string]hostGuard {
	out := map[string]hostGuard{}
	for _, in := range m.Ingresses {
		u := in.nginx().URL
		if u == "" {
			continue
		}
		p := m.authProxy(u)
		if p == nil {
			continue
		}
		for _, h := range in.Hosts {
			if _, ok := out[h]; !ok {
				out[h] = hostGuard{proxy: p}
			}
		}
	}
	for _, p := range m.Proxies {
		for _, d := range p.Whitelist {
			d, _, _ = strings.Cut(d, ":")
			if _, ok := out[d]; !ok && d != "" && !strings.HasPrefix(d, ".") && !strings.HasPrefix(d, "*") {
				out[d] = hostGuard{proxy: p, whitelistOnly: true}
			}
		}
	}
	return out
}

// onlyWhitelisted reports an Ingress matched to p only because a host of
// it is in p's whitelist_domains: oauth2-proxy may send users back there
// after login, which a public page may want too.
func (m *Model) onlyWhitelisted(in *Ingress, p *Proxy) bool {
	if u := in.nginx().URL; u != "" && m.authProxy(u) == p {
		return false
	}
	guards := m.hostGuards
	if guards == nil {
		guards = m.guardsByHost()
	}
	for _, h := range in.Hosts {
		if h == hostOf(p.RedirectURL) {
			return false
		}
		if g, ok := guards[h]; ok && g.proxy == p && !g.whitelistOnly {
			return false
		}
	}
	return true
}

func forwardsAuthorization(in *Ingress) bool { return in.nginx().ResponseHeader("Authorization") }

// passesIdentityHeaders reports whether an Ingress copies oauth2-proxy's
// X-Auth-Request-* headers to its app: a headers-mode app. Such an app also
// lists Authorization only to clear a client's own (nginx does not pass a
// header that proxy_set_header sets to an empty value, and oauth2-proxy
// without set_authorization_header returns none), which is not a token
// that went missing.
func passesIdentityHeaders(in *Ingress) bool {
	for _, h := range in.nginx().ResponseHeaders {
		if strings.HasPrefix(strings.ToLower(h), "x-auth-request-") {
			return true
		}
	}
	return false
}

var _ = register(Check{
	Code: "AS-60", Name: "authorization-header-not-forwarded", Category: CatIngress, Severity: Error,
	Title:   "the id token reaches apps that need it",
	Symptom: "the Dashboard or Headlamp shows its own login page or 401 although the user logged in through oauth2-proxy.",
	Cause:   "oauth2-proxy must set the Authorization header (set_authorization_header) and ingress-nginx must copy it to the app (auth-response-headers: Authorization); one of the two is missing.",
	Fix:     "Set set_authorization_header = true in oauth2-proxy and nginx.ingress.kubernetes.io/auth-response-headers: Authorization on the app's Ingress.",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			if !in.nginx().Guarded() {
				continue
			}
			p := m.proxyFor(in)
			if p != nil {
				examined++
			}
			fwd := forwardsAuthorization(in)
			switch {
			case p != nil && p.SetAuthz && !fwd:
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sets the Authorization header but %s does not pass it to the app", p.App, in.ref()),
					Evidence: []string{in.ann("auth-response-headers") + " = " + q(in.Annotations[ingressnginx.Key(ingressnginx.AuthResponseHeaders)]), p.at("set_authorization_header") + " = true"},
					Fix:      fmt.Sprintf("add Authorization to %s on %s", ingressnginx.Key(ingressnginx.AuthResponseHeaders), in.ref()),
				})
			case p != nil && !p.SetAuthz && fwd && !passesIdentityHeaders(in):
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s passes the Authorization header to the app, but oauth2-proxy %s does not set it", in.ref(), p.App),
					Evidence: []string{in.ann("auth-response-headers") + " = " + q(in.Annotations[ingressnginx.Key(ingressnginx.AuthResponseHeaders)]), p.at("set_authorization_header") + " is not true"},
					Fix:      fmt.Sprintf("set set_authorization_header = true in %s", p.Source),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("no Ingress with auth-url is guarded by a given oauth2-proxy"))
		}
		return out
	},
})

// neededBuffer estimates the response header buffer the session cookie
// needs: oauth2-proxy stores the id, access and refresh tokens encrypted
// and base64 encoded (about 1.4x), and the Authorization header repeats
// the id token.
func (m *Model) neededBuffer(forwards bool) int {
	tokenLen := 1200 // a dex id token with a few groups
	if m.Token != nil {
		tokenLen = len(m.Token.Raw())
	}
	need := tokenLen*2*14/10 + 1024
	if forwards {
		need += tokenLen
	}
	size := 4096
	for size < need {
		size *= 2
	}
	return max(size, 8192)
}

var _ = register(Check{
	Code: "AS-61", Name: "proxy-buffer-too-small", Category: CatIngress, Severity: Error,
	Title:   "ingress-nginx's header buffer holds the session cookie",
	Symptom: "502 Bad Gateway right after login; the ingress-nginx log says \"upstream sent too big header while reading response header from upstream\".",
	Cause:   "oauth2-proxy's session cookie (and the forwarded Authorization header) exceed nginx's default 4k/8k proxy buffer.",
	Fix:     "Set nginx.ingress.kubernetes.io/proxy-buffer-size: 16k (or more) on the app Ingress and on oauth2-proxy's /oauth2 Ingress.",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			isProxy := strings.HasPrefix(in.Name, "oauth2-proxy")
			if !in.nginx().Guarded() && !isProxy {
				continue
			}
			examined++
			need := m.neededBuffer(forwardsAuthorization(in))
			got, ok := ingressnginx.ParseSize(in.nginx().ProxyBufferSize)
			if !ok {
				got = 4096
			}
			if got >= need {
				continue
			}
			// Below 8k even a small dex token and its session cookie do
			// not fit (nginx reads the response header into one buffer:
			// ngx_http_upstream.c "upstream sent too big header"); above
			// it, the need is an estimate.
			sev := Warning
			if got < 8192 {
				sev = Error
			}
			out = append(out, Finding{
				Severity: sev,
				Message:  fmt.Sprintf("%s's proxy buffer is %dk, the session cookie needs about %dk", in.ref(), got/1024, need/1024),
				Evidence: []string{in.ann("proxy-buffer-size") + " = " + q(in.nginx().ProxyBufferSize)},
				Fix:      fmt.Sprintf("set %s: %dk on %s", ingressnginx.Key(ingressnginx.ProxyBufferSize), need/1024, in.ref()),
			})
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no Ingress has auth-url or serves oauth2-proxy"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-62", Name: "auth-signin-missing", Category: CatIngress, Severity: Error,
	Title:   "protected Ingresses send anonymous users to the login of their own host",
	Symptom: "the browser shows a bare 401 Authorization Required page from nginx instead of the login, or loops between the login and the app.",
	Cause:   "The Ingress has auth-url but no auth-signin, so ingress-nginx does not redirect unauthenticated users to oauth2-proxy; or auth-signin names another host's oauth2-proxy, whose session cookie is set for that host and never reaches this one.",
	Fix:     "Add nginx.ingress.kubernetes.io/auth-signin: https://<host>/oauth2/start?rd=$scheme://$host$escaped_request_uri.",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			if in.nginx().Guarded() {
				examined++
			}
			if !in.nginx().Guarded() {
				continue
			}
			host := first(in.Hosts)
			if signin := in.nginx().Signin; signin != "" {
				// oauth2-proxy sets its session cookie for the host of its
				// redirect_url: a sign-in on another host logs the user in
				// there, and this host's auth-url never sees the cookie.
				if p := m.proxyFor(in); p != nil && hostOf(signin) != "" && !strings.Contains(hostOf(signin), "$") && hostOf(signin) != hostOf(p.RedirectURL) {
					out = append(out, Finding{
						Message:  fmt.Sprintf("%s sends users to the login on %s, but its oauth2-proxy %s logs them in on %s", in.ref(), hostOf(signin), p.App, hostOf(p.RedirectURL)),
						Evidence: []string{in.ann("auth-signin") + " = " + q(signin), p.Source + ": redirect_url = " + q(p.RedirectURL)},
						Fix:      fmt.Sprintf("set %s: https://%s/oauth2/start?rd=$scheme://$host$escaped_request_uri", ingressnginx.Key(ingressnginx.AuthSignin), hostOf(p.RedirectURL)),
					})
				}
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s checks logins (auth-url) but does not redirect to the login (no auth-signin)", in.ref()),
				Evidence: []string{in.ann("auth-url") + " = " + q(in.nginx().URL), in.ann("auth-signin") + " is not set"},
				Fix:      fmt.Sprintf("add %s: https://%s/oauth2/start?rd=$scheme://$host$escaped_request_uri", ingressnginx.Key(ingressnginx.AuthSignin), host),
			})
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no Ingress has auth-url"))
		}
		return out
	},
})

// identityHeaders are request headers that carry who the user is to the
// app or to the API server: oauth2-proxy's X-Auth-Request-* and
// X-Forwarded-*, the front-proxy X-Remote-*, Authorization and the API
// server's Impersonate-*.
var identityHeaders = []string{"x-auth-request-", "x-forwarded-user", "x-forwarded-email", "x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token", "x-remote-", "remote-user", "x-webauth-", "authorization", "impersonate-"}

// snippetHeaders are the identity headers a snippet sets or passes on;
// lines that only clear headers (more_clear_input_headers) protect and
// are not counted.
func snippetHeaders(snippet string) []string {
	var out []string
	for _, line := range strings.Split(strings.ToLower(snippet), "\n") {
		if strings.Contains(line, "more_clear_") {
			continue
		}
		for _, h := range identityHeaders {
			if strings.Contains(line, h) {
				out = appendNew(out, h)
			}
		}
	}
	return out
}

var _ = register(Check{
	Code: "AS-63", Name: "ingress-snippet", Category: CatIngress, Severity: Warning,
	Title:   "Ingresses use no nginx snippets, and none touches identity headers",
	Symptom: "none at first: a snippet can set or pass through X-Auth-Request-User, X-Remote-User, Authorization or Impersonate-* so that the app trusts a name oauth2-proxy never checked.",
	Cause:   "configuration-snippet, server-snippet and auth-snippet insert raw nginx configuration that ingress-nginx does not validate; anyone who may edit an Ingress can use them to read the controller's secrets (CVE-2021-25742). ingress-nginx disables them by default since v1.9 (allow-snippet-annotations: false) and rates them Critical (annotations-risk-level).",
	Fix:     "Replace snippets by dedicated annotations (auth-response-headers, proxy-set-headers); never set identity headers in nginx: let oauth2-proxy set them.",
	Needs:   []Need{NeedIngress},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, in := range m.Ingresses {
			snippets := in.nginx().Snippets
			var names []string
			for name := range snippets {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, short := range names {
				k := ingressnginx.Key(short)
				if hs := snippetHeaders(snippets[short]); len(hs) > 0 {
					out = append(out, Finding{
						Severity: Error,
						Message:  fmt.Sprintf("%s's %s names identity headers (%s): nginx, not oauth2-proxy, then decides who the user is", in.ref(), short, strings.Join(hs, ", ")),
						Evidence: []string{in.ann(short) + " (names " + strings.Join(hs, ", ") + ")"},
						Fix:      fmt.Sprintf("remove %s from %s; pass identity headers with %s from oauth2-proxy's answer", k, in.ref(), ingressnginx.Key(ingressnginx.AuthResponseHeaders)),
					})
					continue
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s uses %s: raw nginx configuration that ingress-nginx does not validate", in.ref(), short),
					Evidence: []string{in.ann(short)},
					Fix:      fmt.Sprintf("replace %s by a dedicated annotation", k),
				})
			}
		}
		return out
	},
})

// ownIngress reports oauth2-proxy's own Ingress: every path under /oauth2.
func ownIngress(in *Ingress) bool {
	for _, p := range in.Paths {
		if !strings.HasPrefix(p.Path, "/oauth2") {
			return false
		}
	}
	return len(in.Paths) > 0
}

// paths are the HTTP paths of the Ingress's rules.
func (in *Ingress) paths() []string {
	out := make([]string, 0, len(in.Paths))
	for _, p := range in.Paths {
		out = append(out, p.Path)
	}
	return out
}

// coversRoot reports an Ingress that serves its host's / (or every path).
func coversRoot(in *Ingress) bool {
	for _, p := range in.Paths {
		if p.Path == "" || p.Path == "/" {
			return true
		}
	}
	return len(in.Paths) == 0
}

// authProxy finds the oauth2-proxy an auth-url names: by host for an
// external URL, by Service name (oauth2-proxy-<app> or <app>) for an
// in-cluster one. nil when it names none doctor knows.
func (m *Model) authProxy(authURL string) *Proxy {
	host := hostOf(authURL)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	svc, rest, _ := strings.Cut(host, ".")
	inCluster := strings.Contains(rest, ".svc") || !strings.Contains(host, ".")
	for _, p := range m.Proxies {
		if !inCluster && host == hostOf(p.RedirectURL) {
			return p
		}
		if inCluster && (svc == p.App || svc == "oauth2-proxy-"+p.App) {
			return p
		}
	}
	return nil
}

var _ = register(Check{
	Code: "AS-21", Name: "app-ingress-unprotected", Category: CatIngress, Severity: Error,
	Title:   "every Ingress on an oauth2-proxy's host asks that oauth2-proxy",
	Symptom: "none at first: the app answers without a login (no auth-url), or users of another app's oauth2-proxy, with its allowed_groups, get in.",
	Cause:   "ingress-nginx asks an auth service only for Ingresses that carry the auth-url annotation (ingress-nginx docs, annotations: External Authentication); an app Ingress without it on a host that oauth2-proxy serves is public, and one whose auth-url names another app's oauth2-proxy applies that proxy's checks and cookie.",
	Fix:     "Set nginx.ingress.kubernetes.io/auth-url to the oauth2-proxy of the Ingress's host (http://<service>.<namespace>.svc.cluster.local:4180/oauth2/auth) on every app Ingress of that host.",
	Needs:   []Need{NeedIngress, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, in := range m.Ingresses {
			p := m.proxyFor(in)
			if p == nil || ownIngress(in) {
				continue
			}
			examined++
			authURL := in.nginx().URL
			if authURL == "" {
				f := Finding{
					Message:  fmt.Sprintf("%s serves %s without auth-url: its app answers without a login, although oauth2-proxy %s guards this host", in.ref(), first(in.Hosts), p.App),
					Evidence: []string{in.ann("auth-url") + " is not set", p.Source + ": redirect_url = " + q(p.RedirectURL)},
					Fix:      fmt.Sprintf("set %s on %s to oauth2-proxy %s's /oauth2/auth", ingressnginx.Key(ingressnginx.AuthURL), in.ref(), p.App),
				}
				switch {
				case m.onlyWhitelisted(in, p):
					// No Ingress of the host asks the proxy: the host may be a
					// public page users are sent back to.
					f.Severity = Warning
					f.Message = fmt.Sprintf("%s serves %s without auth-url, a host in oauth2-proxy %s's whitelist_domains that no Ingress protects: its app answers without a login (fine only for a public page)", in.ref(), first(in.Hosts), p.App)
					f.Evidence = []string{in.ann("auth-url") + " is not set", p.at("whitelist_domains") + " = " + ql(p.Whitelist)}
				case !coversRoot(in):
					// Public sub-paths (assets, health checks) may be meant.
					f.Severity = Warning
					f.Message += fmt.Sprintf(" (paths %s)", ql(in.paths()))
				}
				out = append(out, f)
				continue
			}
			if o := m.authProxy(authURL); o != nil && o != p {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s on %s asks oauth2-proxy %s (auth-url), not %s that serves this host: %s's checks and cookie apply", in.ref(), first(in.Hosts), o.App, p.App, o.App),
					Evidence: []string{in.ann("auth-url") + " = " + q(authURL), o.Source + ": redirect_url = " + q(o.RedirectURL), p.Source + ": redirect_url = " + q(p.RedirectURL)},
					Fix:      fmt.Sprintf("point %s on %s to oauth2-proxy %s", ingressnginx.Key(ingressnginx.AuthURL), in.ref(), p.App),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no app Ingress is on a host a given oauth2-proxy guards (its redirect_url host, an auth-url naming it, or its whitelist_domains)"))
		}
		return out
	},
})

// ProxyForAuthURL is the oauth2-proxy an ingress-nginx auth-url names (by
// host, or by Service for an in-cluster URL), nil when none given is named.
func (m *Model) ProxyForAuthURL(authURL string) *Proxy { return m.authProxy(authURL) }
