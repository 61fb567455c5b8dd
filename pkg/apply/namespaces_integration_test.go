package apply

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// createNamespace: a namespace the spec asks for is created with its Pod
// Security labels as a member of the stack, re-applied without a write,
// kept by --prune unless --prune-namespaces, while a namespace of the same
// kind that existed before (the apps namespace here) is never touched.
func TestIntegrationCreateNamespaceOwnsOnlyWhatItCreates(t *testing.T) {
	env := startEnv(t) // creates the user's namespace "apps"
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	if _, stderr, err := env.Kubectl(t, "", "label", "namespace", "apps", "pod-security.kubernetes.io/enforce=privileged", "team=web"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	before, err := kube.CoreV1().Namespaces().Get(ctx, "apps", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	stack := loadExample(t, "kind")
	for i := range stack.Spec.Apps {
		stack.Spec.Apps[i].CreateNamespace = true
	}
	stack.Spec.RBAC.Teams = []v1alpha1.Team{{Namespace: "team-a", NamespaceCreation: v1alpha1.NamespaceCreation{CreateNamespace: true, PodSecurity: v1alpha1.PodSecurityBaseline}}}
	v1alpha1.SetDefaults(stack.AuthStack)
	if errs := v1alpha1.Validate(stack.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	run(t, env.Config, stack, Options{})

	teamA, err := kube.CoreV1().Namespaces().Get(ctx, "team-a", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("namespace team-a was not created: %v", err)
	}
	for k, want := range map[string]string{
		LabelPartOf:                          parentID("dev"),
		"pod-security.kubernetes.io/enforce": "baseline",
		"pod-security.kubernetes.io/warn":    "baseline",
		"pod-security.kubernetes.io/audit":   "baseline",
	} {
		if teamA.Labels[k] != want {
			t.Errorf("namespace team-a label %s = %q, want %q (labels %v)", k, teamA.Labels[k], want, teamA.Labels)
		}
	}
	after, err := kube.CoreV1().Namespaces().Get(ctx, "apps", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("apply wrote to namespace apps, which existed before: labels %v -> %v", before.Labels, after.Labels)
	}

	if sum, writes, log := run(t, env.Config, stack, Options{}); writes != 0 || sum.Changed() {
		t.Fatalf("re-apply sent %d writes (summary %+v), want none; log:\n%s", writes, *sum, log)
	}

	plain := loadExample(t, "kind")
	sum, _, log := run(t, env.Config, plain, Options{Prune: true})
	if deleting(t, kube, "team-a") || sum.Kept != 1 || !strings.Contains(log, "namespace/team-a kept") {
		t.Fatalf("--prune without --prune-namespaces: want team-a kept and reported (kept %d); log:\n%s", sum.Kept, log)
	}
	sum, _, log = run(t, env.Config, plain, Options{Prune: true, PruneNamespaces: true})
	if !deleting(t, kube, "team-a") || sum.Pruned != 1 {
		t.Fatalf("--prune-namespaces did not delete namespace team-a alone (pruned %d); log:\n%s", sum.Pruned, log)
	}
	if deleting(t, kube, "apps") {
		t.Fatal("--prune-namespaces deleted namespace apps, which existed before authstack")
	}
	final, err := kube.CoreV1().Namespaces().Get(ctx, "apps", metav1.GetOptions{})
	if err != nil || final.ResourceVersion != before.ResourceVersion {
		t.Fatalf("namespace apps changed over the whole run (err %v): labels %v -> %v", err, before.Labels, final.Labels)
	}
}
