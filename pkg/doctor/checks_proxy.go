package doctor

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// cookieSecretBytes mirrors oauth2-proxy's SecretBytes: a base64 value that
// decodes to 16, 24 or 32 bytes is used decoded, anything else raw.
func cookieSecretBytes(s string) int {
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		switch len(b) {
		case 16, 24, 32:
			return len(b)
		}
	}
	return len(s)
}

var _ = register(Check{
	Code: "AS-50", Name: "cookie-secret-length", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy's cookie secret is an AES key size",
	Symptom: "oauth2-proxy does not start: \"cookie_secret must be 16, 24, or 32 bytes to create an AES cipher\".",
	Cause:   "The cookie secret is neither 16, 24 or 32 bytes nor the base64 of such bytes.",
	Fix:     "Generate one: openssl rand -base64 32 | tr -- '+/' '-_'.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			if !p.CookieKnown {
				out = append(out, skip("oauth2-proxy %s's cookie secret is not in %s (cookie_secret_file, environment or a Secret not given?)", p.App, p.Source))
				continue
			}
			if n := cookieSecretBytes(p.CookieSecret); n != 16 && n != 24 && n != 32 {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s's cookie secret is %d bytes; it must be 16, 24 or 32 bytes (or their base64)", p.App, n),
					Evidence: []string{p.at("cookie_secret") + " (value not shown)"},
					Fix:      "replace cookie_secret with the output of: openssl rand -base64 32 | tr -- '+/' '-_'",
				})
			}
		}
		return out
	},
})

// idTokenLifetime is the id token lifetime known from dex or the token.
func (m *Model) idTokenLifetime() (time.Duration, string) {
	if m.Dex != nil && m.Dex.IDTokenLifetime > 0 {
		return m.Dex.IDTokenLifetime, m.Dex.Source + ": expiry.idTokens"
	}
	if m.Token != nil {
		iat, ok1 := m.Token.Time("iat")
		exp, ok2 := m.Token.Time("exp")
		if ok1 && ok2 && exp.After(iat) {
			return exp.Sub(iat), "token: exp - iat"
		}
	}
	return 0, ""
}

var _ = register(Check{
	Code: "AS-51", Name: "cookie-refresh-too-long", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy refreshes the session before the id token expires",
	Symptom: "after an hour the app gets 401 from the API server (expired forwarded token) or the browser loops through the login.",
	Cause:   "cookie_refresh is not shorter than the id token lifetime, so the session keeps serving an expired id token; or it is not shorter than cookie_expire, which oauth2-proxy refuses.",
	Fix:     "Set cookie_refresh to less than the id token lifetime (half of it is a good value), and request offline_access so the refresh can happen.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		life, where := m.idTokenLifetime()
		for _, p := range m.Proxies {
			if p.CookieRefresh == 0 {
				if !p.SetAuthz {
					out = append(out, skip("not applicable: oauth2-proxy %s neither refreshes sessions nor forwards the id token", p.App))
				}
				if life == 0 && p.SetAuthz {
					out = append(out, skip("the id token lifetime is unknown (give dex's config or a token)"))
				}
				if life > 0 && p.SetAuthz {
					out = append(out, Finding{
						Severity: Warning,
						Message:  fmt.Sprintf("oauth2-proxy %s forwards the id token but never refreshes it (cookie_refresh unset); it expires after %s", p.App, life),
						Evidence: []string{p.at("cookie_refresh") + " is not set", fmt.Sprintf("%s = %s", where, life)},
						Fix:      fmt.Sprintf("set cookie_refresh = %q in %s", (life / 2).String(), p.Source),
					})
				}
				continue
			}
			// oauth2-proxy compares the two only when cookie_expire is not 0
			// (a session cookie): pkg/validation/cookie.go validateCookie.
			if p.CookieExpire != 0 && p.CookieRefresh >= p.CookieExpire {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s: cookie_refresh %s is not less than cookie_expire %s; oauth2-proxy refuses to start", p.App, p.CookieRefresh, p.CookieExpire),
					Evidence: []string{fmt.Sprintf("%s = %q", p.at("cookie_refresh"), p.CookieRefresh), fmt.Sprintf("%s = %q", p.at("cookie_expire"), p.CookieExpire)},
					Fix:      "set cookie_refresh below cookie_expire",
				})
			}
			if life == 0 {
				out = append(out, skip("the id token lifetime is unknown (give dex's config or a token)"))
			}
			if life > 0 && p.CookieRefresh >= life {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s refreshes every %s, but id tokens live %s: the session holds an expired token in between", p.App, p.CookieRefresh, life),
					Evidence: []string{fmt.Sprintf("%s = %q", p.at("cookie_refresh"), p.CookieRefresh.String()), fmt.Sprintf("%s = %s", where, life)},
					Fix:      fmt.Sprintf("set cookie_refresh = %q in %s", (life / 2).String(), p.Source),
				})
			}
		}
		return out
	},
})

