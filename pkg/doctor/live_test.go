package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// CollectLive reads the API server Pod's flags, fetches discovery and keys
// from the issuer those flags name, and reads dex as authstack deployed it.
func TestCollectLiveFromObjects(t *testing.T) {
	iss := startIssuer(t)
	managed := map[string]string{"app.kubernetes.io/managed-by": "authstack", "app.kubernetes.io/name": "dex"}
	two := int32(2)
	client := fake.NewClientset(
		&corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-cp1", Namespace: "kube-system", Labels: map[string]string{"component": "kube-apiserver"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-apiserver", Command: []string{
				"kube-apiserver", "--oidc-issuer-url=" + iss.url, "--oidc-client-id=kubernetes", "--oidc-username-claim=email", "--oidc-groups-claim=groups",
			}}}},
		},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dex-config", Namespace: "dex", Labels: managed},
			Data: map[string][]byte{"config.yaml": []byte("issuer: " + iss.url + "\nstorage:\n  type: memory\n")}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "dex", Namespace: "dex", Labels: managed}, Spec: appsv1.DeploymentSpec{Replicas: &two}},
	)
	m := &Model{Now: testNow}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := CollectLive(ctx, m, LiveOptions{Config: &rest.Config{Host: "https://cluster.invalid"}, Client: client, HTTPClient: iss.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	r := Diagnose(m)
	var all []string
	for _, f := range r.Findings {
		all = append(all, string(f.Severity)+" "+f.Code+": "+f.Message)
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{
		"info AS-90: read the running API server's flags from Pod kube-system/kube-apiserver-cp1",
		"info AS-91: issuer " + iss.url + " answers discovery and publishes 2 key(s)",
		"error AS-44: dex runs 2 replicas with memory storage",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q; got:\n%s", want, got)
		}
	}
	// What was observed passes; what could not be observed is skipped.
	want := map[string]Status{"AS-93": StatusPassed, "AS-94": StatusSkipped, "AS-95": StatusSkipped, "AS-97": StatusSkipped}
	for _, c := range r.Checks {
		if s, ok := want[c.Code]; ok && c.Status != s {
			t.Errorf("%s is %s, want %s (%v)", c.Code, c.Status, s, c.Skipped)
		}
	}
	if m.JWKS == nil || len(m.APIServers) != 1 || !m.APIServers[0].JWT[0].Flags {
		t.Errorf("live evidence not in the model: JWKS %v, API server views %d", m.JWKS != nil, len(m.APIServers))
	}
}
