package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// doctor --live looks up the TLS Secret of every Ingress: missing with
// nothing to create it, missing while cert-manager issues it, of the wrong
// type, and present.
func TestLiveTLSSecrets(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "opaque-tls", Namespace: "apps"}, Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"tls.crt": []byte("x"), "tls.key": []byte("y")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "good-tls", Namespace: "apps"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": []byte("x"), "tls.key": []byte("y")}},
	)
	m := &Model{Now: testNow, Ingresses: []*Ingress{
		{Source: "ing-missing", Namespace: "apps", Name: "a", TLSSecrets: map[string]string{"a.example.com": "a-tls"}},
		{Source: "ing-shim", Namespace: "dex", Name: "dex", TLSSecrets: map[string]string{"dex.example.com": "dex-tls"},
			Annotations: map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt"}},
		{Source: "ing-opaque", Namespace: "apps", Name: "b", TLSSecrets: map[string]string{"b.example.com": "opaque-tls"}},
		{Source: "ing-good", Namespace: "apps", Name: "c", TLSSecrets: map[string]string{"c.example.com": "good-tls"}},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := CollectLive(ctx, m, LiveOptions{Config: &rest.Config{Host: "https://127.0.0.1:1"}, Client: client}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Diagnose(m).Findings {
		if f.Code == "AS-98" {
			got = append(got, string(f.Severity)+" "+f.Message)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"error TLS Secret apps/a-tls for [a.example.com] does not exist, and nothing creates it",
		"warning TLS Secret dex/dex-tls for [dex.example.com] does not exist yet: cert-manager is asked to issue it",
		`error Secret apps/opaque-tls for [b.example.com] is of type "Opaque", not kubernetes.io/tls`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "good-tls") || len(got) != 3 {
		t.Errorf("want exactly the three bad Secrets reported:\n%s", all)
	}
}