// appHosts are the hosts an oauth2-proxy serves: its redirect URL's host
// and the hosts of the Ingresses that send their auth requests to it.
func (m *Model) appHosts(p *Proxy) []string {
	var hosts []string
	redirect := hostOf(p.RedirectURL)
	if redirect != "" {
		hosts = append(hosts, redirect)
	}
	for _, in := range m.Ingresses {
		signin := in.nginx().Signin
		if signin == "" {
			continue
		}
		// The Ingress sends its users to this proxy's sign-in page.
		if hostOf(signin) != hostOf(p.RedirectURL) || hostOf(signin) == "" {
			continue
		}
		for _, h := range in.Hosts {
			// An Ingress host carries no port (networking/v1
			// IngressRule.Host): when the redirect URL names this host
			// with a port, the controller listens there and the browser
			// comes back to host:port, which the redirect host covers.
			if u, err := url.Parse("https://" + redirect); err == nil && u.Port() != "" && u.Hostname() == h {
				continue
			}
			hosts = appendNew(hosts, h)
		}
	}
	return hosts
}

var _ = register(Check{
	Code: "AS-52", Name: "whitelist-domain-missing", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy may redirect back to the app's host after login",
	Symptom: "after logging in the user lands on / of the proxy instead of the page they asked for, or loops back to the login; oauth2-proxy logs \"Rejecting invalid redirect ... domain / port not in whitelist\".",
	Cause:   "The ingress-nginx auth-signin passes rd=https://<app host>/...; oauth2-proxy follows absolute redirects only to whitelist_domains.",
	Fix:     "Add the app's host (with :port if not 443) to whitelist_domains.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			hosts := m.appHosts(p)
			if len(hosts) == 0 {
				out = append(out, skip("oauth2-proxy %s: no redirect_url and no Ingress that signs in through it name the app's host", p.App))
			}
			for _, h := range hosts {
				if hostAllowed(h, p.Whitelist) {
					continue
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s serves %s but may not redirect back to it after login", p.App, h),
					Evidence: []string{p.at("whitelist_domains") + " = " + ql(p.Whitelist)},
					Fix:      fmt.Sprintf("add %q to whitelist_domains in %s", h, p.Source),
				})
			}
		}
		return out
	},
})

// hostAllowed mirrors oauth2-proxy's IsEndpointAllowed for an https URL to host.
func hostAllowed(host string, whitelist []string) bool {
	u, err := url.Parse("https://" + host)
	if err != nil {
		return false
	}
	name, port := u.Hostname(), u.Port()
	for _, w := range whitelist {
		wh, wp := w, ""
		if i := strings.LastIndex(w, ":"); i >= 0 && !strings.Contains(w[i:], "]") {
			wh, wp = w[:i], w[i+1:]
		}
		match := name == strings.TrimPrefix(wh, ".") || name == strings.TrimPrefix(wh, "*.") ||
			(strings.HasPrefix(wh, ".") && strings.HasSuffix(name, wh)) ||
			(strings.HasPrefix(wh, "*.") && strings.HasSuffix(name, wh[1:]))
		if match && (wp == "*" || wp == port) {
			return true
		}
	}
	return false
}

