package rbac

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

func renderSpec(t *testing.T, rbac v1alpha1.RBAC) []rbacv1.ClusterRole {
	t.Helper()
	prefix := "oidc:"
	s := &v1alpha1.Spec{Cluster: v1alpha1.Cluster{Name: "prod"}, RBAC: rbac,
		APIServer: v1alpha1.APIServer{UsernamePrefix: &prefix, GroupsPrefix: &prefix}}
	var roles []rbacv1.ClusterRole
	for _, o := range Render(s, map[string]string{}) {
		if r, ok := o.(*rbacv1.ClusterRole); ok {
			roles = append(roles, *r)
		}
	}
	return roles
}

// sensitive are the resources a read-only or developer role must never
// reach: Secrets themselves, and the subresources that run commands in,
// connect to, or mint credentials for what runs in the cluster.
var sensitive = []struct{ group, resource string }{
	{"", "secrets"},
	{"", "pods/exec"},
	{"", "pods/attach"},
	{"", "pods/portforward"},
	{"", "pods/proxy"},
	{"", "nodes/proxy"},
	{"", "services/proxy"},
	{"", "serviceaccounts/token"},
}

// grants reports whether a rule allows verb on group/resource, with the
// wildcards the RBAC authorizer honours (k8s.io/kubernetes/pkg/apis/rbac/v1
// helpers: "*" in verbs, apiGroups and resources, "*/sub" and "res/*").
func grants(r rbacv1.PolicyRule, group, resource, verb string) bool {
	if len(r.ResourceNames) > 0 {
		return false
	}
	has := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	if !has(r.Verbs, verb) || !has(r.APIGroups, group) {
		return false
	}
	for _, res := range r.Resources {
		base, sub, isSub := strings.Cut(resource, "/")
		switch {
		case res == "*", res == resource:
			return true
		case isSub && res == "*/"+sub, isSub && res == base+"/*":
			return true
		}
	}
	return false
}

func TestReadOnlyReachesNothingSensitive(t *testing.T) {
	roles := renderSpec(t, v1alpha1.RBAC{ReadOnly: &v1alpha1.Subjects{Groups: []string{"auditors"}}})
	var ro *rbacv1.ClusterRole
	for i := range roles {
		if roles[i].Name == ReadOnlyRole {
			ro = &roles[i]
		}
	}
	if ro == nil {
		t.Fatalf("no %s rendered", ReadOnlyRole)
	}
	if ro.AggregationRule != nil {
		t.Fatal("the read-only role must be its own rules, not an aggregation the test cannot see")
	}
	for _, r := range ro.Rules {
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs} {
			for _, v := range list {
				if v == "*" || strings.HasPrefix(v, "*/") || strings.HasSuffix(v, "/*") && len(r.NonResourceURLs) == 0 {
					t.Errorf("wildcard %q in rule %+v", v, r)
				}
			}
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("verb %q is not read-only in rule %+v", v, r)
			}
		}
		for _, s := range sensitive {
			for _, verb := range []string{"get", "list", "watch", "create"} {
				if grants(r, s.group, s.resource, verb) {
					t.Errorf("%s on %s is reachable through rule %+v", verb, s.resource, r)
				}
			}
		}
	}
	// A read-only admin sees the cluster-scoped objects the built-in view
	// role leaves out.
	for _, want := range []struct{ group, resource string }{
		{"", "nodes"}, {"", "namespaces"}, {"", "persistentvolumes"}, {"", "pods"}, {"", "pods/log"},
		{"apiextensions.k8s.io", "customresourcedefinitions"}, {"rbac.authorization.k8s.io", "clusterrolebindings"},
		{"storage.k8s.io", "storageclasses"}, {"apps", "deployments"},
	} {
		found := false
		for _, r := range ro.Rules {
			found = found || grants(r, want.group, want.resource, "list")
		}
		if !found {
			t.Errorf("read-only cannot list %s/%s", want.group, want.resource)
		}
	}
}

// The grant checker itself must see wildcards, or the test above proves nothing.
func TestGrantsSeesWildcards(t *testing.T) {
	for _, r := range []rbacv1.PolicyRule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"*/exec"}, Verbs: []string{"*"}},
		{APIGroups: []string{""}, Resources: []string{"pods/*"}, Verbs: []string{"get"}},
	} {
		if !grants(r, "", "pods/exec", "get") {
			t.Errorf("%+v grants get pods/exec", r)
		}
	}
}

// Team templates below devops (the built-in admin role) read no Secrets and
// cannot exec, attach or proxy; port-forward only where the name says so.
func TestTeamRolesReachNothingSensitive(t *testing.T) {
	roles := renderSpec(t, v1alpha1.RBAC{Teams: []v1alpha1.Team{{Namespace: "shop", Roles: []v1alpha1.TeamRole{
		v1alpha1.TeamDeveloper, v1alpha1.TeamWatcher, v1alpha1.TeamDeveloperWithPortForward,
	}}}})
	if len(roles) != 3 {
		t.Fatalf("got %d team roles, want 3", len(roles))
	}
	for _, role := range roles {
		for _, r := range role.Rules {
			for _, s := range sensitive {
				if s.resource == "pods/portforward" && role.Name == TeamClusterRole(v1alpha1.TeamDeveloperWithPortForward) {
					continue
				}
				for _, verb := range []string{"get", "list", "create"} {
					if grants(r, s.group, s.resource, verb) {
						t.Errorf("%s: %s on %s is reachable through rule %+v", role.Name, verb, s.resource, r)
					}
				}
			}
		}
	}
}
