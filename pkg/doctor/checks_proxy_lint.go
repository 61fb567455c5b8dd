package doctor

import (
	"fmt"
	"strings"
	"time"
)

// cookieExpireLong is where a session lifetime stops being a working week:
// oauth2-proxy's default cookie_expire is 168h.
const cookieExpireLong = 30 * 24 * time.Hour

var _ = register(Check{
	Code: "AS-57", Name: "cookie-insecure", Category: CatOAuth2Proxy, Severity: Error,
	Title:   "oauth2-proxy's session cookie is Secure, HttpOnly and not kept for months",
	Symptom: "none at first: the session cookie can be read by page scripts or sent over plain http, where it can be stolen and replayed until it expires.",
	Cause:   "cookie_secure = false sends the cookie over http; cookie_httponly = false lets scripts read it (XSS steals the session); cookie_samesite = \"none\" without Secure is refused by browsers; a very long cookie_expire keeps a stolen session valid.",
	Fix:     "Keep oauth2-proxy's defaults cookie_secure = true and cookie_httponly = true, use cookie_samesite = \"lax\", and a cookie_expire of a day to a week.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		// The option names and defaults are oauth2-proxy's
		// (pkg/apis/options/cookie.go); samesite values per
		// pkg/validation/cookie.go validateCookie.
		var out []Finding
		for _, p := range m.Proxies {
			if !p.CookieSecure {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sets its session cookie without Secure: browsers send it over plain http too", p.App),
					Evidence: []string{p.at("cookie_secure") + " = false"},
					Fix:      "set cookie_secure = true in " + p.Source,
				})
			}
			if !p.CookieHTTPOnly {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sets its session cookie without HttpOnly: any script on the app's pages can read and send away the session", p.App),
					Evidence: []string{p.at("cookie_httponly") + " = false"},
					Fix:      "set cookie_httponly = true in " + p.Source,
				})
			}
			if strings.EqualFold(p.CookieSameSite, "none") && !p.CookieSecure {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s sets SameSite=None without Secure: browsers refuse such a cookie, and it would go along with cross-site requests", p.App),
					Evidence: []string{p.at("cookie_samesite") + " = \"none\"", p.at("cookie_secure") + " = false"},
					Fix:      "set cookie_samesite = \"lax\" and cookie_secure = true in " + p.Source,
				})
			}
			if p.CookieExpire > cookieExpireLong {
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("oauth2-proxy %s keeps sessions for %s: a stolen cookie stays valid that long, and group changes at the identity provider apply only at the next login unless sessions refresh", p.App, p.CookieExpire),
					Evidence: []string{fmt.Sprintf("%s = %q", p.at("cookie_expire"), p.CookieExpire)},
					Fix:      "set cookie_expire to \"168h\" or less in " + p.Source,
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-58", Name: "skip-jwt-bearer-tokens", Category: CatOAuth2Proxy, Severity: Warning,
	Title:   "oauth2-proxy lets in bearer tokens only of its own client",
	Symptom: "none at first: a request with an Authorization: Bearer token gets into the app without a login, including tokens issued for other applications.",
	Cause:   "skip_jwt_bearer_tokens lets through every request whose bearer JWT verifies and whose aud is the proxy's client id or the audience of an extra_jwt_issuers pair; allowed_groups and email_domains still apply. Whoever holds such a token (an upstream app the token was forwarded to, a kubectl token cache) can replay it; an extra_jwt_issuers pair naming another client's audience lets that client's tokens in.",
	Fix:     "Turn skip_jwt_bearer_tokens off unless API clients need it; list in extra_jwt_issuers only issuer=audience pairs whose audience is a client meant for this app.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		// Semantics: oauth2-proxy docs/configuration/overview.md
		// (skip_jwt_bearer_tokens, extra_jwt_issuers) and oauthproxy.go
		// getAuthenticatedSession, which authorizes JWT sessions like
		// cookie sessions.
		var out []Finding
		for _, p := range m.Proxies {
			if !p.SkipJWTBearer {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s lets in any request with a bearer token that %s issued to %q, without a login: whoever holds such a token can replay it here", p.App, p.Issuer, p.ClientID),
				Evidence: []string{p.at("skip_jwt_bearer_tokens") + " = true"},
				Fix:      "remove skip_jwt_bearer_tokens from " + p.Source + " unless API clients need it",
			})
			for _, pair := range p.ExtraJWTIssuers {
				iss, aud, _ := strings.Cut(pair, "=")
				ev := []string{p.at("extra_jwt_issuers") + " contains " + q(pair), p.at("client_id") + " = " + q(p.ClientID)}
				switch {
				case aud != p.ClientID:
					why := ""
					for _, j := range m.jwts() {
						if contains(j.Audiences, aud) {
							why = ": the API server's audience, so every kubectl user's token gets in"
							ev = append(ev, j.AudField+" = "+ql(j.Audiences))
							break
						}
					}
					out = append(out, Finding{
						Severity: Error,
						Message:  fmt.Sprintf("oauth2-proxy %s lets in tokens that %s issued to another client, %q%s", p.App, iss, aud, why),
						Evidence: ev,
						Fix:      fmt.Sprintf("remove %q from extra_jwt_issuers in %s, or issue the API clients tokens for %q", pair, p.Source, p.ClientID),
					})
				case iss != p.Issuer:
					out = append(out, Finding{
						Message:  fmt.Sprintf("oauth2-proxy %s lets in tokens of another issuer, %s", p.App, iss),
						Evidence: ev,
						Fix:      fmt.Sprintf("remove %q from extra_jwt_issuers in %s unless that issuer's users may use the app", pair, p.Source),
					})
				}
			}
		}
		return out
	},
})

