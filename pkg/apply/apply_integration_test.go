package apply

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/config"
	rmeta "github.com/authstack/authstack/pkg/render/meta"
	"github.com/authstack/authstack/pkg/secrets"
)

// writeCounter counts requests that can change the cluster.
type writeCounter struct {
	n     atomic.Int64
	mu    chan struct{}
	verbs []string
}

func (c *writeCounter) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method != http.MethodGet && req.Method != http.MethodHead {
				c.n.Add(1)
			}
			return rt.RoundTrip(req)
		})
	}
	return cfg
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func loadExample(t testing.TB, name string) *config.Stack {
	t.Helper()
	s, err := config.LoadFile(filepath.Join(repoRoot(t), "examples", name, "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startEnv(t *testing.T) *testenv.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	env := testenv.Start(t, testenv.Options{})
	// The apps exist before authstack fronts them: their namespace too.
	if _, stderr, err := env.Kubectl(t, "", "create", "namespace", "apps"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	return env
}

func run(t testing.TB, cfg *rest.Config, stack *config.Stack, opts Options) (*Summary, int64, string) {
	t.Helper()
	var c writeCounter
	var log bytes.Buffer
	opts.Config = c.wrap(cfg)
	opts.Log = &log
	sum, err := Apply(context.Background(), stack, opts)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, log.String())
	}
	return sum, c.n.Load(), log.String()
}

func TestIntegrationApply(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	stack := loadExample(t, "kind")

	sum, writes, _ := run(t, env.Config, stack, Options{})
	if sum.Created == 0 || writes == 0 {
		t.Fatalf("first apply created %d objects with %d writes, want some", sum.Created, writes)
	}
	dep, err := kube.AppsV1().Deployments("apps").Get(ctx, "oauth2-proxy-whoami", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !appliedBy(dep.ManagedFields, rmeta.FieldManager) {
		t.Fatalf("deployment managed fields %v, want an Apply entry of %s", managers(dep.ManagedFields), rmeta.FieldManager)
	}
	if dep.Labels[LabelPartOf] != parentID("dev") {
		t.Fatalf("deployment part-of label = %q, want %q", dep.Labels[LabelPartOf], parentID("dev"))
	}
	gen, err := kube.CoreV1().Secrets("dex").Get(ctx, secrets.ClusterSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Data) == 0 {
		t.Fatal("authstack-generated Secret holds no values")
	}

	t.Run("re-apply sends no write", func(t *testing.T) {
		sum, writes, log := run(t, env.Config, stack, Options{})
		if writes != 0 || sum.Changed() {
			t.Fatalf("no-op re-apply sent %d writes (summary %+v), want 0; log:\n%s", writes, *sum, log)
		}
		if !strings.Contains(log, "no changes") {
			t.Fatalf("log %q does not say no changes", log)
		}
	})

	t.Run("generated secrets survive a re-apply from a fresh checkout", func(t *testing.T) {
		fresh := loadExample(t, "kind") // nothing local is kept between loads
		if _, writes, _ := run(t, env.Config, fresh, Options{}); writes != 0 {
			t.Fatalf("re-apply from a fresh load sent %d writes, want 0", writes)
		}
		// A fresh local secrets file with other values does not win either.
		local := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
		var b strings.Builder
		for k := range gen.Data {
			b.WriteString(strings.Replace(k, ".", "/", 1) + ": other-value\n")
		}
		if err := os.WriteFile(local, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, writes, _ := run(t, env.Config, fresh, Options{SecretsFile: local}); writes != 0 {
			t.Fatalf("re-apply with a fresh local secrets file sent %d writes, want 0", writes)
		}
		after, err := kube.CoreV1().Secrets("dex").Get(ctx, secrets.ClusterSecretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range gen.Data {
			if !bytes.Equal(after.Data[k], v) {
				t.Fatalf("generated value %s changed", k)
			}
		}
	})

	t.Run("a changed spec updates only what changed", func(t *testing.T) {
		ns, err := kube.CoreV1().Namespaces().Get(ctx, "dex", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		changed := loadExample(t, "kind")
		changed.Spec.RBAC.Bindings[0].Groups = append(changed.Spec.RBAC.Bindings[0].Groups, "qa")
		sum, writes, log := run(t, env.Config, changed, Options{})
		if sum.Configured != 1 || sum.Created != 0 || writes != 1 {
			t.Fatalf("changing one binding: %+v with %d writes, want exactly 1 configured object; log:\n%s", *sum, writes, log)
		}
		rb, err := kube.RbacV1().RoleBindings("apps").Get(ctx, "authstack:developers-edit", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rb.Subjects) != 2 {
			t.Fatalf("binding subjects = %v, want the new group too", rb.Subjects)
		}
		ns2, _ := kube.CoreV1().Namespaces().Get(ctx, "dex", metav1.GetOptions{})
		if ns2.ResourceVersion != ns.ResourceVersion {
			t.Fatal("namespace dex was written although it did not change")
		}
		// And back: the group authstack no longer renders is removed.
		sum, writes, _ = run(t, env.Config, stack, Options{})
		if sum.Configured != 1 || writes != 1 {
			t.Fatalf("reverting: %+v with %d writes, want 1 configured", *sum, writes)
		}
		rb, _ = kube.RbacV1().RoleBindings("apps").Get(ctx, "authstack:developers-edit", metav1.GetOptions{})
		if len(rb.Subjects) != 1 {
			t.Fatalf("binding subjects = %v after revert, want 1", rb.Subjects)
		}
	})

	t.Run("prune removes a dropped app and nothing else", func(t *testing.T) {
		// An object in the same namespace that authstack did not apply.
		other := &corev1ConfigMap{name: "not-ours", namespace: "apps"}
		other.create(t, kube)

		dropped := loadExample(t, "kind")
		dropped.Spec.Apps = dropped.Spec.Apps[:1] // keep whoami, drop headers
		sum, _, log := run(t, env.Config, dropped, Options{Prune: true})
		if sum.Pruned == 0 {
			t.Fatalf("nothing pruned; log:\n%s", log)
		}
		if _, err := kube.AppsV1().Deployments("apps").Get(ctx, "oauth2-proxy-headers", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("deployment oauth2-proxy-headers still exists after prune (err %v)", err)
		}
		if _, err := kube.AppsV1().Deployments("apps").Get(ctx, "oauth2-proxy-whoami", metav1.GetOptions{}); err != nil {
			t.Fatalf("kept app's deployment: %v", err)
		}
		if _, err := kube.CoreV1().ConfigMaps("apps").Get(ctx, "not-ours", metav1.GetOptions{}); err != nil {
			t.Fatalf("prune deleted an object authstack did not apply: %v", err)
		}
		if _, writes, _ := run(t, env.Config, dropped, Options{Prune: true}); writes != 0 {
			t.Fatalf("re-apply after prune sent %d writes, want 0", writes)
		}
		// kubectl understands the ApplySet parent.
		out, stderr, err := env.Kubectl(t, "", "get", "applysets.authstack.dev", "dev", "-o", "jsonpath={.metadata.annotations}")
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		if !strings.Contains(out, AnnotationGroupKinds) || strings.Contains(out, `"Ingress.networking.k8s.io,Ingress`) {
			t.Fatalf("parent annotations = %s", out)
		}
	})
}

// kubectl validates a parent's id label against its own hashing and uses
// the parent type's CRD label: a kubectl ApplySet under authstack's parent
// type works only if both agree.
func TestIntegrationKubectlUnderstandsTheParentType(t *testing.T) {
	env := startEnv(t)
	if _, err := Apply(context.Background(), loadExample(t, "kind"), Options{Config: env.Config}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	parent := filepath.Join(dir, "parent.yaml")
	member := filepath.Join(dir, "member.yaml")
	writeYAML(t, parent, map[string]any{
		"apiVersion": parentGroup + "/" + parentVersion, "kind": parentKind,
		"metadata": map[string]any{
			"name":        "by-kubectl",
			"labels":      map[string]any{LabelID: parentID("by-kubectl")},
			"annotations": map[string]any{AnnotationTooling: "kubectl/v1.37.2", AnnotationGroupKinds: ""},
		},
	})
	writeYAML(t, member, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "kubectl-member", "namespace": "apps"}})
	if _, stderr, err := env.Kubectl(t, "", "apply", "--server-side", "-f", parent); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	t.Setenv("KUBECTL_APPLYSET", "true")
	if _, stderr, err := env.Kubectl(t, "", "apply", "--server-side", "--prune", "--applyset="+parentCRDName+"/by-kubectl", "-f", member); err != nil {
		t.Fatalf("kubectl refused authstack's parent type or id: %v: %s", err, stderr)
	}
	out, _, err := env.Kubectl(t, "", "get", "configmap", "-n", "apps", "kubectl-member", "-o", "jsonpath={.metadata.labels}")
	if err != nil || !strings.Contains(out, parentID("by-kubectl")) {
		t.Fatalf("kubectl's member labels = %s (%v), want part-of %s", out, err, parentID("by-kubectl"))
	}
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Moving from render-and-kubectl to apply keeps the values render kept.
func TestIntegrationApplySeedsFromLocalSecretsFile(t *testing.T) {
	env := startEnv(t)
	local := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	if err := os.WriteFile(local, []byte("cookie-secret/whoami: from-render-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, log := run(t, env.Config, loadExample(t, "kind"), Options{SecretsFile: local})
	if !strings.Contains(log, "kept 1 generated secrets from") {
		t.Fatalf("log does not say it kept the local value:\n%s", log)
	}
	gen, err := kubernetes.NewForConfigOrDie(env.Config).CoreV1().Secrets("dex").Get(context.Background(), secrets.ClusterSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(gen.Data["cookie-secret.whoami"]); got != "from-render-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" {
		t.Fatal("the cookie secret kept by render was replaced by a new one")
	}
	if strings.Contains(log, "from-render") {
		t.Fatal("the log shows a secret value")
	}
}

func TestIntegrationApplyDryRun(t *testing.T) {
	env := startEnv(t)
	kube := kubernetes.NewForConfigOrDie(env.Config)
	stack := loadExample(t, "kind")
	for _, mode := range []DryRun{DryRunClient, DryRunServer} {
		var diff bytes.Buffer
		sum, writes, _ := run(t, env.Config, stack, Options{DryRun: mode, Diff: true, Out: &diff})
		if sum.Created == 0 {
			t.Fatalf("%s dry run reports nothing to create", mode)
		}
		if mode == DryRunClient && writes != 0 {
			t.Fatalf("client dry run sent %d writes", writes)
		}
		if _, err := kube.CoreV1().Namespaces().Get(context.Background(), "dex", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s dry run created namespace dex (err %v)", mode, err)
		}
		if !strings.Contains(diff.String(), "+kind: Deployment") {
			t.Fatalf("%s dry run diff shows no Deployment", mode)
		}
	}
	// Secret values never show in a diff.
	if _, _, err := func() (*Summary, int64, error) {
		sum, _, _ := run(t, env.Config, stack, Options{})
		return sum, 0, nil
	}(); err != nil {
		t.Fatal(err)
	}
	gen, err := kube.CoreV1().Secrets("dex").Get(context.Background(), secrets.ClusterSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := loadExample(t, "kind")
	changed.Spec.Apps[0].Host = "changed.127.0.0.1.nip.io"
	var diff bytes.Buffer
	run(t, env.Config, changed, Options{DryRun: DryRunServer, Diff: true, Out: &diff})
	if diff.Len() == 0 {
		t.Fatal("diff of a changed host is empty")
	}
	for k, v := range gen.Data {
		if strings.Contains(diff.String(), string(v)) {
			t.Fatalf("diff shows the value of generated secret %s", k)
		}
	}
}

func appliedBy(entries []metav1.ManagedFieldsEntry, manager string) bool {
	for _, e := range entries {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func managers(entries []metav1.ManagedFieldsEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Manager+"/"+string(e.Operation))
	}
	return out
}
