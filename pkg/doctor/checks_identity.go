package doctor

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Kubernetes reserves names starting with "system:" for its own users and
// groups, and grants them rights by default: system:masters is bound to
// cluster-admin, system:nodes and system:serviceaccounts have their own
// roles. An OIDC username or group that reaches such a name gets those
// rights. The API server prepends the prefix as is:
//   - flags: an empty or unset --oidc-username-prefix means the issuer URL
//     and '#' for claims other than email, "-" means none; --oidc-groups-prefix
//     has no default (kubernetes pkg/kubeapiserver/options/authentication.go,
//     docs "--oidc-groups-prefix").
//   - AuthenticationConfiguration: claimMappings.username.prefix and
//     groups.prefix are prepended verbatim, "" means none
//     (k8s.io/apiserver pkg/apis/apiserver/v1 PrefixedClaimOrExpression);
//     userValidationRules can refuse system: names.
const systemPrefix = "system:"

// prefixRisk says how a username or groups prefix lets names reach
// system: (error) or other users' names (warning); guarded is true when
// a userValidationRule refuses system: names.
func prefixRisk(prefix string, guarded bool) (Severity, string) {
	switch {
	case prefix == systemPrefix && !guarded:
		return Error, fmt.Sprintf("the prefix %q makes every value a system: name (a value \"masters\" becomes \"system:masters\", which is cluster-admin)", prefix)
	case strings.HasPrefix(prefix, systemPrefix) && !guarded:
		return Warning, fmt.Sprintf("the prefix %q puts OIDC names under system:, which Kubernetes reserves for its own components", prefix)
	case prefix != "" && strings.HasPrefix(systemPrefix, prefix) && !guarded:
		return Error, fmt.Sprintf("the prefix %q is the start of \"system:\": a value starting with %q becomes a system: name", prefix, strings.TrimPrefix(systemPrefix, prefix))
	case prefix == "":
		return Warning, "there is no prefix: a value such as \"system:masters\" or \"kubeadm:cluster-admins\" is taken as is"
	case !strings.HasSuffix(prefix, ":") && !strings.HasSuffix(prefix, "#"):
		return Warning, fmt.Sprintf("the prefix %q does not end with ':', so it runs into the value (%q)", prefix, prefix+"admin")
	}
	return "", ""
}

// guards reports whether a userValidationRule refuses system: names of
// the kind ("username" or "groups"), such as
// !user.username.startsWith('system:').
func (j *JWTAuth) guards(kind string) bool {
	for _, r := range j.UserRules {
		if strings.Contains(r, systemPrefix) && strings.Contains(r, kind) {
			return true
		}
	}
	return false
}

