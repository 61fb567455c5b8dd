package render

import (
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/secrets"
)

// An app or team namespace is rendered only with createNamespace, with the
// Pod Security labels of its level and the stack's labels, and once when
// several fields ask for it.
func TestCreateNamespaceRendersLabeledNamespaces(t *testing.T) {
	exampleEnv(t)
	s := load(t, "kind")
	s.Spec.Apps[0].CreateNamespace = true // apps, restricted by default
	s.Spec.Apps[1].CreateNamespace = true // apps again
	s.Spec.RBAC.Teams = []v1alpha1.Team{
		{Namespace: "team-a", NamespaceCreation: v1alpha1.NamespaceCreation{CreateNamespace: true, PodSecurity: v1alpha1.PodSecurityBaseline}},
		{Namespace: "team-b"},
		// Also carol's user namespace, which rbac renders too.
		{Namespace: "team-c", NamespaceCreation: v1alpha1.NamespaceCreation{CreateNamespace: true}},
	}
	s.Spec.RBAC.UserNamespaces = []v1alpha1.UserNamespace{{User: "carol", Namespace: "team-c"}}
	v1alpha1.SetDefaults(s.AuthStack)
	if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	res, err := Render(s, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, o := range res.Objects {
		if o.Object.GetKind() != "Namespace" {
			continue
		}
		if _, dup := got[o.Object.GetName()]; dup {
			t.Errorf("namespace %s rendered twice", o.Object.GetName())
		}
		got[o.Object.GetName()] = o.Object.GetLabels()
		if o.File != namespacesFile {
			t.Errorf("namespace %s in %s, want %s", o.Object.GetName(), o.File, namespacesFile)
		}
	}
	want := map[string]string{"dex": "restricted", "apps": "restricted", "team-a": "baseline", "team-c": "restricted"}
	for ns, level := range want {
		l, ok := got[ns]
		if !ok {
			t.Errorf("namespace %s not rendered; got %v", ns, got)
			continue
		}
		for _, mode := range []string{"enforce", "warn", "audit"} {
			if l["pod-security.kubernetes.io/"+mode] != level {
				t.Errorf("namespace %s: %s level %q, want %s", ns, mode, l["pod-security.kubernetes.io/"+mode], level)
			}
		}
		if l["app.kubernetes.io/part-of"] != "authstack" || l["app.kubernetes.io/instance"] != "dev" {
			t.Errorf("namespace %s lacks the stack's labels: %v", ns, l)
		}
	}
	if _, ok := got["team-b"]; ok {
		t.Error("team-b rendered without createNamespace")
	}
	if len(got) != len(want) {
		t.Errorf("namespaces %v, want exactly %v", got, want)
	}
}