var _ = register(Check{
	Code: "AS-53", Name: "proxy-groups-scope-missing", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy requests the groups scope when it needs groups",
	Symptom: "every user gets 403 \"Permission Denied\" from oauth2-proxy (allowed_groups), or the app sees no groups.",
	Cause:   "dex returns the groups claim only for the groups scope; oauth2-proxy's scope does not include it (another issuer is not checked: it adds groups by its own configuration).",
	Fix:     "Add groups to oauth2-proxy's scope.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			if len(p.AllowedGroups) == 0 && !p.SetAuthz {
				out = append(out, skip("not applicable: oauth2-proxy %s neither has allowed_groups nor forwards the id token", p.App))
				continue
			}
			// groups is dex's scope; another issuer adds groups by its own
			// configuration and may refuse the scope (Keycloak: invalid_scope).
			if !m.mayBeDex(p.Issuer) {
				out = append(out, skip("not applicable: oauth2-proxy %s's issuer is not dex, whose groups scope this checks", p.App))
				continue
			}
			if p.has("groups") {
				continue
			}
			why := "allowed_groups is set"
			if len(p.AllowedGroups) == 0 {
				why = "it forwards the id token to an app that uses the groups"
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s does not request the groups scope, but %s", p.App, why),
				Evidence: []string{p.at("scope") + " = " + q(strings.Join(p.Scopes, " "))},
				Fix:      fmt.Sprintf("set scope = %q in %s", strings.Join(append(append([]string{}, p.Scopes...), "groups"), " "), p.Source),
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-54", Name: "groups-claim-name-mismatch", Category: CatOAuth2Proxy, Severity: Warning,
	Title:   "oauth2-proxy and the API server read groups from the same claim",
	Symptom: "allowed_groups rejects members, or the API server sees no groups although the app does.",
	Cause:   "oidc_groups_claim and the API server's groups claim name different claims; dex emits \"groups\".",
	Fix:     "Use the claim the issuer emits (dex: groups) in both.",
	Needs:   []Need{NeedProxy, NeedJWT},
	Run: func(m *Model) []Finding {
		var out []Finding
		j := m.jwts()[0]
		if j.GroupsClaim == "" {
			return []Finding{skip("%s", noGroupsClaim(j))}
		}
		for _, p := range m.Proxies {
			if p.GroupsClaim == j.GroupsClaim {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s reads groups from %q, the API server from %q", p.App, p.GroupsClaim, j.GroupsClaim),
				Evidence: []string{p.at("oidc_groups_claim") + " = " + q(p.GroupsClaim), j.GroupsField + ".claim = " + q(j.GroupsClaim)},
				Fix:      "set both to the claim the issuer emits (dex: \"groups\")",
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-55", Name: "proxy-offline-access-missing", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy gets a refresh token when it refreshes sessions",
	Symptom: "sessions end (new login, or 401 from the API server) when the id token expires, despite cookie_refresh.",
	Cause:   "dex issues refresh tokens only for the offline_access scope.",
	Fix:     "Add offline_access to oauth2-proxy's scope.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			if p.CookieRefresh == 0 {
				out = append(out, skip("not applicable: oauth2-proxy %s does not refresh sessions (cookie_refresh)", p.App))
				continue
			}
			if p.has("offline_access") {
				continue
			}
			// Without a refresh token oauth2-proxy keeps the expired id token
			// (providers/oidc.go RefreshSession needs one): an app that gets
			// it forwarded answers 401 from then on.
			sev := Warning
			if p.SetAuthz {
				sev = Error
			}
			out = append(out, Finding{
				Severity: sev,
				Message:  fmt.Sprintf("oauth2-proxy %s refreshes sessions every %s but does not request offline_access: there is no refresh token", p.App, p.CookieRefresh),
				Evidence: []string{p.at("scope") + " = " + q(strings.Join(p.Scopes, " "))},
				Fix:      fmt.Sprintf("add offline_access to scope in %s", p.Source),
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-56", Name: "forwarded-token-audience", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "tokens forwarded by oauth2-proxy are accepted by the API server",
	Symptom: "the Dashboard/Headlamp shows 401 Unauthorized from the API server.",
	Cause:   "A proxy with set_authorization_header forwards its id token: its audience must be one the API server accepts, which with dex takes the cross-client scope audience:server:client_id:<client>; any other issuer ignores that scope and issues the token for the proxy's own client id.",
	Fix:     "With dex, request scope audience:server:client_id:<API server audience> and make the proxy a trusted peer of that client; with another issuer, add the proxy's client id to the API server's audiences (AuthenticationConfiguration, audienceMatchPolicy MatchAny).",
	Needs:   []Need{NeedProxy, NeedJWT},
	Run: func(m *Model) []Finding {
		var out []Finding
		forwards := 0
		for _, p := range m.Proxies {
			if !p.SetAuthz {
				continue
			}
			forwards++
			j, _ := m.jwtFor(p.Issuer)
			// dex puts the requesting client into aud next to every
			// cross-client audience (server/tokens/claims.go GetAudience),
			// and oauth2-proxy accepts a token when any aud entry is its
			// client_id or one of oidc_extra_audiences
			// (pkg/providers/oidc/verifier.go isValidAudience): so the proxy
			// accepts its own cross-client tokens without
			// oidc_extra_audiences, and only the API server side can fail.
			// Only dex honours the cross-client scope; another issuer
			// issues the token for the proxy's client alone.
			if !contains(j.Audiences, p.ClientID) && !anyIn(m.effectiveCrossClientAudiences(p), j.Audiences) {
				fix := fmt.Sprintf("add audience:server:client_id:%s to scope in %s", first(j.Audiences), p.Source)
				msg := fmt.Sprintf("oauth2-proxy %s forwards id tokens issued to %q, which the API server does not accept (audiences %s)", p.App, p.ClientID, ql(j.Audiences))
				if !m.mayBeDex(p.Issuer) {
					msg += "; its issuer " + p.Issuer + " is not dex, so a cross-client scope does not change the audience"
					fix = fmt.Sprintf("add %q to %s (an AuthenticationConfiguration accepts several audiences with audienceMatchPolicy MatchAny; --oidc-client-id only one)", p.ClientID, j.AudField)
				}
				out = append(out, Finding{
					Message:  msg,
					Evidence: []string{p.at("scope") + " = " + q(strings.Join(p.Scopes, " ")), p.at("set_authorization_header") + " = true", j.AudField + " = " + ql(j.Audiences)},
					Fix:      fix,
				})
			}
		}
		if forwards == 0 {
			out = append(out, skip("not applicable: no oauth2-proxy forwards the id token (set_authorization_header)"))
		}
		return out
	},
})
