package doctor

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// eachBinding is the Run of a check that looks at one binding at a time:
// the findings of f for every binding, or a skip when none was given (an
// RBAC check with nothing to examine must not report ✓).
func eachBinding(m *Model, f func(Binding) []Finding) []Finding {
	if len(m.RBAC.Bindings) == 0 {
		return []Finding{skip("no RoleBinding or ClusterRoleBinding was given")}
	}
	var out []Finding
	for _, b := range m.RBAC.Bindings {
		out = append(out, f(b)...)
	}
	return out
}

func (b Binding) ref() string {
	if b.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", b.Kind, b.Namespace, b.Name)
	}
	return fmt.Sprintf("%s %s", b.Kind, b.Name)
}

// oidcSubject reports whether a subject could be an OIDC user or group,
// as opposed to built-in names.
func oidcSubject(s rbacv1.Subject) bool {
	return (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) && !strings.HasPrefix(s.Name, "system:")
}

var _ = register(Check{
	Code: "AS-30", Name: "rbac-subject-missing-prefix", Category: CatRBAC, Severity: Error,
	Title:   "RBAC subjects carry the API server's username and groups prefixes",
	Symptom: "login works (kubectl auth whoami shows the user) but every request gets 403 Forbidden.",
	Cause:   "The API server prefixes OIDC usernames and groups (for example \"oidc:\"); a binding naming \"alice@example.com\" never matches \"oidc:alice@example.com\".",
	Fix:     "Write the subjects with the prefix, exactly as `kubectl auth whoami` prints the user.",
	Needs:   []Need{NeedJWT, NeedRBAC},
	Run: func(m *Model) []Finding {
		j := m.jwts()[0]
		var out []Finding
		examined := 0
		for _, b := range m.RBAC.Bindings {
			for i, s := range b.Subjects {
				if !oidcSubject(s) {
					continue
				}
				examined++
				prefix, field := j.UsernamePref, j.UserPrefField
				if s.Kind == rbacv1.GroupKind {
					prefix, field = j.GroupsPref, j.GroupsPrefField
				}
				if prefix == "" || strings.HasPrefix(s.Name, prefix) {
					continue
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s binds %s %q, but the API server names OIDC %ss %q", b.ref(), s.Kind, s.Name, strings.ToLower(s.Kind), prefix+s.Name),
					Evidence: []string{fmt.Sprintf("%s: %s subjects[%d].name = %q", b.Source, b.ref(), i, s.Name), field + " = " + q(prefix)},
					Fix:      fmt.Sprintf("rename the subject to %q", prefix+s.Name),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("no binding names a user or group outside system:"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-31", Name: "rbac-email-subject-with-sub-claim", Category: CatRBAC, Severity: Error,
	Title:   "User subjects have the shape of the username claim",
	Symptom: "403 Forbidden for users bound by email address, or for a group bound as a User.",
	Cause:   "The username comes from the sub claim (an opaque id) while the bindings name email addresses; or usernames are email addresses while a User subject is not one (a group name bound with kind User).",
	Fix:     "Set the username claim to email (with a prefix), or bind the users by their sub value.",
	Needs:   []Need{NeedJWT, NeedRBAC},
	Run: func(m *Model) []Finding {
		j := m.jwts()[0]
		if j.UsernameClaim == "email" {
			return emailUsers(m.RBAC, j)
		}
		if j.UsernameExpr != "" {
			return []Finding{skip("the username comes from a CEL expression (%s), which doctor does not evaluate", j.UserField+".expression")}
		}
		var out []Finding
		users := 0
		for _, b := range m.RBAC.Bindings {
			for i, s := range b.Subjects {
				name := strings.TrimPrefix(s.Name, j.UsernamePref)
				if s.Kind == rbacv1.UserKind && oidcSubject(s) {
					users++
				}
				if s.Kind == rbacv1.UserKind && oidcSubject(s) && strings.Contains(name, "@") {
					out = append(out, Finding{
						Message:  fmt.Sprintf("%s binds user %q by email, but usernames come from the %q claim", b.ref(), s.Name, j.UsernameClaim),
						Evidence: []string{fmt.Sprintf("%s: %s subjects[%d].name = %q", b.Source, b.ref(), i, s.Name), j.UserField + ".claim = " + q(j.UsernameClaim)},
						Fix:      fmt.Sprintf("set %s.claim to \"email\", or bind the user's %s value instead", j.UserField, j.UsernameClaim),
					})
				}
			}
		}
		if users == 0 {
			out = append(out, skip("no binding names a User subject outside system:"))
		}
		return out
	},
})

// emailUsers reports User subjects that cannot be an email address while
// usernames come from the email claim: a group (or a name) bound as a
// User matches nobody.
func emailUsers(r *RBAC, j *JWTAuth) []Finding {
	var out []Finding
	users := 0
	for _, b := range r.Bindings {
		for i, s := range b.Subjects {
			if s.Kind != rbacv1.UserKind || !oidcSubject(s) || (j.UsernamePref != "" && !strings.HasPrefix(s.Name, j.UsernamePref)) {
				continue
			}
			users++
			if strings.Contains(strings.TrimPrefix(s.Name, j.UsernamePref), "@") {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s binds user %q, but usernames are email addresses (the email claim): no one has that name", b.ref(), s.Name),
				Evidence: []string{fmt.Sprintf("%s: %s subjects[%d] = User %q", b.Source, b.ref(), i, s.Name), j.UserField + ".claim = " + q(j.UsernameClaim)},
				Fix:      "bind the user by email address, or make the subject a Group if it names a group",
			})
		}
	}
	if users == 0 {
		out = append(out, skip("no binding names a User subject outside system:"))
	}
	return out
}

// matching returns the bindings that name user or one of groups.
func (r *RBAC) matching(user string, groups []string) []Binding {
	var out []Binding
	for _, b := range r.Bindings {
		for _, s := range b.Subjects {
			if (s.Kind == rbacv1.UserKind && s.Name == user) || (s.Kind == rbacv1.GroupKind && contains(groups, s.Name)) {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

var _ = register(Check{
	Code: "AS-32", Name: "rbac-binding-match", Category: CatRBAC, Severity: Error,
	Title:   "a binding grants the token's user something",
	Symptom: "403 Forbidden for every request of a user who logs in fine.",
	Cause:   "No RoleBinding or ClusterRoleBinding names the username or any group the API server derives from the token.",
	Fix:     "Bind the user or one of the groups exactly as the API server names them (prefix included).",
	Needs:   []Need{NeedJWT, NeedRBAC, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		user, groups := j.identity(m.Token)
		matched := m.RBAC.matching(user, groups)
		if len(matched) == 0 {
			return []Finding{{
				Message:  fmt.Sprintf("no binding names user %q or groups %s", user, ql(groups)),
				Evidence: []string{fmt.Sprintf("%d bindings read from %s", len(m.RBAC.Bindings), m.RBAC.Source)},
				Fix:      fmt.Sprintf("add a subject {kind: User, name: %q} (or one of the groups) to the binding that should apply", user),
			}}
		}
		var refs []string
		for _, b := range matched {
			refs = append(refs, b.ref()+" -> "+b.RoleRef.Kind+" "+b.RoleRef.Name)
		}
		return []Finding{{Severity: Info, Message: fmt.Sprintf("user %q is granted by %s", user, strings.Join(refs, "; ")), Evidence: []string{m.RBAC.Source}}}
	},
})

var _ = register(Check{
	Code: "AS-33", Name: "rbac-rolebinding-scope", Category: CatRBAC, Severity: Warning,
	Title:   "bindings have the scope their role suggests",
	Symptom: "403 on cluster-scoped resources (nodes, namespaces) or in other namespaces although \"the user is admin\".",
	Cause:   "A RoleBinding grants its role only inside its namespace, even when it refers to a ClusterRole such as cluster-admin.",
	Fix:     "Use a ClusterRoleBinding for cluster-wide access; keep RoleBindings for one namespace.",
	Needs:   []Need{NeedRBAC},
	Run: func(m *Model) []Finding {
		out := eachBinding(m, func(b Binding) []Finding {
			if b.Kind != "RoleBinding" || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != "cluster-admin" {
				return nil
			}
			return []Finding{{
				Message:  fmt.Sprintf("%s binds cluster-admin, which a RoleBinding grants only inside namespace %s", b.ref(), b.Namespace),
				Evidence: []string{fmt.Sprintf("%s: %s roleRef = ClusterRole cluster-admin", b.Source, b.ref())},
				Fix:      "make it a ClusterRoleBinding if cluster-wide access is meant, or bind the admin ClusterRole for one namespace",
			}}
		})
		if len(m.RBAC.Bindings) > 0 && m.Token != nil && len(m.jwts()) > 0 {
			j := m.tokenAuth()
			user, groups := j.identity(m.Token)
			matched := m.RBAC.matching(user, groups)
			var namespaces []string
			for _, b := range matched {
				if b.Kind == "ClusterRoleBinding" {
					return out
				}
				namespaces = append(namespaces, b.Namespace)
			}
			if len(matched) > 0 {
				out = append(out, Finding{
					Severity: Info,
					Message:  fmt.Sprintf("user %q has only RoleBindings, in namespaces %s: cluster-scoped requests and other namespaces get 403", user, ql(namespaces)),
					Evidence: []string{m.RBAC.Source},
					Fix:      "use kubectl -n <namespace>, or add a ClusterRoleBinding for cluster-wide access",
				})
			}
		}
		return out
	},
})
