// Package oauth2proxy renders the oauth2-proxy configuration of one protected
// app and the ingress-nginx annotations that send the app's requests
// through it.
package oauth2proxy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// ConfigDir is where the Deployment mounts the config and the issuer CA.
const ConfigDir = "/etc/oauth2-proxy"

// Port is oauth2-proxy's HTTP port.
const Port = 4180

// CookieSecretSize is the AES key size oauth2-proxy needs for its cookies.
const CookieSecretSize = 32

// ProxyBufferSize holds the session cookies, split in chunks by oauth2-proxy,
// in ingress-nginx's response header buffer.
const ProxyBufferSize = "16k"

// Scopes every proxy asks dex for: groups (a dex scope) for allowed_groups
// and the headers, offline_access for a refresh token so sessions outlive
// one id token. Another issuer gets the scopes of issuer.external.scopes.
var baseScopes = []string{"openid", "profile", "email", "groups", "offline_access"}

// IdentityHeaders are the headers a headers-mode app receives.
var IdentityHeaders = []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username"}

// Name is the name of the app's oauth2-proxy Deployment, Service and ConfigMap.
func Name(app *v1alpha1.App) string { return "oauth2-proxy-" + app.Name }

// CookieRefresh is half of the id token lifetime: the session is refreshed
// before the token it forwards expires.
func CookieRefresh(spec *v1alpha1.Spec) time.Duration {
	lifetime := time.Hour
	if d := spec.Issuer.Dex; d != nil {
		if l, err := time.ParseDuration(d.IDTokenLifetime); err == nil {
			lifetime = l
		}
	}
	return lifetime / 2
}

// Config renders oauth2_proxy.cfg for app. It holds no secret: the client
// and cookie secrets come from the environment.
func Config(spec *v1alpha1.Spec, app *v1alpha1.App, hasCA bool) string {
	w := &cfgWriter{}
	w.comment(fmt.Sprintf("oauth2-proxy for %s (%s identity), rendered by authstack.", app.Name, app.Identity))
	w.str("provider", "oidc")
	w.str("oidc_issuer_url", spec.IssuerURL())
	w.str("client_id", app.ClientID)
	w.str("redirect_url", "https://"+app.Host+"/oauth2/callback")
	w.str("http_address", fmt.Sprintf("0.0.0.0:%d", Port))
	w.boolean("reverse_proxy", true)
	// Only auth_request is served: ingress-nginx proxies to the app itself.
	w.list("upstreams", []string{"static://202"})
	scopes := append([]string(nil), baseScopes...)
	if e := spec.Issuer.External; e != nil {
		scopes = append([]string(nil), e.Scopes...)
	}
	// The forwarded id token must be one the API server accepts. Dex issues
	// it for the kubectl client on request; any other issuer issues it for
	// this proxy's client, which validation makes an API server audience.
	if app.Identity == v1alpha1.IdentityToken && spec.CrossClient() {
		aud := spec.ForwardedAudience(app)
		w.comment("The forwarded id token must be accepted by the API server, whose audience is the kubectl client.")
		scopes = append(scopes, "audience:server:client_id:"+aud)
		w.list("oidc_extra_audiences", []string{aud})
	}
	w.str("scope", strings.Join(scopes, " "))
	w.str("oidc_email_claim", "email")
	w.str("oidc_groups_claim", spec.APIServer.GroupsClaim)
	w.str("code_challenge_method", "S256")
	w.list("email_domains", app.AllowedEmailDomains)
	if len(app.AllowedGroups) > 0 {
		w.list("allowed_groups", app.AllowedGroups)
	}
	w.str("cookie_name", "_oauth2_proxy_"+strings.ReplaceAll(app.Name, "-", "_"))
	w.boolean("cookie_secure", true)
	w.boolean("cookie_httponly", true)
	w.str("cookie_samesite", "lax")
	w.list("cookie_domains", []string{v1alpha1.Hostname(app.Host)})
	w.list("whitelist_domains", []string{app.Host})
	w.str("cookie_refresh", CookieRefresh(spec).String())
	w.str("cookie_expire", "168h0m0s")
	w.str("approval_prompt", "auto")
	w.boolean("skip_provider_button", true)
	w.boolean("set_xauthrequest", true)
	w.boolean("set_authorization_header", app.Identity == v1alpha1.IdentityToken)
	w.boolean("pass_access_token", false)
	if hasCA {
		w.list("provider_ca_files", []string{ConfigDir + "/issuer-ca.crt"})
	}
	w.boolean("silence_ping_logging", true)
	return w.String()
}

// Annotations are the ingress-nginx annotations of the app's Ingress. No
// snippet annotation is ever used: they are disabled on secure controllers.
func Annotations(app *v1alpha1.App) map[string]string {
	a := map[string]string{
		"nginx.ingress.kubernetes.io/auth-url":          fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/oauth2/auth", Name(app), app.Namespace, Port),
		"nginx.ingress.kubernetes.io/auth-signin":       "https://" + app.Host + "/oauth2/start?rd=" + returnTo(app),
		"nginx.ingress.kubernetes.io/proxy-buffer-size": ProxyBufferSize,
	}
	if app.Identity == v1alpha1.IdentityToken {
		a["nginx.ingress.kubernetes.io/auth-response-headers"] = "Authorization"
	} else {
		// Authorization too, though oauth2-proxy sends none to a headers
		// app: ingress-nginx sets each listed header from the auth
		// response (auth_request_set + proxy_set_header), and nginx drops
		// a header set to an empty value, so a bearer token the client
		// sent never reaches an app that trusts the X-Auth-Request-*
		// headers (Grafana also reads Authorization as an API key).
		a["nginx.ingress.kubernetes.io/auth-response-headers"] = strings.Join(append(append([]string(nil), IdentityHeaders...), "Authorization"), ",")
	}
	if app.Upstream.Protocol == "HTTPS" {
		a["nginx.ingress.kubernetes.io/backend-protocol"] = "HTTPS"
	}
	return a
}

// returnTo is where oauth2-proxy sends the user back after login: the page
// they asked for. nginx's $host has no port, so a host with a port needs
// $http_host, or oauth2-proxy refuses the redirect as not whitelisted.
func returnTo(app *v1alpha1.App) string {
	if v1alpha1.Hostname(app.Host) != app.Host {
		return "$scheme://$http_host$escaped_request_uri"
	}
	return "$scheme://$host$escaped_request_uri"
}

type cfgWriter struct{ b strings.Builder }

func (w *cfgWriter) comment(s string) { fmt.Fprintf(&w.b, "# %s\n", s) }
func (w *cfgWriter) str(k, v string)  { fmt.Fprintf(&w.b, "%s = %s\n", k, strconv.Quote(v)) }
func (w *cfgWriter) boolean(k string, v bool) {
	fmt.Fprintf(&w.b, "%s = %t\n", k, v)
}
func (w *cfgWriter) list(k string, vs []string) {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	fmt.Fprintf(&w.b, "%s = [%s]\n", k, strings.Join(q, ", "))
}
func (w *cfgWriter) String() string { return w.b.String() }
