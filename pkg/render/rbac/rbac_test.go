package rbac

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

func renderSpec(t *testing.T, rbac v1alpha1.RBAC) []rbacv1.ClusterRole {
	t.Helper()
	prefix := "oidc:"
	s := &v1alpha1.Spec{Cluster: v1alpha1.Cluster{Name: "prod"}, RBAC: rbac,
		APIServer: v1alpha1.APIServer{UsernamePrefix: &prefix, GroupsPrefix: &prefix}}
	var roles []rbacv1.ClusterRole
	objs, err := Render(s, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
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

// Each team template reaches exactly the sensitive subresources its name
// promises: exec for developers (with get, which WebSocket exec needs),
// port-forward only where the name says so, Secrets and attach only for
// devops; and no template reaches impersonation or token requests.
func TestTeamRolesReachOnlyWhatTheyPromise(t *testing.T) {
	roles := renderSpec(t, v1alpha1.RBAC{Teams: []v1alpha1.Team{{Namespace: "shop", Roles: v1alpha1.BuiltinTeamRoles}}})
	if len(roles) != 4 {
		t.Fatalf("got %d team roles, want 4", len(roles))
	}
	allowed := map[v1alpha1.TeamRole][]string{
		v1alpha1.TeamWatcher:                  nil,
		v1alpha1.TeamDeveloper:                {"pods/exec"},
		v1alpha1.TeamDeveloperWithPortForward: {"pods/exec", "pods/portforward"},
		v1alpha1.TeamDevops:                   {"secrets", "pods/exec", "pods/attach", "pods/portforward"},
	}
	for role, want := range allowed {
		var cr *rbacv1.ClusterRole
		for i := range roles {
			if roles[i].Name == TeamClusterRole(role) {
				cr = &roles[i]
			}
		}
		if cr == nil {
			t.Fatalf("no ClusterRole for %s", role)
		}
		for _, s := range sensitive {
			for _, verb := range []string{"get", "list", "create"} {
				reached := slices.ContainsFunc(cr.Rules, func(r rbacv1.PolicyRule) bool { return grants(r, s.group, s.resource, verb) })
				ok := slices.Contains(want, s.resource)
				if reached && !ok {
					t.Errorf("%s: %s on %s is reachable", role, verb, s.resource)
				}
				// exec and port-forward need create (SPDY, and the WebSocket
				// check from 1.35) and get (WebSocket, kubectl 1.30+).
				if !reached && ok && s.resource != "secrets" && verb != "list" {
					t.Errorf("%s: %s on %s is missing", role, verb, s.resource)
				}
			}
		}
		for _, r := range cr.Rules {
			for _, v := range r.Verbs {
				if v == "*" || v == "escalate" || v == "bind" || v == "impersonate" {
					t.Errorf("%s: verb %q in rule %+v", role, v, r)
				}
			}
			for _, res := range r.Resources {
				if res == "*" {
					t.Errorf("%s: wildcard resource in rule %+v", role, r)
				}
			}
		}
	}
}

// The watcher reads custom resources through the built-in view role, and
// devops is not bound to admin (whose edit part impersonates ServiceAccounts).
func TestTeamBindings(t *testing.T) {
	objs, err := renderRBAC(v1alpha1.RBAC{
		Teams:            []v1alpha1.Team{{Namespace: "shop"}},
		ClusterTeamRoles: []v1alpha1.TeamRole{v1alpha1.TeamWatcher},
	})
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for _, o := range objs {
		switch b := o.(type) {
		case *rbacv1.RoleBinding:
			refs["RoleBinding "+b.Namespace+"/"+b.Name] = b.RoleRef.Name + " " + b.Subjects[0].Name
		case *rbacv1.ClusterRoleBinding:
			refs["ClusterRoleBinding "+b.Name] = b.RoleRef.Name + " " + b.Subjects[0].Name
		}
	}
	for k, v := range map[string]string{
		"RoleBinding shop/authstack:team:devops":                      "authstack:team:devops oidc:prod:devops:shop",
		"RoleBinding shop/authstack:team:watcher":                     "authstack:team:watcher oidc:prod:watcher:shop",
		"RoleBinding shop/authstack:team:watcher:view":                "view oidc:prod:watcher:shop",
		"ClusterRoleBinding authstack:team:watcher":                   "authstack:team:watcher oidc:prod:watcher",
		"ClusterRoleBinding authstack:team:watcher:view":              "view oidc:prod:watcher",
		"RoleBinding shop/authstack:team:developer":                   "authstack:team:developer oidc:prod:developer:shop",
		"RoleBinding shop/authstack:team:developer-with-port-forward": "authstack:team:developer-with-port-forward oidc:prod:developer-with-port-forward:shop",
	} {
		if refs[k] != v {
			t.Errorf("%s binds %q, want %q", k, refs[k], v)
		}
	}
	for k, v := range refs {
		if strings.HasPrefix(v, "admin ") || strings.HasPrefix(v, "edit ") {
			t.Errorf("%s binds %s", k, v)
		}
	}
}

// User-defined templates replace or extend a built-in one, or add a role.
func TestTeamTemplates(t *testing.T) {
	crds := rbacv1.PolicyRule{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"get"}}
	roles := renderSpec(t, v1alpha1.RBAC{
		Teams: []v1alpha1.Team{{Namespace: "shop", Roles: []v1alpha1.TeamRole{v1alpha1.TeamDeveloper, v1alpha1.TeamWatcher, "sre"}}},
		TeamTemplates: []v1alpha1.TeamTemplate{
			{Name: v1alpha1.TeamDeveloper, Extend: true, Rules: []rbacv1.PolicyRule{crds}},
			{Name: v1alpha1.TeamWatcher, Rules: []rbacv1.PolicyRule{crds}},
			{Name: "sre", Rules: []rbacv1.PolicyRule{crds}},
		},
	})
	got := map[string]int{}
	for _, r := range roles {
		got[r.Name] = len(r.Rules)
		if !slices.ContainsFunc(r.Rules, func(p rbacv1.PolicyRule) bool { return grants(p, "example.com", "widgets", "get") }) {
			t.Errorf("%s lacks the template's rule", r.Name)
		}
	}
	if want := len(BuiltinTeamRules(v1alpha1.TeamDeveloper)) + 1; got["authstack:team:developer"] != want {
		t.Errorf("extended developer has %d rules, want %d", got["authstack:team:developer"], want)
	}
	if got["authstack:team:watcher"] != 1 || got["authstack:team:sre"] != 1 {
		t.Errorf("replaced and new templates: %v", got)
	}
}

func renderRBAC(rbac v1alpha1.RBAC) ([]runtime.Object, error) {
	prefix := "oidc:"
	s := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{Cluster: v1alpha1.Cluster{Name: "prod"}, RBAC: rbac,
		APIServer: v1alpha1.APIServer{UsernamePrefix: &prefix, GroupsPrefix: &prefix}}}
	v1alpha1.SetDefaults(s)
	return Render(&s.Spec, map[string]string{})
}

