package doctor

import "fmt"

var _ = register(Check{
	Code: "AS-70", Name: "exec-plugin-api-removed", Category: CatKubeconfig, Severity: Error,
	Title:   "the kubeconfig's credential plugin uses a supported API version",
	Symptom: "kubectl fails before any request: \"exec plugin: invalid apiVersion \\\"client.authentication.k8s.io/v1alpha1\\\"\".",
	Cause:   "client.authentication.k8s.io/v1alpha1 was removed from kubectl/client-go in 1.24; only v1beta1 and v1 remain. The legacy oidc auth-provider is deprecated and does not use kubelogin.",
	Fix:     "Set users[].user.exec.apiVersion: client.authentication.k8s.io/v1 (kubelogin supports it).",
	Needs:   []Need{NeedKubeconfig},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, u := range m.Kubeconfigs {
			switch u.APIVersion {
			case "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1":
			case "auth-provider/oidc":
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("user %s uses the deprecated oidc auth-provider", u.Name),
					Evidence: []string{fmt.Sprintf("%s: users.%s.auth-provider.name = \"oidc\"", u.Source, u.Name)},
					Fix:      "replace it with an exec plugin: kubectl oidc-login get-token (client.authentication.k8s.io/v1)",
				})
			default:
				out = append(out, Finding{
					Message:  fmt.Sprintf("user %s's exec plugin uses apiVersion %q, which kubectl no longer accepts", u.Name, u.APIVersion),
					Evidence: []string{fmt.Sprintf("%s: users.%s.exec.apiVersion = %q", u.Source, u.Name, u.APIVersion)},
					Fix:      fmt.Sprintf("set users.%s.exec.apiVersion to client.authentication.k8s.io/v1", u.Name),
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-71", Name: "kubeconfig-offline-access-missing", Category: CatKubeconfig, Severity: Warning,
	Title:   "kubelogin requests offline_access",
	Symptom: "kubectl opens the browser for a new login every time the id token expires (1h by default in authstack, 24h in dex).",
	Cause:   "Without the offline_access scope dex issues no refresh token, so kubelogin cannot renew the token silently.",
	Fix:     "Add --oidc-extra-scope=offline_access to the exec args.",
	Needs:   []Need{NeedKubeconfig},
	Run: func(m *Model) []Finding {
		return m.missingScope("offline_access", "no refresh token, a new browser login at every expiry", func(*KubeUser) bool { return true })
	},
})

var _ = register(Check{
	Code: "AS-72", Name: "kubeconfig-groups-scope-missing", Category: CatKubeconfig, Severity: Error,
	Title:   "kubelogin requests the groups scope when RBAC binds groups",
	Symptom: "403 Forbidden for users who should get access through a group.",
	Cause:   "dex puts the groups claim in the token only for the groups scope (another issuer is not checked: it adds groups by its own configuration).",
	Fix:     "Add --oidc-extra-scope=groups to the exec args.",
	Needs:   []Need{NeedKubeconfig},
	Run: func(m *Model) []Finding {
		bindsGroups := m.RBAC == nil
		if m.RBAC != nil {
			for _, b := range m.RBAC.Bindings {
				for _, s := range b.Subjects {
					if s.Kind == "Group" && oidcSubject(s) {
						bindsGroups = true
					}
				}
			}
		}
		if !bindsGroups {
			return []Finding{skip("not applicable: no binding names a group")}
		}
		// groups is dex's scope; another issuer puts groups in the token
		// by its own configuration, and may refuse a scope it does not know.
		out := m.missingScope("groups", "the token carries no groups, group bindings do not apply", func(u *KubeUser) bool { return m.mayBeDex(u.IssuerURL) })
		if m.RBAC == nil {
			// Without the bindings it is not known that groups matter.
			for i := range out {
				if out[i].Severity == "" {
					out[i].Severity = Warning
				}
			}
		}
		return out
	},
})

// scopeOfClaim is the standard scope that asks for a claim (OpenID Connect
// Core 1.0 section 5.4; dex server/oauth2.go newIDToken adds email and
// email_verified for "email", name and preferred_username for "profile",
// groups for "groups", and nothing of them otherwise).
var scopeOfClaim = map[string]string{"email": "email", "email_verified": "email", "name": "profile", "preferred_username": "profile", "groups": "groups"}

var _ = register(Check{
	Code: "AS-73", Name: "kubeconfig-username-scope-missing", Category: CatKubeconfig, Severity: Error,
	Title:   "kubelogin requests the scope that carries the API server's username claim",
	Symptom: "every kubectl request gets 401; the API server logs \"oidc: parse username claims \\\"email\\\": claim not present\".",
	Cause:   "The API server takes the username from a claim (email, preferred_username) that the issuer puts in the id token only for its scope (email, profile): OpenID Connect Core 5.4, dex server/oauth2.go newIDToken (another issuer is not checked: it may add the claim by its own configuration).",
	Fix:     "Add --oidc-extra-scope=<scope> (email for the email claim, profile for preferred_username) to the exec args.",
	Needs:   []Need{NeedKubeconfig, NeedJWT},
	Run: func(m *Model) []Finding {
		j := m.jwts()[0]
		scope, ok := scopeOfClaim[j.UsernameClaim]
		if !ok || j.UsernameExpr != "" {
			return []Finding{skip("not applicable: the username claim %q needs no scope", j.UsernameClaim)}
		}
		// As for groups, only dex is known to leave the claim out without
		// its scope; another issuer may add it by its own configuration.
		out := m.missingScope(scope, fmt.Sprintf("the token has no %q claim, the API server takes the username from it (%s.claim)", j.UsernameClaim, j.UserField), func(u *KubeUser) bool { return m.mayBeDex(u.IssuerURL) })
		for i := range out {
			if out[i].Severity != skipped {
				out[i].Evidence = append(out[i].Evidence, j.UserField+".claim = "+q(j.UsernameClaim))
			}
		}
		return out
	},
})

// missingScope reports the kubelogin users that do not request scope,
// among those it applies to.
func (m *Model) missingScope(scope, consequence string, applies func(*KubeUser) bool) []Finding {
	var out []Finding
	logins := 0
	for _, u := range m.Kubeconfigs {
		if !applies(u) {
			continue
		}
		if u.OIDCLogin && u.APIVersion != "auth-provider/oidc" {
			logins++
		}
		if u.OIDCLogin && u.APIVersion != "auth-provider/oidc" && !contains(u.ExtraScopes, scope) {
			out = append(out, Finding{
				Message:  fmt.Sprintf("user %s does not request the %s scope: %s", u.Name, scope, consequence),
				Evidence: []string{fmt.Sprintf("%s: users.%s --oidc-extra-scope = %s (no %s)", u.Source, u.Name, ql(u.ExtraScopes), scope)},
				Fix:      fmt.Sprintf("add --oidc-extra-scope=%s to users.%s.exec.args", scope, u.Name),
			})
		}
	}
	if logins == 0 {
		out = append(out, skip("no kubeconfig user logs in with kubelogin (oidc-login)"))
	}
	return out
}
