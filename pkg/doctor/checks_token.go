package doctor

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// nbfLeeway is go-oidc's allowance for clock skew on nbf; exp has none.
const nbfLeeway = 5 * time.Minute

var _ = register(Check{
	Code: "AS-10", Name: "token-signature-unknown-key", Category: CatToken, Severity: Error,
	Title:   "the token's signature verifies with the issuer's keys",
	Symptom: "401; the API server logs \"failed to verify signature: failed to verify id token signature\".",
	Cause:   "The token was signed by a key the issuer no longer publishes (dex memory storage restarted, keys rotated, token from another issuer) or was altered.",
	Fix:     "Log in again to get a token signed by a current key; give dex persistent storage so its keys survive restarts.",
	Needs:   []Need{NeedToken},
	Run: func(m *Model) []Finding {
		if m.JWKS == nil {
			return []Finding{skip("no key set to verify the signature with: give the issuer's keys with --jwks, or use --live")}
		}
		res, why := m.Token.Verify(m.JWKS.Keys)
		switch res {
		case Verified:
			return nil
		case Unverifiable:
			return []Finding{skip("%s", why)}
		}
		var kids []string
		for _, k := range m.JWKS.Keys.Keys {
			kids = append(kids, k.KeyID)
		}
		return []Finding{{
			Message:  "the token's signature does not verify: " + why,
			Evidence: []string{"token: header kid = " + q(m.Token.Kid()), m.JWKS.Source + ": kids = " + ql(kids)},
			Fix:      "get a fresh token (kubelogin: remove its token cache, e.g. ~/.kube/cache/oidc-login); if it recurs, the issuer's keys changed after the token was issued (dex memory storage restarting) - use persistent storage",
		}}
	},
})

var _ = register(Check{
	Code: "AS-11", Name: "token-expired", Category: CatToken, Severity: Error,
	Title:   "the token has not expired",
	Symptom: "401 after working for a while; the API server logs \"oidc: token is expired\".",
	Cause:   "The id token's exp is in the past; the API server allows no leeway on exp.",
	Fix:     "Refresh the token: kubelogin does it when it has a refresh token (request offline_access); otherwise log in again.",
	Needs:   []Need{NeedToken},
	Run: func(m *Model) []Finding {
		exp, ok := m.Token.Time("exp")
		if !ok {
			return []Finding{{Message: "the token has no exp claim; the API server rejects it", Evidence: []string{"token: claim exp is missing"}, Fix: "use an id token from the OIDC issuer, not an access token"}}
		}
		if !exp.Before(m.Now) {
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("the token expired at %s, %s before %s", exp.Format(time.RFC3339), m.Now.Sub(exp).Round(time.Second), m.Now.Format(time.RFC3339)),
			Evidence: []string{fmt.Sprintf("token: claim exp = %d (%s)", exp.Unix(), exp.Format(time.RFC3339))},
			Fix:      "get a fresh token (kubectl oidc-login get-token ... refreshes it when offline_access was granted)",
		}}
	},
})