// key is what names an object in a cluster: two rendered objects with the
// same key are one object applied twice, which kustomize refuses.
func key(t *testing.T, o runtime.Object) string {
	t.Helper()
	m, err := meta.Accessor(o)
	if err != nil {
		t.Fatal(err)
	}
	return o.GetObjectKind().GroupVersionKind().GroupKind().String() + " " + m.GetNamespace() + "/" + m.GetName()
}

// A user in rbac.users with the view role and in userNamespaces (which
// binds view cluster-wide by default) renders that binding once.
func TestUserInUsersAndUserNamespacesRendersEachObjectOnce(t *testing.T) {
	objs, err := renderRBAC(v1alpha1.RBAC{
		Users:          []v1alpha1.UserAccess{{Name: "alice@example.com", ClusterRoles: []string{"view", "edit"}}},
		UserNamespaces: []v1alpha1.UserNamespace{{User: "alice@example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range objs {
		k := key(t, o)
		if seen[k] {
			t.Errorf("%s rendered twice", k)
		}
		seen[k] = true
	}
	if !seen["ClusterRoleBinding.rbac.authorization.k8s.io /authstack:user:alice-example-com:view"] {
		t.Errorf("the view binding is gone: %v", seen)
	}
}

// Two spec entries that render one object name with different content
// cannot both be honoured: render refuses and names both fields.
func TestConflictingObjectsAreRefused(t *testing.T) {
	_, err := renderRBAC(v1alpha1.RBAC{
		Users: []v1alpha1.UserAccess{
			{Name: "alice@example.com", ClusterRoles: []string{"view"}},
			{Name: "alice-example-com", ClusterRoles: []string{"view"}},
		},
	})
	if err == nil || !strings.Contains(err.Error(), "spec.rbac.users[0]") || !strings.Contains(err.Error(), "spec.rbac.users[1]") {
		t.Fatalf("err = %v, want a conflict naming spec.rbac.users[0] and spec.rbac.users[1]", err)
	}
	_, err = renderRBAC(v1alpha1.RBAC{
		Bindings: []v1alpha1.Binding{{Name: "read-only", ClusterRole: "cluster-admin", Subjects: v1alpha1.Subjects{Groups: []string{"ops"}}}},
		ReadOnly: &v1alpha1.Subjects{Groups: []string{"auditors"}},
	})
	if err == nil || !strings.Contains(err.Error(), "spec.rbac.bindings[0]") || !strings.Contains(err.Error(), "spec.rbac.readOnly") {
		t.Fatalf("err = %v, want a conflict naming spec.rbac.bindings[0] and spec.rbac.readOnly", err)
	}
}

// rbac.roles become typed objects: a ClusterRole once, a Role in each of
// its namespaces, with the rules as written.
func TestSpecRolesAreRendered(t *testing.T) {
	rule := rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "patch"}}
	objs, err := renderRBAC(v1alpha1.RBAC{Roles: []v1alpha1.Role{
		{Name: "deployer", Kind: v1alpha1.KindRole, Namespaces: []string{"shop", "web"}, Rules: []rbacv1.PolicyRule{rule}},
		{Name: "pod-reader", Rules: []rbacv1.PolicyRule{rule}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		switch r := o.(type) {
		case *rbacv1.Role:
			got = append(got, "Role "+r.Namespace+"/"+r.Name)
			if len(r.Rules) != 1 || !slices.Equal(r.Rules[0].Verbs, rule.Verbs) {
				t.Errorf("Role %s/%s rules = %+v", r.Namespace, r.Name, r.Rules)
			}
		case *rbacv1.ClusterRole:
			got = append(got, "ClusterRole "+r.Name)
		}
	}
	want := []string{"Role shop/deployer", "Role web/deployer", "ClusterRole pod-reader"}
	if !slices.Equal(got, want) {
		t.Errorf("rendered %v, want %v", got, want)
	}
}
