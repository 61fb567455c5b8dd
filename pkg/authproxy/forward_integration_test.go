package authproxy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
)

// TestIntegrationPortForwardReportsWhatTheAPIServerSays drives the real
// client-go port-forward against a real API server. Without a kubelet no
// Pod can be reached, so this checks the other half: the forward asks the
// pods/portforward subresource, and a refusal comes back as an error at
// once instead of a proxy that listens and forwards nowhere.
func TestIntegrationPortForwardReportsWhatTheAPIServerSays(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	env := testenv.Start(t, testenv.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	// No controller manager creates the default ServiceAccount here.
	if _, err := client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example.invalid/web"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	f := &PortForwarder{Config: env.Config, Client: client, Log: &log}
	// The API server's own words: the pod registry refuses a Pod without a
	// node, the store a Pod that does not exist.
	for pod, why := range map[string]string{"web": "does not have a host assigned", "missing": "not found"} {
		_, _, err := f.Forward(ctx, Backend{Namespace: "default", Pod: pod, Port: 8080, Scheme: "http"})
		if err == nil || !strings.Contains(err.Error(), "port-forward to pod "+pod) || !strings.Contains(err.Error(), why) {
			t.Errorf("forward to pod %s: %v, want an error naming the pod and %q", pod, err, why)
		}
	}
}
