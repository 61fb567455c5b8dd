package importer

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// A shared sign-in host (the classic oauthproxy.example.com setup): one
// oauth2-proxy whose redirect_url is on a host of its own, with a cookie for
// the parent domain, and app Ingresses on other hosts whose auth-url asks it
// and whose auth-signin sends users to its host. It becomes spec.auth.host,
// with one app per app Ingress.

// signsInForOthers reports a proxy that guards no Ingress on its own
// redirect_url host but is asked (auth-url) by Ingresses of other hosts.
func (im *importer) signsInForOthers(p *doctor.Proxy) bool {
	ru, err := url.Parse(p.RedirectURL)
	if err != nil || ru.Host == "" || im.guard(ru.Hostname()) != nil {
		return false
	}
	return len(im.askers(p, ru.Hostname())) > 0
}

// askers are the protected Ingresses, not on the sign-in host, whose
// auth-url names p.
func (im *importer) askers(p *doctor.Proxy, signin string) []*doctor.Ingress {
	var out []*doctor.Ingress
	for _, ing := range im.m.Ingresses {
		a := nginx(ing)
		if !a.Guarded() || slices.Contains(ing.Hosts, signin) || im.m.ProxyForAuthURL(a.URL) != p {
			continue
		}
		out = append(out, ing)
	}
	return out
}

func (im *importer) sharedSignin(proxies []*doctor.Proxy, names map[string]bool) {
	if len(proxies) == 0 {
		return
	}
	au := &im.spec.Auth
	var signin *url.URL
	cookieKept := false
	for _, p := range proxies {
		ru, _ := url.Parse(p.RedirectURL) // signsInForOthers parsed it
		if p.Issuer != im.jwt.Issuer {
			im.gap(p.Source, "oidc_issuer_url", "%q is not the issuer the API server trusts (%q): this proxy and the apps that ask it are not imported", p.Issuer, im.jwt.Issuer)
			continue
		}
		if signin == nil {
			signin = ru
			au.Host = ru.Host
			if p.ClientID != "oauth2-proxy" {
				au.ClientID = p.ClientID
			}
			if p.Namespace != "" && p.Namespace != "oauth2-proxy" {
				au.Namespace = p.Namespace
			}
			im.signinIngress(ru.Hostname())
		}
		if ru.Host != signin.Host {
			im.gap(p.Source, "redirect_url", "%s: the spec has one shared sign-in host (%s): this proxy and the apps that ask it are not imported", p.RedirectURL, signin.Host)
			continue
		}
		if ru.Path != "/oauth2/callback" || ru.Scheme != "https" {
			im.gap(p.Source, "redirect_url", "%s: the spec renders https://%s/oauth2/callback; add that URL to the client at the issuer", p.RedirectURL, ru.Host)
		}
		if au.ClientID != "" && p.ClientID != au.ClientID || au.ClientID == "" && p.ClientID != "oauth2-proxy" {
			im.gap(p.Source, "client_id", "%q: the apps of the shared sign-in host share one client (%q) in the spec", p.ClientID, orDefault(au.ClientID, "oauth2-proxy"))
		}
		if c := p.Config; c != nil && len(c.CookieDomains) > 0 && au.CookieDomain == "" {
			au.CookieDomain = c.CookieDomains[0]
			if len(c.CookieDomains) > 1 {
				im.gap(p.Source, "cookie_domains", "%v: the spec sets the cookie for one domain, %s", c.CookieDomains, au.CookieDomain)
			}
		}
		for _, ing := range im.askers(p, signin.Hostname()) {
			for _, host := range ing.Hosts {
				app, ok := im.ingressApp(p, ing, host, names)
				if !ok {
					continue
				}
				names[app.Name] = true
				im.proxies[app.Name] = p
				im.spec.Apps = append(im.spec.Apps, app)
			}
		}
		im.proxyOptions(p, "cookie_domains") // spec.auth.cookieDomain
		if p.CookieKnown && !cookieKept {
			im.res.Generated[render.CookieSecretName(oauth2proxy.SharedName)] = p.CookieSecret
			cookieKept = true
		}
		im.clients[p.ClientID] = true
	}
	if signin != nil && !cookieKept {
		im.gap(proxies[0].Source, "cookie_secret", "not readable here: a new cookie secret is generated, so users log in again once")
	}
	if signin != nil {
		im.oauth2Routes(signin.Hostname(), "the shared "+oauth2proxy.SharedName)
	}
}

// signinIngress takes the TLS Secret and class of the sign-in host's own
// Ingress (its /oauth2 paths).
func (im *importer) signinIngress(host string) {
	for _, ing := range im.m.Ingresses {
		if !slices.Contains(ing.Hosts, host) {
			continue
		}
		if s := ing.TLSSecrets[host]; s != "" {
			im.spec.Auth.TLSSecretName = s
		}
		if ing.ClassName != "" && ing.ClassName != v1alpha1.DefaultIngressClass {
			im.gap(fmt.Sprintf("%s: Ingress %s/%s", ing.Source, ing.Namespace, ing.Name), "spec.ingressClassName", "%q: the spec renders the sign-in host's Ingress with class %q", ing.ClassName, v1alpha1.DefaultIngressClass)
		}
		return
	}
	im.spec.Auth.TLSSecretName = oauth2proxy.SharedName + "-tls"
	im.gap(im.m.Proxies[0].Source, "redirect_url", "no Ingress for the sign-in host %s was given: the spec names Secret %s for its TLS; create it (kubernetes.io/tls) or set spec.tls.certManager", host, im.spec.Auth.TLSSecretName)
}
