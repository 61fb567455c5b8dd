package apply

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// applyErr applies and returns the error and the number of writes sent.
func applyErr(t *testing.T, cfg *rest.Config, stack *config.Stack, opts Options) (error, int64, string) {
	t.Helper()
	var c writeCounter
	var log bytes.Buffer
	opts.Config = c.wrap(cfg)
	opts.Log = &log
	_, err := Apply(context.Background(), stack, opts)
	return err, c.n.Load(), log.String()
}

// An object the spec renders that someone else made is not taken over: a
// later --prune would delete it.
func TestIntegrationApplyRefusesObjectsItDidNotCreate(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	mine := &corev1ConfigMap{name: "oauth2-proxy-whoami", namespace: "apps"}
	mine.create(t, kube)

	err, writes, _ := applyErr(t, env.Config, loadExample(t, "kind"), Options{})
	if err == nil {
		t.Fatal("apply took over configmap oauth2-proxy-whoami, which it did not create")
	}
	for _, want := range []string{"configmap/oauth2-proxy-whoami -n apps", "--adopt", "managed by"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if writes != 0 {
		t.Errorf("the refused apply sent %d writes, want none", writes)
	}

	if err, _, log := applyErr(t, env.Config, loadExample(t, "kind"), Options{Adopt: true}); err != nil {
		t.Fatalf("apply --adopt: %v\n%s", err, log)
	}
	cm, err := kube.CoreV1().ConfigMaps("apps").Get(ctx, "oauth2-proxy-whoami", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Labels[LabelPartOf] != parentID("dev") {
		t.Fatalf("adopted configmap labels = %v, want a member of stack dev", cm.Labels)
	}

	// Another stack rendering the same objects does not take them either.
	other := loadExample(t, "kind")
	other.Metadata.Name = "prod"
	err, writes, _ = applyErr(t, env.Config, other, Options{})
	if err == nil || !strings.Contains(err.Error(), "member of another ApplySet, "+parentID("dev")) || writes != 0 {
		t.Fatalf("stack prod over stack dev's objects: err %v, %d writes; want a refusal naming dev's ApplySet and no write", err, writes)
	}
}

// A namespace that existed before authstack never becomes a member, so no
// prune deletes it with the user's objects; one authstack created is kept
// by --prune unless --prune-namespaces says otherwise.
func TestIntegrationPruneNeverDeletesNamespacesItDidNotCreate(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	if _, stderr, err := env.Kubectl(t, "", "create", "namespace", "monitoring"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	// The user's monitoring runs a node exporter: privileged on purpose.
	if _, stderr, err := env.Kubectl(t, "", "label", "namespace", "monitoring", "pod-security.kubernetes.io/enforce=privileged", "team=observability"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	users := &corev1ConfigMap{name: "prometheus-config", namespace: "monitoring"}
	users.create(t, kube)

	yes := true
	withNamespaces := loadExample(t, "kind")
	withNamespaces.Spec.RBAC.UserNamespaces = []v1alpha1.UserNamespace{
		{User: "carol", Namespace: "monitoring", ClusterView: &yes},
		{User: "dave", Namespace: "team-d", ClusterView: &yes},
	}
	run(t, env.Config, withNamespaces, Options{})
	mon, err := kube.CoreV1().Namespaces().Get(ctx, "monitoring", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mon.Labels[LabelPartOf]; ok {
		t.Errorf("pre-existing namespace monitoring became an ApplySet member: labels %v", mon.Labels)
	}
	if mon.Labels["pod-security.kubernetes.io/enforce"] != "privileged" || mon.Labels["team"] != "observability" || mon.Labels["app.kubernetes.io/managed-by"] != "" {
		t.Errorf("apply changed the labels of namespace monitoring, which the user made: %v", mon.Labels)
	}
	teamD, err := kube.CoreV1().Namespaces().Get(ctx, "team-d", metav1.GetOptions{})
	if err != nil || teamD.Labels[LabelPartOf] != parentID("dev") {
		t.Fatalf("namespace team-d that authstack created is not a member (labels %v, err %v)", teamD.Labels, err)
	}

	plain := loadExample(t, "kind")
	sum, _, log := run(t, env.Config, plain, Options{Prune: true})
	if deleting(t, kube, "monitoring") {
		t.Fatalf("prune deleted namespace monitoring, which existed before authstack; log:\n%s", log)
	}
	if _, err := kube.CoreV1().ConfigMaps("monitoring").Get(ctx, "prometheus-config", metav1.GetOptions{}); err != nil {
		t.Fatalf("the user's configmap in monitoring: %v", err)
	}
	// What authstack made in it goes, fail closed: carol loses the access.
	if _, err := kube.RbacV1().RoleBindings("monitoring").Get(ctx, "authstack:namespace-owner", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("carol's RoleBinding in monitoring survived the prune (err %v); log:\n%s", err, log)
	}
	if deleting(t, kube, "team-d") || sum.Kept != 1 || !strings.Contains(log, "namespace/team-d kept") || !strings.Contains(log, "--prune-namespaces") {
		t.Fatalf("namespace team-d: want kept and reported without --prune-namespaces (kept %d); log:\n%s", sum.Kept, log)
	}

	sum, _, log = run(t, env.Config, plain, Options{Prune: true, PruneNamespaces: true})
	if !deleting(t, kube, "team-d") || sum.Pruned != 1 {
		t.Fatalf("--prune-namespaces did not delete namespace team-d (pruned %d); log:\n%s", sum.Pruned, log)
	}
	if deleting(t, kube, "monitoring") {
		t.Fatal("--prune-namespaces deleted namespace monitoring, which authstack never owned")
	}
}

// deleting reports whether a namespace is gone or going (the test API
// server runs no namespace controller to finish the deletion).
func deleting(t *testing.T, kube kubernetes.Interface, name string) bool {
	t.Helper()
	ns, err := kube.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return ns.DeletionTimestamp != nil
}

// Nothing apply prints, with --diff and --prune, holds a secret value: not
// the Secrets' data, nor the copy kubectl apply kept in an annotation.
func TestIntegrationDiffAndPruneNeverPrintSecretValues(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	// A Secret applied the kubectl way, then adopted.
	legacy := filepath.Join(t.TempDir(), "secret.yaml")
	writeYAML(t, legacy, map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "oauth2-proxy-whoami", "namespace": "apps"},
		"stringData": map[string]any{"legacy": "kubectl-applied-value"},
	})
	if _, stderr, err := env.Kubectl(t, "", "apply", "-f", legacy); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var out bytes.Buffer
	_, _, log1 := run(t, env.Config, loadExample(t, "kind"), Options{Adopt: true, Diff: true, Out: &out})

	dropped := loadExample(t, "kind")
	dropped.Spec.Apps = dropped.Spec.Apps[1:] // drop whoami, whose Secret holds the annotation
	var dry bytes.Buffer
	_, _, log2 := run(t, env.Config, dropped, Options{Prune: true, Diff: true, DryRun: DryRunServer, Out: &dry})
	if !strings.Contains(dry.String(), "-kind: Secret") {
		t.Fatalf("the prune diff shows no deleted Secret:\n%s", dry.String())
	}
	var real bytes.Buffer
	sum, _, log3 := run(t, env.Config, dropped, Options{Prune: true, Diff: true, Out: &real})
	if sum.Pruned == 0 {
		t.Fatalf("nothing pruned:\n%s", log3)
	}

	values := map[string]string{"legacy": "kubectl-applied-value"}
	gen, err := kube.CoreV1().Secrets("dex").Get(ctx, secrets.ClusterSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range gen.Data {
		values[k] = string(v)
	}
	all := strings.Join([]string{out.String(), log1, dry.String(), log2, real.String(), log3}, "\n")
	for k, v := range values {
		if strings.Contains(all, v) || strings.Contains(all, base64.StdEncoding.EncodeToString([]byte(v))) {
			t.Errorf("apply output shows the value of secret %s", k)
		}
	}
	if !strings.Contains(all, "kubectl.kubernetes.io/last-applied-configuration: '***'") {
		t.Errorf("the pruned Secret's last-applied annotation is not shown masked:\n%s", dry.String())
	}
}

// Among many objects of one kind, found with one metadata LIST rather than
// a GET each, an existing one is still refused.
func TestIntegrationApplyFindsAnExistingObjectAmongMany(t *testing.T) {
	env := startEnv(t)
	stack := largeStack(t, 3*namesPerGet)
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	var name string
	bindings := 0
	for _, o := range res.Objects {
		if o.Object.GetKind() == "ClusterRoleBinding" {
			bindings++
			if strings.Contains(o.Object.GetName(), "user0007") {
				name = o.Object.GetName()
			}
		}
	}
	if bindings <= namesPerGet || name == "" {
		t.Fatalf("%d ClusterRoleBindings (user0007's: %q): too few for the LIST path", bindings, name)
	}
	if _, stderr, err := env.Kubectl(t, "", "create", "clusterrolebinding", name, "--clusterrole=view", "--user=someone"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	err, writes, _ := applyErr(t, env.Config, stack, Options{})
	if err == nil || !strings.Contains(err.Error(), "clusterrolebinding.rbac.authorization.k8s.io/"+name+" (managed by kubectl-create)") || writes != 0 {
		t.Fatalf("err = %v with %d writes; want a refusal naming %s and no write", err, writes, name)
	}
	if !strings.Contains(err.Error(), "1 objects") {
		t.Fatalf("err = %v; want exactly the one existing object refused", err)
	}
}
