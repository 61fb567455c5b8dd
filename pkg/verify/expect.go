package verify

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/rbac"
)

// action is one request attribute set an access review asks about.
type action struct {
	Verb, Group, Resource string
	// Namespace is empty for all namespaces, or for a cluster-scoped resource.
	Namespace string
	// Cluster marks a cluster-scoped resource.
	Cluster bool
	// from says which binding grants (or why nothing grants) the action.
	from string
}

func (a action) String() string {
	res := a.Resource
	if a.Group != "" {
		res += "." + a.Group
	}
	switch {
	case a.Cluster:
		return a.Verb + " " + res
	case a.Namespace == "":
		return a.Verb + " " + res + " in all namespaces"
	}
	return a.Verb + " " + res + " in " + a.Namespace
}

// samples are the actions checked against what a role grants, strongest
// first: a grant is checked with the first sample its role allows.
var samples = []action{
	{Verb: "delete", Resource: "nodes", Cluster: true},
	{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
	{Verb: "create", Group: "apps", Resource: "deployments"},
	{Verb: "get", Resource: "secrets"},
	{Verb: "create", Resource: "pods"},
	{Verb: "list", Resource: "pods"},
	{Verb: "list", Group: "apps", Resource: "deployments"},
}

// denials are what a user should not be able to do unless something grants it.
var denials = []action{
	{Verb: "delete", Resource: "namespaces", Cluster: true},
	{Verb: "delete", Resource: "pods"},
	{Verb: "get", Resource: "secrets", Namespace: "kube-system"},
	{Verb: "create", Group: "apps", Resource: "deployments", Namespace: "kube-system"},
}

// builtin approximates the rules of Kubernetes' user-facing ClusterRoles,
// enough to decide the sample actions. They grant namespaced resources only,
// except cluster-admin.
var builtin = map[string][]rbacv1.PolicyRule{
	"cluster-admin": {{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	"admin": {
		{APIGroups: []string{"", "apps", "batch", "networking.k8s.io", "autoscaling", "policy", "rbac.authorization.k8s.io"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	},
	"edit": {
		{APIGroups: []string{"", "apps", "batch", "networking.k8s.io", "autoscaling", "policy"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	},
	"view": {
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "endpoints", "persistentvolumeclaims", "events", "serviceaccounts", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps", "batch", "networking.k8s.io", "autoscaling", "policy"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
	},
}

// grant is one binding of the user to a role.
type grant struct {
	role      string
	namespace string
	// rules are nil when authstack does not know the role's rules.
	rules          []rbacv1.PolicyRule
	namespacedOnly bool
	from           string
}

func (g *grant) covers(a action) bool {
	switch {
	case a.Cluster && (g.namespace != "" || g.namespacedOnly):
		return false
	case !a.Cluster && g.namespace != "" && g.namespace != a.Namespace:
		return false
	}
	for _, r := range g.rules {
		if matches(r.Verbs, a.Verb) && matches(r.APIGroups, a.Group) && matches(r.Resources, a.Resource) {
			return true
		}
	}
	return false
}

func matches(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

// expectations returns the actions the spec grants user (prefixed, with the
// prefixed groups the API server sees) and a sample of actions it does not.
func expectations(spec *v1alpha1.Spec, user string, groups []string) (allow, deny []action, err error) {
	grants, err := userGrants(spec, user, groups)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, g := range grants {
		if g.rules == nil {
			continue
		}
		for _, s := range samples {
			if s.Cluster && g.namespace != "" {
				continue
			}
			s.Namespace = g.namespace
			if s.Cluster {
				s.Namespace = ""
			}
			if g.covers(s) {
				s.from = g.from
				if !seen[s.String()] {
					seen[s.String()] = true
					allow = append(allow, s)
				}
				break
			}
		}
	}
	for _, d := range denials {
		covered := false
		for _, g := range grants {
			if g.rules == nil && (g.namespace == "" || g.namespace == d.Namespace) {
				covered = true // cannot tell; do not claim a denial
			}
			covered = covered || g.covers(d)
		}
		if !covered {
			d.from = "nothing in the spec grants it"
			deny = append(deny, d)
		}
	}
	return allow, deny, nil
}

// userGrants finds the rendered bindings whose subjects include the user.
func userGrants(spec *v1alpha1.Spec, user string, groups []string) ([]grant, error) {
	custom := map[string][]rbacv1.PolicyRule{}
	objs, err := rbac.Render(spec, nil)
	if err != nil {
		return nil, fmt.Errorf("rbac: %w", err)
	}
	for _, o := range objs {
		if cr, ok := o.(*rbacv1.ClusterRole); ok {
			custom[cr.Name] = cr.Rules
		}
	}
	subjectMatches := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return (s.Kind == rbacv1.UserKind && s.Name == user) || (s.Kind == rbacv1.GroupKind && slices.Contains(groups, s.Name))
		})
	}
	roleOf := func(ref rbacv1.RoleRef, namespace, from string) grant {
		g := grant{role: ref.Name, namespace: namespace, from: fmt.Sprintf("%s → %s %s", from, ref.Kind, ref.Name)}
		if ref.Kind != "ClusterRole" {
			return g
		}
		if rules, ok := custom[ref.Name]; ok {
			g.rules = rules
		} else if rules, ok := builtin[ref.Name]; ok {
			g.rules = rules
			g.namespacedOnly = ref.Name != "cluster-admin"
		}
		return g
	}
	var out []grant
	for _, o := range objs {
		switch b := o.(type) {
		case *rbacv1.ClusterRoleBinding:
			if subjectMatches(b.Subjects) {
				out = append(out, roleOf(b.RoleRef, "", "ClusterRoleBinding "+b.Name))
			}
		case *rbacv1.RoleBinding:
			if subjectMatches(b.Subjects) {
				out = append(out, roleOf(b.RoleRef, b.Namespace, "RoleBinding "+b.Namespace+"/"+b.Name))
			}
		}
	}
	return out, nil
}
