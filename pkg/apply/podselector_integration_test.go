package apply

import (
	"bytes"
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// A podSelector that the Service's Pods do not carry would render a
// NetworkPolicy guarding nothing: apply refuses before writing anything, and
// goes ahead once the selector is part of the Service's.
func TestIntegrationApplyRefusesAPodSelectorTheServiceDoesNotUse(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	// The kind example says whoami's Pods carry app.kubernetes.io/name=whoami;
	// this cluster's whoami chart labels them app=whoami.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "whoami", Namespace: "apps"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "whoami"},
			Ports:    []corev1.ServicePort{{Port: 8080}},
		},
	}
	if _, err := kube.CoreV1().Services("apps").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	_, err := Apply(ctx, loadExample(t, "kind"), Options{Config: env.Config, Log: &log})
	if err == nil || !strings.Contains(err.Error(), "spec.apps[0].podSelector: app.kubernetes.io/name=whoami not in the selector {app=whoami} of Service apps/whoami") {
		t.Fatalf("apply with a podSelector the Service does not use: err %v, want a refusal naming the field and both selectors", err)
	}
	if _, err := kube.CoreV1().Namespaces().Get(ctx, "dex", metav1.GetOptions{}); err == nil {
		t.Error("apply wrote objects before refusing")
	}
	// headers has no Service yet: said, not refused.
	if !strings.Contains(log.String(), "Service apps/headers of app headers does not exist yet") {
		t.Errorf("log does not say the headers Service could not be checked:\n%s", log.String())
	}

	svc.Spec.Selector = map[string]string{"app.kubernetes.io/name": "whoami", "app.kubernetes.io/instance": "demo"}
	if _, err := kube.CoreV1().Services("apps").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	run(t, env.Config, loadExample(t, "kind"), Options{})
}