var _ = register(Check{
	Code: "AS-12", Name: "clock-skew", Category: CatToken, Severity: Error,
	Title:   "the token's times agree with this clock",
	Symptom: "a fresh token gets 401 (\"current time before the nbf (not before) time\") or expires early.",
	Cause:   "The clocks of the issuer, the API server and this machine differ by minutes.",
	Fix:     "Synchronize the clocks (NTP/chrony) on the issuer's and the control-plane nodes.",
	Needs:   []Need{NeedToken},
	Run: func(m *Model) []Finding {
		var out []Finding
		_, hasNbf := m.Token.Time("nbf")
		if _, hasIat := m.Token.Time("iat"); !hasNbf && !hasIat {
			return []Finding{skip("the token has neither iat nor nbf to compare with this clock")}
		}
		if nbf, ok := m.Token.Time("nbf"); ok && nbf.After(m.Now.Add(nbfLeeway)) {
			out = append(out, Finding{
				Message:  fmt.Sprintf("the token is not valid before %s, %s from now (beyond the 5m leeway): the issuer's clock is ahead", nbf.Format(time.RFC3339), nbf.Sub(m.Now).Round(time.Second)),
				Evidence: []string{fmt.Sprintf("token: claim nbf = %d", nbf.Unix())},
				Fix:      "synchronize the issuer's clock with NTP",
			})
		}
		if iat, ok := m.Token.Time("iat"); ok && iat.After(m.Now.Add(time.Minute)) {
			out = append(out, Finding{
				Severity: Warning,
				Message:  fmt.Sprintf("the token was issued at %s, %s in the future: the clocks differ", iat.Format(time.RFC3339), iat.Sub(m.Now).Round(time.Second)),
				Evidence: []string{fmt.Sprintf("token: claim iat = %d", iat.Unix())},
				Fix:      "synchronize the clocks of the issuer, the API server and this machine with NTP",
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-13", Name: "audience-mismatch", Category: CatToken, Severity: Error,
	Title:   "the token's audience is one the API server accepts",
	Symptom: "401; the API server logs \"oidc: expected audience \\\"kubernetes\\\" got [...]\".",
	Cause:   "The token was issued to another client (an oauth2-proxy client, or kubelogin with another --oidc-client-id) than the audiences the API server accepts.",
	Fix:     "Add the client id to the API server's audiences (--oidc-client-id / issuer.audiences), or log in with the client the API server expects; for tokens forwarded by oauth2-proxy, request the cross-client scope audience:server:client_id:<kubectl client>.",
	Needs:   []Need{NeedAPIServer},
	Run: func(m *Model) []Finding {
		var out []Finding
		compared := 0
		if t := m.Token; t != nil {
			iss, _ := t.Str("iss")
			j, _ := m.jwtFor(iss)
			if j != nil {
				compared++
			}
			if j != nil && !anyIn(t.Audiences(), j.Audiences) {
				fix := fmt.Sprintf("add %q to %s, or log in with client %q", first(t.Audiences()), j.AudField, first(j.Audiences))
				if azp, ok := t.Str("azp"); ok && azp != "" && !contains(j.Audiences, azp) && len(m.Proxies) > 0 {
					fix = fmt.Sprintf("the token was requested by %q: make it request scope audience:server:client_id:%s and list %q in the trustedPeers of dex client %q", azp, first(j.Audiences), azp, first(j.Audiences))
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("the token's audience %s is none of the API server's audiences %s", ql(t.Audiences()), ql(j.Audiences)),
					Evidence: []string{"token: claim aud = " + ql(t.Audiences()), j.AudField + " = " + ql(j.Audiences)},
					Fix:      fix,
				})
			}
		}
		for _, u := range m.Kubeconfigs {
			if !u.OIDCLogin || u.ClientID == "" {
				continue
			}
			j, _ := m.jwtFor(u.IssuerURL)
			if j == nil {
				continue
			}
			compared++
			if !contains(j.Audiences, u.ClientID) {
				out = append(out, Finding{
					Message:  fmt.Sprintf("kubeconfig user %s logs in as client %q, whose tokens the API server does not accept (audiences %s)", u.Name, u.ClientID, ql(j.Audiences)),
					Evidence: []string{fmt.Sprintf("%s: users.%s --oidc-client-id = %q", u.Source, u.Name, u.ClientID), j.AudField + " = " + ql(j.Audiences)},
					Fix:      fmt.Sprintf("set --oidc-client-id=%s in the kubeconfig, or add %q to %s", first(j.Audiences), u.ClientID, j.AudField),
				})
			}
		}
		if compared == 0 {
			out = append(out, skip("nothing to compare with the API server's audiences: no token from a trusted issuer, no kubelogin client id"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-14", Name: "email-not-verified", Category: CatToken, Severity: Error,
	Title:   "the email used as username is verified",
	Symptom: "401; the API server logs \"oidc: email not verified\".",
	Cause:   "The username claim is email and the token carries email_verified: false.",
	Fix:     "Verify the address at the identity provider (dex oidc connector: insecureSkipEmailVerified only if you trust it), or use another username claim such as sub or preferred_username.",
	Needs:   []Need{NeedJWT, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		if j.UsernameClaim != "email" {
			return []Finding{skip("not applicable: the username does not come from the email claim")}
		}
		v, has := m.Token.Claims["email_verified"]
		if !has || v == true {
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("the username claim is email and the token says email_verified: %v; the API server rejects it", v),
			Evidence: []string{fmt.Sprintf("token: claim email_verified = %v", v), j.UserField + ".claim = \"email\""},
			Fix:      "verify the email at the identity provider, or map the username from another claim (sub, preferred_username) with a prefix",
		}}
	},
})

var _ = register(Check{
	Code: "AS-15", Name: "username-claim-missing", Category: CatToken, Severity: Error,
	Title:   "the token carries the username claim as a string",
	Symptom: "401; the API server logs \"oidc: parse username claims \\\"email\\\": claim not present\".",
	Cause:   "The token lacks the claim the API server takes the username from (email needs the email scope; some providers put it only in the userinfo).",
	Fix:     "Request the scope that carries the claim (kubelogin --oidc-extra-scope=email) or map the username from a claim the token has.",
	Needs:   []Need{NeedJWT, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		if j.UsernameClaim == "" {
			return []Finding{skip("the username comes from a CEL expression (%s), which doctor does not evaluate", j.UserField+".expression")}
		}
		v, has := m.Token.Claims[j.UsernameClaim]
		if _, isStr := v.(string); has && isStr {
			return nil
		}
		msg := fmt.Sprintf("the token has no %q claim to take the username from", j.UsernameClaim)
		if has {
			msg = fmt.Sprintf("the token's %q claim is not a string", j.UsernameClaim)
		}
		fix := fmt.Sprintf("map the username from a claim the token has (%s) in %s", strings.Join(claimNames(m.Token), ", "), j.UserField)
		if j.UsernameClaim == "email" {
			fix = "request the email scope (kubelogin --oidc-extra-scope=email) or " + fix
		}
		return []Finding{{Message: msg, Evidence: []string{j.UserField + ".claim = " + q(j.UsernameClaim), "token: claims = " + strings.Join(claimNames(m.Token), ",")}, Fix: fix}}
	},
})

func claimNames(t *Token) []string {
	var out []string
	for k := range t.Claims {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = register(Check{
	Code: "AS-16", Name: "groups-claim-not-list", Category: CatToken, Severity: Warning,
	Title:   "the groups claim is a list of strings",
	Symptom: "RBAC group bindings do not match; with a non-string value the API server logs \"oidc: parse groups claim\" and returns 401.",
	Cause:   "The groups claim is a single string (the API server takes it as ONE group, \"a,b\" included) or not a string at all.",
	Fix:     "Configure the issuer to emit the groups claim as a JSON array of strings.",
	Needs:   []Need{NeedJWT, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		if j.GroupsClaim == "" {
			return []Finding{skip("%s", noGroupsClaim(j))}
		}
		v, has := m.Token.Claims[j.GroupsClaim]
		if !has {
			return []Finding{skip("the token has no %q claim (see AS-17)", j.GroupsClaim)}
		}
		ev := []string{fmt.Sprintf("token: claim %s = %s", j.GroupsClaim, jsonOf(v))}
		switch x := v.(type) {
		case string:
			return []Finding{{Message: fmt.Sprintf("the %q claim is a string, not a list: the API server makes it one group %q", j.GroupsClaim, x), Evidence: ev, Fix: "emit the groups claim as a JSON array of strings at the issuer"}}
		case []any:
			for _, it := range x {
				if _, ok := it.(string); !ok {
					return []Finding{{Severity: Error, Message: fmt.Sprintf("the %q claim holds a non-string value; the API server rejects the token", j.GroupsClaim), Evidence: ev, Fix: "emit group names as strings"}}
				}
			}
			return nil
		}
		return []Finding{{Severity: Error, Message: fmt.Sprintf("the %q claim is neither a string nor a list; the API server rejects the token", j.GroupsClaim), Evidence: ev, Fix: "emit the groups claim as a JSON array of strings at the issuer"}}
	},
})

var _ = register(Check{
	Code: "AS-17", Name: "groups-claim-missing", Category: CatToken, Severity: Warning,
	Title:   "the token carries the groups claim the API server reads",
	Symptom: "authentication works but every group binding is ignored: 403 Forbidden.",
	Cause:   "The groups scope was not requested, or the issuer names the claim differently (roles, cognito:groups...) than the API server's groups claim.",
	Fix:     "Request the groups scope (kubelogin --oidc-extra-scope=groups) and set the API server's groups claim to the claim the issuer emits.",
	Needs:   []Need{NeedJWT, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		if j.GroupsClaim == "" {
			return []Finding{skip("%s", noGroupsClaim(j))}
		}
		if _, has := m.Token.Claims[j.GroupsClaim]; has {
			return nil
		}
		for _, name := range claimNames(m.Token) {
			if l, ok := m.Token.Claims[name].([]any); ok && name != "aud" && len(l) > 0 && looksLikeGroups(name) {
				return []Finding{{
					Message:  fmt.Sprintf("the API server reads groups from %q but the token carries them in %q", j.GroupsClaim, name),
					Evidence: []string{j.GroupsField + ".claim = " + q(j.GroupsClaim), fmt.Sprintf("token: claim %s = %s", name, jsonOf(l))},
					Fix:      fmt.Sprintf("set %s.claim to %q", j.GroupsField, name),
				}}
			}
		}
		ev := []string{j.GroupsField + ".claim = " + q(j.GroupsClaim), "token: claims = " + strings.Join(claimNames(m.Token), ",")}
		fix := "request the groups scope when logging in (kubelogin --oidc-extra-scope=groups)"
		for _, u := range m.Kubeconfigs {
			if u.OIDCLogin && !contains(u.ExtraScopes, "groups") {
				ev = append(ev, fmt.Sprintf("%s: users.%s --oidc-extra-scope = %s", u.Source, u.Name, ql(u.ExtraScopes)))
				fix = fmt.Sprintf("add --oidc-extra-scope=groups to the exec args of user %s", u.Name)
			}
		}
		return []Finding{{Message: fmt.Sprintf("the token has no %q claim: the user gets no groups, group bindings do not apply", j.GroupsClaim), Evidence: ev, Fix: fix}}
	},
})

func noGroupsClaim(j *JWTAuth) string {
	if j.GroupsExpr != "" {
		return "the groups come from a CEL expression (" + j.GroupsField + ".expression), which doctor does not evaluate"
	}
	return "the API server reads no groups claim (" + j.GroupsField + " is not set)"
}

func looksLikeGroups(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "group") || strings.Contains(n, "role") || strings.Contains(n, "team")
}

var _ = register(Check{
	Code: "AS-18", Name: "token-identity", Category: CatToken, Severity: Info,
	Title:   "the token decodes",
	Symptom: "-", Cause: "Informational: the token's header and claims (never its signature) and the user the API server makes of it.",
	Fix:   "-",
	Needs: []Need{NeedToken},
	Run: func(m *Model) []Finding {
		msg := "token " + m.Token.Summary()
		if j := m.tokenAuth(); j != nil {
			user, groups := j.identity(m.Token)
			msg += fmt.Sprintf("; the API server would see user %q groups %s", user, ql(groups))
		}
		return []Finding{{Message: msg, Evidence: []string{m.Token.Source}}}
	},
})

// identity is the username and groups the API server derives from t.
func (j *JWTAuth) identity(t *Token) (string, []string) { return j.identityOf(t.Claims) }

// identityOf is the username and groups the API server derives from claims
// (a claim mapping; CEL expressions are not evaluated).
func (j *JWTAuth) identityOf(claims map[string]any) (string, []string) {
	var user string
	if s, ok := claims[j.UsernameClaim].(string); ok && j.UsernameClaim != "" {
		user = j.UsernamePref + s
	}
	if j.GroupsClaim == "" {
		return user, nil
	}
	var groups []string
	switch v := claims[j.GroupsClaim].(type) {
	case string:
		groups = []string{j.GroupsPref + v}
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				groups = append(groups, j.GroupsPref+s)
			}
		}
	}
	return user, groups
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// tokenAuth is the API server authenticator the token is checked against.
func (m *Model) tokenAuth() *JWTAuth {
	iss, _ := m.Token.Str("iss")
	j, _ := m.jwtFor(iss)
	return j
}
