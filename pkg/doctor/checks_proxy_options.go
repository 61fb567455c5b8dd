package doctor

import (
	"fmt"
	"net"
	"strings"
)

// oidcProviders are oauth2-proxy's providers that verify id tokens of the
// issuer in oidc_issuer_url (providers/providers.go
// providerRequiresOIDCProviderVerifier); the others ignore it.
var oidcProviders = []string{"oidc", "adfs", "azure", "cidaas", "gitlab", "keycloak-oidc", "entra-id"}

var _ = register(Check{
	Code: "AS-64", Name: "proxy-provider-not-oidc", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy uses an OIDC provider for the issuer it names",
	Symptom: "the login goes to Google (or another fixed provider) instead of the issuer, or oauth2-proxy does not start.",
	Cause:   "provider is unset or names a provider that ignores oidc_issuer_url: oauth2-proxy's default provider is google (pkg/apis/options/legacy_options.go, flag --provider), and only the OIDC-verifying providers (oidc, keycloak-oidc, entra-id, adfs, azure, cidaas, gitlab) read the issuer.",
	Fix:     "Set provider = \"oidc\" (--provider=oidc, OAUTH2_PROXY_PROVIDER=oidc).",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			if p.Config == nil || p.Issuer == "" {
				out = append(out, skip("not applicable: oauth2-proxy %s names no issuer (oidc_issuer_url)", p.App))
				continue
			}
			if contains(oidcProviders, p.Config.Provider) {
				continue
			}
			what := q(p.Config.Provider)
			if _, ok := p.Config.Where("provider"); !ok {
				what = "unset, so oauth2-proxy's default \"google\""
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s names the issuer %s, but its provider is %s, which ignores it", p.App, p.Issuer, what),
				Evidence: []string{p.at("provider") + " = " + q(p.Config.Provider), p.at("oidc_issuer_url") + " = " + q(p.Issuer)},
				Fix:      fmt.Sprintf("set provider = \"oidc\" in %s", p.Source),
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-65", Name: "proxy-email-domains-missing", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy says which users' email addresses it accepts",
	Symptom: "oauth2-proxy does not start: \"missing setting for email validation: email-domain or authenticated-emails-file required\".",
	Cause:   "Neither email_domains nor authenticated_emails_file is set; oauth2-proxy refuses such a configuration (pkg/validation/options.go).",
	Fix:     "Set email_domains to the domains whose users may log in (\"*\" for any, then restrict with allowed_groups).",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			c := p.Config
			if c == nil || len(c.EmailDomains) > 0 || c.AuthenticatedEmailsFile != "" || c.Other["htpasswd_file"] != "" || c.Other["--htpasswd-file"] != "" {
				continue
			}
			if p.alphaAlone() {
				// An alpha config has no email_domains (oauth2-proxy
				// pkg/apis/options/alpha_options.go AlphaOptions): it comes
				// from the --config file or flags beside it, which doctor
				// was not given.
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("oauth2-proxy %s: only its alpha config was given, which cannot hold email_domains: oauth2-proxy refuses to start unless the --config file or the flags it runs with set email_domains or authenticated_emails_file", p.App),
					Evidence: []string{p.Source + ": an alpha config (providers, upstreamConfig)"},
					Fix:      fmt.Sprintf("give the config file oauth2-proxy reads with --config too, named as %s with the extension .cfg (both with --oauth2-proxy-config), and check email_domains there", p.Source),
				})
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s has neither email_domains nor authenticated_emails_file: it refuses to start", p.App),
				Evidence: []string{p.at("email_domains") + " is not set"},
				Fix:      fmt.Sprintf("set email_domains in %s (\"*\" with allowed_groups, or the users' domains)", p.Source),
			})
		}
		return out
	},
})

// cookieDomainFor mirrors oauth2-proxy's choice of the cookie's Domain for
// a request host: the first cookie_domains entry the host ends with, else
// the last entry (pkg/cookies/cookies.go MakeCookieFromOptions,
// GetCookieDomain).
func cookieDomainFor(host string, domains []string) string {
	for _, d := range domains {
		if strings.HasSuffix(host, d) {
			return d
		}
	}
	return domains[len(domains)-1]
}

// domainMatches is a browser's domain-match of a cookie's Domain against
// the request host (RFC 6265 section 5.1.3; a leading dot is ignored).
func domainMatches(host, domain string) bool {
	d := strings.ToLower(strings.TrimPrefix(domain, "."))
	h := strings.ToLower(host)
	return h == d || (strings.HasSuffix(h, "."+d) && net.ParseIP(h) == nil)
}

var _ = register(Check{
	Code: "AS-66", Name: "cookie-domain-mismatch", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "the browser keeps oauth2-proxy's cookies on the app's host",
	Symptom: "the login never completes: after the issuer the browser comes back without the CSRF or session cookie and starts over; oauth2-proxy logs \"request host ... did not match any of the specific cookie domains\".",
	Cause:   "No cookie_domains entry covers the app's host, so oauth2-proxy sets its cookies for another domain (the last entry), which the browser refuses for this host.",
	Fix:     "Set cookie_domains to the app's host name (or leave it unset for a host-only cookie).",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			if p.Config == nil || len(p.Config.CookieDomains) == 0 {
				out = append(out, skip("not applicable: oauth2-proxy %s sets host-only cookies (no cookie_domains)", p.App))
				continue
			}
			hosts := m.appHosts(p)
			if len(hosts) == 0 {
				out = append(out, skip("oauth2-proxy %s: no redirect_url and no Ingress that signs in through it name the app's host", p.App))
			}
			for _, h := range hosts {
				name := h
				if hh, _, err := net.SplitHostPort(h); err == nil {
					name = hh
				}
				// oauth2-proxy compares the Host header, port included.
				d := cookieDomainFor(h, p.Config.CookieDomains)
				if domainMatches(name, d) {
					continue
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sets its cookies for %q on %s: the browser refuses them there, and the login loops", p.App, d, h),
					Evidence: []string{p.at("cookie_domains") + " = " + ql(p.Config.CookieDomains)},
					Fix:      fmt.Sprintf("add %q to cookie_domains in %s", name, p.Source),
				})
			}
		}
		return out
	},
})
