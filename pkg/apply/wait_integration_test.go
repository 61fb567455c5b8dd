package apply

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

func TestIntegrationApplyWait(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	stack := loadExample(t, "kind")

	// No controller runs the Deployments here: --wait must give up in time
	// and say what to look at.
	var log bytes.Buffer
	start := time.Now()
	_, err := Apply(ctx, stack, Options{Config: env.Config, Wait: true, Timeout: 2 * time.Second, Log: &log})
	if err == nil || !strings.Contains(err.Error(), "describe deployment") {
		t.Fatalf("err = %v, want a timeout naming the deployment", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("--wait --timeout 2s took %s", took)
	}

	// Play the deployment controller: mark every Deployment available.
	deps, err := kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: LabelPartOf + "=" + parentID("dev")})
	if err != nil || len(deps.Items) == 0 {
		t.Fatalf("list deployments: %v (%d)", err, len(deps.Items))
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "Test", LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		}
		if _, err := kube.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	log.Reset()
	if _, err := Apply(ctx, stack, Options{Config: env.Config, Wait: true, Timeout: 30 * time.Second, Log: &log}); err != nil {
		t.Fatalf("apply --wait: %v\n%s", err, log.String())
	}
	if got := strings.Count(log.String(), "available after"); got != len(deps.Items) {
		t.Fatalf("log reports %d available deployments, want %d:\n%s", got, len(deps.Items), log.String())
	}
	if strings.Contains(log.String(), "\r") || strings.Contains(log.String(), "\033") {
		t.Fatalf("plain progress (not a terminal) contains control characters: %q", log.String())
	}
}

func TestIntegrationApplyConvergesAfterAFailure(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	stack := loadExample(t, "kind")

	// Someone else already manages a field authstack sets, in an object
	// the user lets authstack adopt: the apply of that object conflicts;
	// the rest goes in.
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	var cm *corev1.ConfigMap
	for _, o := range res.Objects {
		if o.Object.GetKind() == "ConfigMap" && o.Object.GetNamespace() == "apps" {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: o.Object.GetName(), Namespace: "apps"}, Data: map[string]string{}}
			data, _ := o.Object.Object["data"].(map[string]any)
			for k := range data {
				cm.Data[k] = "edited by hand"
			}
			break
		}
	}
	if cm == nil {
		t.Fatal("the kind example renders no ConfigMap in apps")
	}
	if _, err := kube.CoreV1().ConfigMaps("apps").Create(ctx, cm, metav1.CreateOptions{FieldManager: "hand"}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	_, err = Apply(ctx, stack, Options{Config: env.Config, Log: &log, Adopt: true})
	if err == nil || !strings.Contains(err.Error(), "--force-conflicts") || !strings.Contains(err.Error(), cm.Name) {
		t.Fatalf("err = %v, want a conflict on %s with a hint", err, cm.Name)
	}
	if _, err := kube.AppsV1().Deployments("apps").Get(ctx, "oauth2-proxy-whoami", metav1.GetOptions{}); err != nil {
		t.Fatalf("one conflict stopped the other objects: %v", err)
	}
	gen, err := kube.CoreV1().Secrets("dex").Get(ctx, secrets.ClusterSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("generated secrets were not kept before the failure: %v", err)
	}

	sum, _, _ := run(t, env.Config, stack, Options{ForceConflicts: true, Adopt: true})
	if sum.Configured != 1 {
		t.Fatalf("re-run with --force-conflicts: %+v, want the one conflicting object configured", *sum)
	}
	if _, writes, _ := run(t, env.Config, stack, Options{}); writes != 0 {
		t.Fatalf("after converging, a re-apply sent %d writes", writes)
	}
	after, _ := kube.CoreV1().Secrets("dex").Get(ctx, secrets.ClusterSecretName, metav1.GetOptions{})
	for k, v := range gen.Data {
		if !bytes.Equal(after.Data[k], v) {
			t.Fatalf("generated value %s rotated by the re-run", k)
		}
	}
}