// celPrefix is a CEL expression that starts with a string literal
// concatenated to the rest: 'oidc:' + claims.sub.
var celPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\+`) })

// prefixCheck reports the username or groups prefix of every issuer.
func prefixCheck(m *Model, kind string) []Finding {
	out := m.skipNoIssuer()
	for _, j := range m.jwts() {
		claim, expr, prefix, field, prefField := j.UsernameClaim, j.UsernameExpr, j.UsernamePref, j.UserField, j.UserPrefField
		noun := "usernames"
		if kind == "groups" {
			claim, expr, prefix, field, prefField = j.GroupsClaim, j.GroupsExpr, j.GroupsPref, j.GroupsField, j.GroupsPrefField
			noun = "groups"
		}
		ev := prefField + " = " + q(prefix)
		switch {
		case expr != "":
			sm := celPrefix().FindStringSubmatch(expr)
			if sm == nil {
				if !j.guards(kind) {
					out = append(out, skip("%s come from a CEL expression (%s.expression) that does not start with a fixed prefix; doctor does not evaluate CEL", noun, field))
				}
				continue
			}
			prefix = sm[1] + sm[2]
			ev = fmt.Sprintf("%s.expression = %q", field, expr)
		case claim == "":
			if kind == "groups" {
				out = append(out, skip("%s: the API server reads no groups claim", j.Source))
			}
			continue
		}
		sev, why := prefixRisk(prefix, j.guards(kind))
		if sev == "" {
			continue
		}
		if kind == "groups" && j.Flags && prefix == "-" {
			why = "the prefix \"-\" is taken literally: only --oidc-username-prefix reads \"-\" as no prefix"
		}
		out = append(out, Finding{
			Severity: sev,
			Message:  fmt.Sprintf("%s from claim %q: %s", noun, claimOrExpr(claim, expr), why),
			Evidence: []string{ev},
			Fix:      fmt.Sprintf("set %s to \"oidc:\" (and write RBAC subjects with it), or refuse system: names with a userValidationRule", prefField),
		})
	}
	return out
}

func claimOrExpr(claim, expr string) string {
	if expr != "" {
		return "expression"
	}
	return claim
}

var _ = register(Check{
	Code: "AS-07", Name: "username-unprefixed", Category: CatAPIServer, Severity: Warning,
	Title:   "OIDC usernames carry a prefix that keeps them out of system:",
	Symptom: "none at first: a token whose username claim is \"system:admin\" or the name of another user (a ServiceAccount's, kubeadm's kubernetes-admin) would be that user.",
	Cause:   "An empty username prefix puts OIDC users in the same namespace as built-in users; a prefix that is the start of \"system:\" (\"s\", \"sys\", \"system:\") lets a value complete it into a system: name.",
	Fix:     "Set a username prefix such as \"oidc:\" (--oidc-username-prefix, claimMappings.username.prefix) and use it in RBAC subjects.",
	Needs:   []Need{NeedAPIServer},
	Run:     func(m *Model) []Finding { return prefixCheck(m, "username") },
})

var _ = register(Check{
	Code: "AS-08", Name: "groups-unprefixed", Category: CatAPIServer, Severity: Warning,
	Title:   "OIDC groups carry a prefix that keeps them out of system:",
	Symptom: "none at first: anyone who can name a group at the identity provider (a GitHub team, an LDAP group) can become system:masters, that is cluster-admin.",
	Cause:   "--oidc-groups-prefix has no default and claimMappings.groups.prefix may be \"\": the groups claim is then taken as is; a prefix that is the start of \"system:\" lets a group name complete it.",
	Fix:     "Set a groups prefix such as \"oidc:\" (--oidc-groups-prefix, claimMappings.groups.prefix) and use it in RBAC subjects.",
	Needs:   []Need{NeedAPIServer},
	Run:     func(m *Model) []Finding { return prefixCheck(m, "groups") },
})

// knownClaims are the claim sets doctor knows an issuer emits: the token's
// and dex's static passwords'.
type knownClaims struct {
	where  string
	claims map[string]any
	auth   *JWTAuth
}

func (m *Model) knownClaims() []knownClaims {
	var out []knownClaims
	if m.Token != nil {
		out = append(out, knownClaims{"token", m.Token.Claims, m.tokenAuth()})
	}
	if m.Dex != nil {
		if j, exact := m.jwtFor(m.Dex.Issuer); exact {
			for _, p := range m.Dex.Passwords {
				out = append(out, knownClaims{fmt.Sprintf("%s: staticPasswords[%d]", m.Dex.Source, p.Index), p.Claims, j})
			}
		}
	}
	return out
}

var _ = register(Check{
	Code: "AS-19", Name: "system-identity", Category: CatToken, Severity: Error,
	Title:   "no known token or user becomes a system: user or group",
	Symptom: "a user of the identity provider has the rights of a Kubernetes component or of system:masters (cluster-admin).",
	Cause:   "Without a username or groups prefix (or with one that is the start of \"system:\"), a claim such as groups: [\"system:masters\"] becomes that Kubernetes group.",
	Fix:     "Set username and groups prefixes such as \"oidc:\", or refuse system: names with userValidationRules; remove such groups at the identity provider.",
	Needs:   []Need{NeedJWT},
	Run: func(m *Model) []Finding {
		known := m.knownClaims()
		if len(known) == 0 {
			return []Finding{skip("no token and no dex staticPasswords: doctor knows no claims to map")}
		}
		var out []Finding
		for _, k := range known {
			user, groups := k.auth.identityOf(k.claims)
			var bad, ev []string
			if strings.HasPrefix(user, systemPrefix) && !k.auth.guards("username") {
				bad = append(bad, "user "+q(user))
				ev = append(ev, fmt.Sprintf("%s: claim %s = %s", k.where, k.auth.UsernameClaim, jsonOf(k.claims[k.auth.UsernameClaim])), k.auth.UserPrefField+" = "+q(k.auth.UsernamePref))
			}
			badGroups := 0
			for _, g := range groups {
				if strings.HasPrefix(g, systemPrefix) && !k.auth.guards("groups") {
					bad = append(bad, "group "+q(g))
					badGroups++
				}
			}
			if badGroups > 0 {
				ev = append(ev, fmt.Sprintf("%s: claim %s = %s", k.where, k.auth.GroupsClaim, jsonOf(k.claims[k.auth.GroupsClaim])), k.auth.GroupsPrefField+" = "+q(k.auth.GroupsPref))
			}
			if len(bad) == 0 {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s: the API server would make it %s, a system: name with Kubernetes' built-in rights", k.where, strings.Join(bad, " and ")),
				Evidence: ev,
				Fix:      "set the username and groups prefixes to \"oidc:\" (and prefix the RBAC subjects), or refuse system: names with a userValidationRule; remove such names at the identity provider",
			})
		}
		return out
	},
})
