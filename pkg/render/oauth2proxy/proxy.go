package oauth2proxy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// SharedName names the shared sign-in host's oauth2-proxy, and its Secret
// and cookie, which every variant of it reads.
const SharedName = "oauth2-proxy"

// Proxy is one oauth2-proxy Deployment and the apps whose requests it
// answers on /oauth2/auth. Without spec.auth.host each app has its own;
// with it one proxy signs users in for every app on the sign-in host, in
// several variants when its apps need different response headers: the
// response headers of /oauth2/auth are one setting for the whole proxy, a
// headers-mode app must not receive the user's id token (an API server
// credential) that a token-mode app is sent, and headers apps choosing
// different userHeaderClaims need different X-Auth-Request-User values.
type Proxy struct {
	// Name of the Deployment, Service and ConfigMap.
	Name      string
	Namespace string
	// Host is the sign-in host: /oauth2 is served there, and the issuer
	// redirects back to its /oauth2/callback.
	Host     string
	ClientID string
	// Secret holds cookie-secret and, unless ClientSecretRef, client-secret.
	Secret string
	// ClientSecretRef is a Secret key the user provides instead.
	ClientSecretRef *v1alpha1.SecretKeyRef
	// Identity decides the response headers of /oauth2/auth.
	Identity v1alpha1.IdentityMode
	// UserClaim is the claim of X-Auth-Request-User for a headers proxy.
	UserClaim v1alpha1.UserHeaderClaim
	// Apps are the apps whose Ingress asks this proxy.
	Apps []*v1alpha1.App
	// Shared is set for the sign-in host's proxies.
	Shared bool
	// SignIn is set for the proxy the sign-in host's Ingress routes to.
	SignIn bool
}

// Proxies are the oauth2-proxies of the spec, in a stable order.
func Proxies(spec *v1alpha1.Spec) []*Proxy {
	if !spec.SharedSignin() {
		out := make([]*Proxy, 0, len(spec.Apps))
		for i := range spec.Apps {
			a := &spec.Apps[i]
			if a.OwnLogin() {
				continue // no oauth2-proxy: the app logs users in itself
			}
			out = append(out, &Proxy{
				Name: Name(a), Namespace: a.Namespace, Host: a.Host, ClientID: a.ClientID, Secret: Name(a),
				ClientSecretRef: a.ClientSecret, Identity: a.Identity, UserClaim: a.UserHeader(), Apps: []*v1alpha1.App{a}, SignIn: true,
			})
		}
		return out
	}
	// One variant per set of response headers: the token one, and a
	// headers one per userHeaderClaim (X-Auth-Request-User is one setting
	// of the whole proxy, so apps wanting different claims cannot share
	// one). Headers variants come first, so the sign-in one keeps its name.
	type key struct {
		mode  v1alpha1.IdentityMode
		claim v1alpha1.UserHeaderClaim
	}
	var order []key
	for _, c := range v1alpha1.UserHeaderClaims {
		order = append(order, key{v1alpha1.IdentityHeaders, c})
	}
	order = append(order, key{v1alpha1.IdentityToken, ""})
	variants := map[key]*Proxy{}
	au := &spec.Auth
	for i := range spec.Apps {
		a := &spec.Apps[i]
		if a.OwnLogin() {
			continue // no oauth2-proxy: the app logs users in itself
		}
		k := key{v1alpha1.IdentityToken, ""}
		if a.Identity != v1alpha1.IdentityToken {
			k = key{v1alpha1.IdentityHeaders, a.UserHeader()}
		}
		p := variants[k]
		if p == nil {
			if !slices.Contains(order, k) {
				order = append(order, k) // an unvalidated claim: render still names it
			}
			p = &Proxy{Namespace: au.Namespace, Host: au.Host, ClientID: au.ClientID, Secret: SharedName,
				ClientSecretRef: au.ClientSecret, Identity: k.mode, UserClaim: k.claim, Shared: true}
			variants[k] = p
		}
		p.Apps = append(p.Apps, a)
	}
	var out []*Proxy
	for _, k := range order {
		p := variants[k]
		if p == nil {
			continue
		}
		switch {
		case len(out) == 0:
			p.Name, p.SignIn = SharedName, true
		case k.mode == v1alpha1.IdentityToken:
			p.Name = SharedName + "-" + string(k.mode)
		default:
			p.Name = SharedName + "-" + string(k.mode) + "-" + strings.ReplaceAll(string(k.claim), "_", "-")
		}
		out = append(out, p)
	}
	return out
}

// ProxyFor is the proxy that guards app.
func ProxyFor(spec *v1alpha1.Spec, app *v1alpha1.App) (*Proxy, error) {
	for _, p := range Proxies(spec) {
		for _, a := range p.Apps {
			if a.Name == app.Name {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("app %s has no oauth2-proxy", app.Name)
}

// emailDomains are the domains apps let sign in: the app's own for a
// per-app proxy; for a shared proxy all the apps' (any, if one app takes
// any), which AuthQuery narrows per app.
func emailDomains(apps []*v1alpha1.App) []string {
	var out []string
	for _, a := range apps {
		if slices.Contains(a.AllowedEmailDomains, "*") {
			return []string{"*"}
		}
		for _, d := range a.AllowedEmailDomains {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// signinApps are the apps whose users sign in through p: its own, or for
// a shared proxy every app, since each variant must accept the session
// that the sign-in variant made (same client, scopes, domains, redirects).
func (p *Proxy) signinApps(spec *v1alpha1.Spec) []*v1alpha1.App {
	if !p.Shared {
		return p.Apps
	}
	out := make([]*v1alpha1.App, 0, len(spec.Apps))
	for i := range spec.Apps {
		out = append(out, &spec.Apps[i])
	}
	return out
}

// AuthQuery is the query of a shared proxy's /oauth2/auth URL in app's
// Ingress: oauth2-proxy answers 403 to a signed-in user outside the
// groups of allowed_groups or the domains of allowed_email_domains
// (oauthproxy.go AuthOnly and authOnlyAuthorize, v7.15.6; each value is a
// comma-separated list, so each name is escaped on its own and the commas
// are kept). "" when the app takes every signed-in user. A per-app proxy
// enforces the same with its own allowed_groups and email_domains.
func AuthQuery(app *v1alpha1.App) string {
	var parts []string
	list := func(key string, vals []string) {
		if len(vals) == 0 {
			return
		}
		esc := make([]string, len(vals))
		for i, v := range vals {
			esc[i] = url.QueryEscape(v)
		}
		parts = append(parts, key+"="+strings.Join(esc, ","))
	}
	list("allowed_groups", app.AllowedGroups)
	if !slices.Contains(app.AllowedEmailDomains, "*") {
		list("allowed_email_domains", app.AllowedEmailDomains)
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// whitelist is where the proxy may send the browser back after sign-in:
// the apps' hosts, with their port when given (a whitelist entry without a
// port allows only the default ports: pkg/util/util.go IsEndpointAllowed,
// v7.15.6), and the sign-in host itself.
func whitelist(host string, apps []*v1alpha1.App) []string {
	out := []string{host}
	for _, a := range apps {
		if !slices.Contains(out, a.Host) {
			out = append(out, a.Host)
		}
	}
	return out
}
