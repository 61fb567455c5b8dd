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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
)

func deploymentItem(name string) *item {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetName(name)
	u.SetNamespace("apps")
	return &item{obj: u}
}

func TestWaitShowsASpinnerOnATerminal(t *testing.T) {
	ready := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "ready", Namespace: "apps", Generation: 2},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, ReadyReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}},
	}
	stale := ready.DeepCopy()
	stale.Name = "stale"
	stale.Status.ObservedGeneration = 1 // the controller has not seen the new spec yet
	for _, progress := range []bool{true, false} {
		var log bytes.Buffer
		a := &applier{kube: fake.NewSimpleClientset(ready, stale), opts: Options{Log: &log, Progress: progress, Timeout: 1500 * time.Millisecond}}
		if err := a.waitDeployments(context.Background(), []*item{deploymentItem("ready")}); err != nil {
			t.Fatal(err)
		}
		out := log.String()
		if progress != strings.Contains(out, "\r✓ deployment/ready -n apps available") {
			t.Errorf("progress=%v: output %q", progress, out)
		}
		if !progress && !strings.Contains(out, "waiting for deployment/ready -n apps to be available\n") {
			t.Errorf("plain output %q lacks the step line", out)
		}
		err := a.waitDeployments(context.Background(), []*item{deploymentItem("stale")})
		if err == nil || !strings.Contains(err.Error(), "stale") {
			t.Errorf("a Deployment whose controller lags: err = %v, want a timeout", err)
		}
	}
}