// wildcardBase is what a whitelist_domains entry allows below, for the
// entries oauth2-proxy treats as wildcards: ".example.com" and
// "*.example.com" allow example.com and every host under it, at any depth
// (pkg/util/util.go isHostnameAllowed, after SplitHostPort).
func wildcardBase(entry string) (base string, ok bool) {
	host := entry
	if i := strings.LastIndex(host, ":"); i >= 0 && validWhitelistPort(host[i:]) {
		host = host[:i]
	}
	if b, ok := strings.CutPrefix(host, "*."); ok {
		return b, true
	}
	if b, ok := strings.CutPrefix(host, "."); ok {
		return b, true
	}
	return host, false
}

// validWhitelistPort mirrors oauth2-proxy's validOptionalPort: ":", ":*" or
// ":" and digits.
func validWhitelistPort(p string) bool {
	if p == ":*" {
		return true
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var _ = register(Check{
	Code: "AS-59", Name: "whitelist-domain-wildcard", Category: CatOAuth2Proxy, Severity: Warning,
	Title:   "oauth2-proxy redirects after login only to named hosts",
	Symptom: "none at first: a crafted login link (rd=https://evil.example.com/...) sends the user, just logged in, to a host the attacker controls.",
	Cause:   "whitelist_domains entries with a leading \".\" or \"*.\" allow the domain and every host under it at any depth; \".com\" allows every .com site (an open redirect). A lone \"*\" matches no host at all.",
	Fix:     "List the apps' hosts exactly in whitelist_domains.",
	Needs:   []Need{NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, p := range m.Proxies {
			for _, w := range p.Whitelist {
				ev := []string{p.at("whitelist_domains") + " contains " + q(w)}
				base, wild := wildcardBase(w)
				switch {
				case wild && !strings.Contains(strings.Trim(base, "."), "."):
					out = append(out, Finding{
						Severity: Error,
						Message:  fmt.Sprintf("oauth2-proxy %s may redirect after login to any host under %q: an open redirect for a crafted login link", p.App, "."+base),
						Evidence: ev,
						Fix:      fmt.Sprintf("replace %q by the apps' hosts in %s", w, p.Source),
					})
				case wild:
					out = append(out, Finding{
						Message:  fmt.Sprintf("oauth2-proxy %s may redirect after login to %s and every host under it: one someone else controls becomes a redirect target", p.App, base),
						Evidence: ev,
						Fix:      fmt.Sprintf("replace %q by the apps' hosts in %s", w, p.Source),
					})
				case base == "*":
					// isHostnameAllowed has no catch-all: "*" matches nothing.
					out = append(out, Finding{
						Message:  fmt.Sprintf("oauth2-proxy %s's whitelist entry %q matches no host (there is no catch-all), so it allows nothing", p.App, w),
						Evidence: ev,
						Fix:      fmt.Sprintf("replace %q by the apps' hosts in %s", w, p.Source),
					})
				}
			}
		}
		return out
	},
})
