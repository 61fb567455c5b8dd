package doctor

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// broadSubject names the subjects that stand for everyone: every user and
// ServiceAccount the API server authenticates (any account at the identity
// provider included), and with anonymous auth everyone who reaches it.
func broadSubject(s rbacv1.Subject) bool {
	switch {
	case s.Kind == rbacv1.GroupKind:
		return s.Name == "system:authenticated" || s.Name == "system:unauthenticated"
	case s.Kind == rbacv1.UserKind:
		return s.Name == "system:anonymous"
	}
	return false
}

// harmlessDefaults are the ClusterRoles Kubernetes itself binds to
// system:authenticated or system:unauthenticated (kubernetes
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
// ClusterRoleBindings).
var harmlessDefaults = map[string]bool{"system:basic-user": true, "system:discovery": true, "system:public-info-viewer": true, "system:service-account-issuer-discovery": true}

// builtinPower is what the built-in user-facing ClusterRoles grant
// (docs: "User-facing roles"): admin and edit write and read Secrets, view
// reads everything but Secrets.
var builtinPower = map[string]string{
	"cluster-admin": "every verb on every resource",
	"admin":         "writes and reads Secrets in a namespace",
	"edit":          "writes and reads Secrets in a namespace",
}

var writeVerbSet = map[string]bool{"*": true, "create": true, "update": true, "patch": true, "delete": true, "deletecollection": true, "escalate": true, "bind": true, "impersonate": true, "approve": true, "sign": true}

// power says what a rule set grants that no one-for-all binding should:
// write verbs, reading Secrets, or wildcards; "" when none of it.
func power(rules []rbacv1.PolicyRule) string {
	var got []string
	for _, r := range rules {
		if len(r.Resources) == 0 {
			continue // non-resource URLs
		}
		for _, v := range r.Verbs {
			if writeVerbSet[v] {
				got = appendNew(got, "verb "+q(v))
			}
		}
		if readsSecrets(r) {
			got = appendNew(got, "reading Secrets")
		}
	}
	return strings.Join(got, ", ")
}

// readsSecrets reports whether a rule lets its subject read Secrets: get,
// list or watch (list and watch return the values) on secrets or on "*"
// in the core group.
func readsSecrets(r rbacv1.PolicyRule) bool {
	core := contains(r.APIGroups, "") || contains(r.APIGroups, "*")
	res := contains(r.Resources, "secrets") || contains(r.Resources, "*")
	verb := contains(r.Verbs, "get") || contains(r.Verbs, "list") || contains(r.Verbs, "watch") || contains(r.Verbs, "*")
	return core && res && verb
}

func (r *RBAC) role(ref rbacv1.RoleRef, ns string) *Role {
	for i := range r.Roles {
		o := &r.Roles[i]
		if o.Kind == ref.Kind && o.Name == ref.Name && (ref.Kind == "ClusterRole" || o.Namespace == ns) {
			return o
		}
	}
	return nil
}

