package apply

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// largeStack is the kind example grown to 5 apps and users RBAC users, as
// render's benchmark stack.
func largeStack(t testing.TB, users int) *config.Stack {
	t.Helper()
	s := loadExample(t, "kind")
	for len(s.Spec.Apps) < 5 {
		a := s.Spec.Apps[0]
		a.Name = fmt.Sprintf("app%d", len(s.Spec.Apps))
		a.Host = a.Name + ".127.0.0.1.nip.io"
		a.ClientID = "oauth2-proxy-" + a.Name
		a.TLSSecretName = a.Name + "-tls"
		s.Spec.Apps = append(s.Spec.Apps, a)
	}
	for i := 0; i < users; i++ {
		s.Spec.RBAC.Users = append(s.Spec.RBAC.Users, v1alpha1.UserAccess{Name: fmt.Sprintf("user%04d@example.com", i), ClusterRoles: []string{"view"}})
	}
	if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

// kubectlManifest renders stack for kubectl, moved to namespaces and names
// with suffix "-k" so that kubectl's objects never collide with authstack's
// in the same API server. Same objects, same sizes.
func kubectlManifest(t testing.TB, stack *config.Stack, path string) int {
	t.Helper()
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, o := range res.Objects {
		u := o.Object.DeepCopy()
		if ns := u.GetNamespace(); ns != "" {
			u.SetNamespace(ns + "-k")
		} else if u.GetKind() == "CustomResourceDefinition" {
			// A CRD's name is plural.group: move it to group k.<group>.
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			_ = unstructured.SetNestedField(u.Object, "k."+group, "spec", "group")
			u.SetName(plural + ".k." + group)
		} else {
			u.SetName(u.GetName() + "-k")
		}
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return len(res.Objects)
}

var patchLine = regexp.MustCompile(`(?m)(verb="PATCH"|\bPATCH https://)`)

// BenchmarkIntegrationApplyVsKubectl measures authstack apply against
// kubectl apply --server-side on the same API server, for the table in
// docs/benchmarks.md, and checks authstack's targets. One iteration takes
// about a minute (kubectl's prune alone ~25 s):
//
//	go test ./pkg/apply -run '^$' -bench ApplyVsKubectl -benchtime 1x
func BenchmarkIntegrationApplyVsKubectl(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchApplyVsKubectl(b)
	}
}

func benchApplyVsKubectl(t *testing.B) {
	env := testenv.Start(t, testenv.Options{})
	kube := kubernetes.NewForConfigOrDie(env.Config)
	for _, ns := range []string{"apps", "apps-k"} {
		if _, stderr, err := env.Kubectl(t, "", "create", "namespace", ns); err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
	}
	dir := t.TempDir()
	full, pruned := largeStack(t, 1000), largeStack(t, 900)
	fullYAML, prunedYAML := filepath.Join(dir, "full.yaml"), filepath.Join(dir, "pruned.yaml")
	objects := kubectlManifest(t, full, fullYAML)
	kubectlManifest(t, pruned, prunedYAML)

	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	kubectl := func(args ...string) string {
		_, stderr, err := env.Kubectl(t, "", args...)
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		return stderr
	}

	// kubectl
	kCreate := timed(func() { kubectl("apply", "--server-side", "-f", fullYAML) })
	kNoop := timed(func() { kubectl("apply", "--server-side", "-f", fullYAML) })
	kNoopPatches := len(patchLine.FindAllString(kubectl("apply", "--server-side", "-v=6", "-f", fullYAML), -1))
	// kubectl's Secret parent is namespaced and refuses members in other
	// namespaces; it accepts authstack's cluster-scoped parent type, which
	// also shows that kubectl understands it. kubectl does not create custom
	// parents: make one for kubectl.
	parentFile := filepath.Join(dir, "parent.yaml")
	crd, _ := yaml.Marshal(parentCRD().Object)
	kparent, _ := yaml.Marshal(map[string]any{
		"apiVersion": parentGroup + "/" + parentVersion, "kind": parentKind,
		"metadata": map[string]any{
			"name":        "kubectl-bench",
			"labels":      map[string]any{LabelID: parentID("kubectl-bench")},
			"annotations": map[string]any{AnnotationTooling: "kubectl/v1.37.2", AnnotationGroupKinds: ""},
		},
	})
	crdFile := filepath.Join(dir, "crd.yaml")
	if err := os.WriteFile(crdFile, crd, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(parentFile, kparent, 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl("apply", "--server-side", "-f", crdFile)
	kubectl("wait", "--for=condition=Established", "--timeout=30s", "crd/"+parentCRDName)
	kubectl("apply", "--server-side", "-f", parentFile)
	t.Setenv("KUBECTL_APPLYSET", "true")
	applyset := []string{"apply", "--server-side", "--prune", "--applyset=" + parentResource + "." + parentGroup + "/kubectl-bench"}
	kubectl(append(applyset, "-f", fullYAML)...) // label the members, untimed
	before := countLabeled(t, kube, parentID("kubectl-bench"))
	kPrune := timed(func() { kubectl(append(applyset, "-f", prunedYAML)...) })
	if after := countLabeled(t, kube, parentID("kubectl-bench")); before-after != 100 {
		t.Errorf("kubectl's prune deleted %d ClusterRoleBindings, want 100", before-after)
	}

	// authstack
	var created, noop, prune *Summary
	var noopWrites, pruneWrites int64
	aCreate := timed(func() { created, _, _ = run(t, env.Config, full, Options{}) })
	aNoop := timed(func() { noop, noopWrites, _ = run(t, env.Config, full, Options{}) })
	aPrune := timed(func() { prune, pruneWrites, _ = run(t, env.Config, pruned, Options{Prune: true}) })

	t.Logf("benchmark: %d rendered objects (kind example + 5 apps + 1,000 users), one local kube-apiserver", objects)
	t.Logf("| step | kubectl | authstack |")
	t.Logf("|---|---|---|")
	t.Logf("| create | %s | %s (%d objects) |", kCreate.Round(time.Millisecond), aCreate.Round(time.Millisecond), created.Created)
	t.Logf("| no-op re-apply | %s, %d PATCHes | %s, %d writes |", kNoop.Round(time.Millisecond), kNoopPatches, aNoop.Round(time.Millisecond), noopWrites)
	t.Logf("| prune 100 users | %s (--prune --applyset) | %s, %d deleted, %d writes |", kPrune.Round(time.Millisecond), aPrune.Round(time.Millisecond), prune.Pruned, pruneWrites)

	t.ReportMetric(aCreate.Seconds(), "authstack-create-s")
	t.ReportMetric(kCreate.Seconds(), "kubectl-create-s")
	t.ReportMetric(aNoop.Seconds(), "authstack-noop-s")
	t.ReportMetric(kNoop.Seconds(), "kubectl-noop-s")
	t.ReportMetric(float64(noopWrites), "authstack-noop-writes")
	t.ReportMetric(float64(kNoopPatches), "kubectl-noop-patches")
	t.ReportMetric(aPrune.Seconds(), "authstack-prune100-s")
	t.ReportMetric(kPrune.Seconds(), "kubectl-prune100-s")
	if noopWrites != 0 || noop.Changed() {
		t.Errorf("authstack no-op re-apply sent %d writes, want 0", noopWrites)
	}
	if prune.Pruned != 100 {
		t.Errorf("authstack pruned %d objects, want the 100 users' bindings", prune.Pruned)
	}
}

// countLabeled counts the ClusterRoleBindings that are members of ApplySet id.
func countLabeled(t testing.TB, kube kubernetes.Interface, id string) int {
	t.Helper()
	l, err := kube.RbacV1().ClusterRoleBindings().List(context.Background(), metav1.ListOptions{LabelSelector: LabelPartOf + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}
