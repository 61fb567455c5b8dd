package render

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// saRights lists, for every ServiceAccount a rendered pod runs as, every
// rule the rendered (Cluster)RoleBindings grant it, and the problems found.
func saRights(t *testing.T, res *Result) (listing string, problems []string) {
	t.Helper()
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	roles := map[string]rbacv1.Role{}
	clusterRoles := map[string]rbacv1.ClusterRole{}
	var rbs []rbacv1.RoleBinding
	var crbs []rbacv1.ClusterRoleBinding
	from := func(o Object, into any) {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object.Object, into); err != nil {
			t.Fatal(err)
		}
	}
	type sa struct{ ns, name string }
	users := map[sa][]string{} // the pods that run as each SA
	mounted := map[sa]bool{}
	for _, o := range res.Objects {
		switch o.Object.GetKind() {
		case "Role":
			var r rbacv1.Role
			from(o, &r)
			roles[r.Namespace+"/"+r.Name] = r
		case "ClusterRole":
			var r rbacv1.ClusterRole
			from(o, &r)
			clusterRoles[r.Name] = r
		case "RoleBinding":
			var b rbacv1.RoleBinding
			from(o, &b)
			rbs = append(rbs, b)
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			from(o, &b)
			crbs = append(crbs, b)
		}
		tpl := podTemplate(t, o.Object)
		if tpl == nil {
			continue
		}
		name := tpl.Spec.ServiceAccountName
		if name == "" {
			name = "default"
		}
		k := sa{o.Object.GetNamespace(), name}
		users[k] = append(users[k], o.Object.GetKind()+" "+o.Object.GetName())
		// The token is mounted unless the pod (or the ServiceAccount) says not.
		mounted[k] = mounted[k] || ptr.Deref(tpl.Spec.AutomountServiceAccountToken, true)
	}
	// The subject matches the ServiceAccount by name or by its groups.
	grants := func(subjects []rbacv1.Subject, k sa) bool {
		for _, s := range subjects {
			switch {
			case s.Kind == rbacv1.ServiceAccountKind && s.Namespace == k.ns && s.Name == k.name,
				s.Kind == rbacv1.UserKind && s.Name == "system:serviceaccount:"+k.ns+":"+k.name,
				s.Kind == rbacv1.GroupKind && (s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:"+k.ns || s.Name == "system:authenticated"):
				return true
			}
		}
		return false
	}
	keys := make([]sa, 0, len(users))
	for k := range users {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ns+"/"+keys[i].name < keys[j].ns+"/"+keys[j].name })
	var b strings.Builder
	for _, k := range keys {
		who := fmt.Sprintf("ServiceAccount %s/%s", k.ns, k.name)
		fmt.Fprintf(&b, "%s (%s), token mounted: %t\n", who, strings.Join(users[k], ", "), mounted[k])
		var lines []string
		check := func(via string, rules []rbacv1.PolicyRule) {
			for _, r := range rules {
				lines = append(lines, fmt.Sprintf("  %s: groups %v resources %v names %v nonResourceURLs %v verbs %v", via, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs, r.Verbs))
				for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs} {
					for _, v := range list {
						if strings.Contains(v, "*") {
							errorf("%s gets a wildcard (%q) through %s", who, v, via)
						}
					}
				}
				for _, res := range r.Resources {
					if res == "secrets" || strings.HasPrefix(res, "secrets/") {
						errorf("%s may touch Secrets through %s: no authstack component reads Secrets from the API", who, via)
					}
				}
			}
		}
		for _, rb := range rbs {
			if !grants(rb.Subjects, k) {
				continue
			}
			via := fmt.Sprintf("RoleBinding %s/%s -> %s %s", rb.Namespace, rb.Name, rb.RoleRef.Kind, rb.RoleRef.Name)
			switch rb.RoleRef.Kind {
			case "Role":
				r, ok := roles[rb.Namespace+"/"+rb.RoleRef.Name]
				if !ok {
					errorf("%s: the Role is not rendered, its rules cannot be reviewed", via)
				}
				check(via, r.Rules)
			case "ClusterRole":
				r, ok := clusterRoles[rb.RoleRef.Name]
				if !ok {
					errorf("%s: the ClusterRole is not rendered, its rules cannot be reviewed", via)
				}
				check(via, r.Rules)
			}
		}
		for _, crb := range crbs {
			if grants(crb.Subjects, k) {
				// Every authstack component lives in one namespace; none
				// needs a right in all of them, but for the API proxy:
				// impersonation is cluster-scoped, and its role must be
				// exactly the impersonate-only rules of the proxy contract.
				impersonator := k.name == apiproxy.Name && crb.RoleRef.Name == apiproxy.ImpersonatorRole &&
					reflect.DeepEqual(clusterRoles[crb.RoleRef.Name].Rules, apiproxy.ImpersonatorRules())
				if !impersonator {
					errorf("%s gets cluster-wide rights through ClusterRoleBinding %s -> %s", who, crb.Name, crb.RoleRef.Name)
				}
				check("ClusterRoleBinding "+crb.Name, clusterRoles[crb.RoleRef.Name].Rules)
			}
		}
		if len(lines) == 0 {
			lines = []string{"  no rights"}
		}
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String(), problems
}

// Every right the stack's own ServiceAccounts get is listed in a golden
// file, so that any widening shows in review.
func TestServiceAccountRightsMatchGolden(t *testing.T) {
	stacks := renderedStacks(t)
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		listing, problems := saRights(t, stacks[n])
		for _, p := range problems {
			t.Errorf("%s: %s", n, p)
		}
		fmt.Fprintf(&b, "# %s\n%s", n, listing)
	}
	golden.Assert(t, filepath.Join("..", "..", "testdata", "render", "serviceaccount-rights.txt"), []byte(b.String()))
}

// The checks above can fail: a wildcard Role, a Secret reader and a
// cluster-wide binding for dex are each reported.
func TestServiceAccountRightsChecksCanFail(t *testing.T) {
	res := renderedStacks(t)["kind"]
	objs := append([]Object(nil), res.Objects...)
	for i, o := range objs {
		if o.Object.GetKind() == "Role" && o.Object.GetName() == "dex" {
			u := o.Object.DeepCopy()
			u.Object["rules"] = []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"*"}}}
			objs[i] = Object{File: o.File, Object: u}
		}
	}
	crb := &rbacv1.ClusterRoleBinding{
		RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "dex", Name: "dex"}},
	}
	crb.Name = "dex-view"
	m, err := toUnstructured(crb)
	if err != nil {
		t.Fatal(err)
	}
	m["kind"] = "ClusterRoleBinding"
	u := res.Objects[0].Object.DeepCopy()
	u.Object = m
	objs = append(objs, Object{Object: u})

	_, problems := saRights(t, &Result{Objects: objs})
	got := strings.Join(problems, "\n")
	for _, want := range []string{"gets a wildcard (\"*\")", "may touch Secrets", "cluster-wide rights through ClusterRoleBinding dex-view"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}