var _ = register(Check{
	Code: "AS-34", Name: "rbac-everyone-bound", Category: CatRBAC, Severity: Error,
	Title:   "system:authenticated, system:unauthenticated and system:anonymous get no write or Secret access",
	Symptom: "anyone with an account at the identity provider (or, with anonymous auth, anyone who reaches the API server) can change the cluster or read its Secrets, whatever the other bindings say.",
	Cause:   "A binding names system:authenticated (every authenticated user and ServiceAccount), system:unauthenticated or system:anonymous, and its role writes, reads Secrets or uses wildcards.",
	Fix:     "Bind the role to the OIDC groups that need it (with their prefix) instead of one of the groups everyone is in.",
	Needs:   []Need{NeedRBAC},
	Run: func(m *Model) []Finding {
		return eachBinding(m, func(b Binding) []Finding {
			var broad []string
			for _, s := range b.Subjects {
				if broadSubject(s) {
					broad = append(broad, s.Name)
				}
			}
			if len(broad) == 0 || harmlessDefaults[b.RoleRef.Name] {
				return nil
			}
			ev := []string{fmt.Sprintf("%s: %s subjects include %s", b.Source, b.ref(), strings.Join(broad, ", ")), fmt.Sprintf("%s: %s roleRef = %s %s", b.Source, b.ref(), b.RoleRef.Kind, b.RoleRef.Name)}
			grants := ""
			if r := m.RBAC.role(b.RoleRef, b.Namespace); r != nil {
				grants = power(r.Rules)
				ev = append(ev, fmt.Sprintf("%s: %s %s grants %s", r.Source, r.Kind, r.Name, orNothing(grants)))
			} else if b.RoleRef.Kind == "ClusterRole" && builtinPower[b.RoleRef.Name] != "" {
				grants = builtinPower[b.RoleRef.Name]
			} else if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "view" {
				return []Finding{{
					Severity: Warning,
					Message:  fmt.Sprintf("%s lets %s read almost everything (the view role, Secrets excepted)", b.ref(), strings.Join(broad, ", ")),
					Evidence: ev,
					Fix:      fmt.Sprintf("bind view to the OIDC groups that need it instead of %s", strings.Join(broad, ", ")),
				}}
			} else {
				return []Finding{{
					Severity: Warning,
					Message:  fmt.Sprintf("%s binds %s to %s %s, which was not given: doctor cannot tell what it grants", b.ref(), strings.Join(broad, ", "), b.RoleRef.Kind, b.RoleRef.Name),
					Evidence: ev,
					Fix:      fmt.Sprintf("give the %s with --rbac, or bind it to the OIDC groups that need it", b.RoleRef.Kind),
				}}
			}
			if grants == "" {
				return nil
			}
			return []Finding{{
				Message:  fmt.Sprintf("%s gives %s %s %s: %s", b.ref(), strings.Join(broad, ", "), b.RoleRef.Kind, b.RoleRef.Name, grants),
				Evidence: ev,
				Fix:      fmt.Sprintf("replace %s in %s by the OIDC groups that need %s", strings.Join(broad, ", "), b.ref(), b.RoleRef.Name),
			}}
		})
	},
})

func orNothing(s string) string {
	if s == "" {
		return "no write verb and no Secret access"
	}
	return s
}

var _ = register(Check{
	Code: "AS-35", Name: "rbac-read-role-secrets", Category: CatRBAC, Severity: Warning,
	Title:   "read-only roles do not read Secrets",
	Symptom: "users with \"read-only\" access read every Secret in scope: ServiceAccount tokens, database passwords, TLS keys.",
	Cause:   "A role without write verbs grants get, list or watch on secrets (or on \"*\" resources); list and watch return the Secrets' values.",
	Fix:     "List the resources the role reads instead of \"*\", without secrets (as the built-in view role does).",
	Needs:   []Need{NeedRBAC},
	Run: func(m *Model) []Finding {
		if len(m.RBAC.Roles) == 0 {
			return []Finding{skip("no Role or ClusterRole was given")}
		}
		var out []Finding
		for _, r := range m.RBAC.Roles {
			if strings.HasPrefix(r.Name, "system:") {
				continue // Kubernetes' own component roles
			}
			writes, secrets := false, false
			for _, rule := range r.Rules {
				for _, v := range rule.Verbs {
					writes = writes || writeVerbSet[v]
				}
				secrets = secrets || readsSecrets(rule)
			}
			if writes || !secrets {
				continue
			}
			var bound []string
			for _, b := range m.RBAC.Bindings {
				if b.RoleRef.Kind == r.Kind && b.RoleRef.Name == r.Name {
					bound = append(bound, b.ref())
				}
			}
			msg := fmt.Sprintf("%s %s looks read-only but reads Secrets", r.Kind, r.Name)
			if len(bound) > 0 {
				msg += " for the subjects of " + strings.Join(bound, ", ")
			}
			out = append(out, Finding{
				Message:  msg,
				Evidence: []string{fmt.Sprintf("%s: %s %s rules grant get/list/watch on secrets or \"*\"", r.Source, r.Kind, r.Name)},
				Fix:      fmt.Sprintf("list the resources %s reads, without secrets, instead of \"*\"", r.Name),
			})
		}
		return out
	},
})
