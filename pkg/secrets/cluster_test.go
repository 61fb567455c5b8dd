package secrets

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

func TestClusterReusesValuesFromTheSecret(t *testing.T) {
	client := fake.NewSimpleClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ClusterSecretName, Namespace: "dex"},
		Data:       map[string][]byte{"client-secret.oauth2-proxy-whoami": []byte("kept")},
	})
	c, err := LoadCluster(context.Background(), client.CoreV1(), "dex", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Generated("client-secret/oauth2-proxy-whoami", 32)
	if err != nil {
		t.Fatal(err)
	}
	if got != "kept" {
		t.Fatalf("Generated returned a new value, want the one in the cluster")
	}
	if c.Changed() {
		t.Fatal("Changed() = true after reusing a value")
	}
	fresh, err := c.Generated("cookie-secret/whoami", 32)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Generated("cookie-secret/whoami", 32)
	if fresh == "" || fresh != again {
		t.Fatal("a generated value changed between two calls")
	}
	if !c.Changed() {
		t.Fatal("Changed() = false after generating a value")
	}
	s := c.Secret(map[string]string{"a": "b"})
	if s.Namespace != "dex" || s.Name != ClusterSecretName || len(s.Data) != 2 ||
		string(s.Data["client-secret.oauth2-proxy-whoami"]) != "kept" || string(s.Data["cookie-secret.whoami"]) != fresh {
		t.Fatalf("Secret() keys = %v, want both values under their keys", c.Keys())
	}
}

func TestClusterWithoutSecretStartsEmpty(t *testing.T) {
	c, err := LoadCluster(context.Background(), fake.NewSimpleClientset().CoreV1(), "apps", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys()) != 0 || c.Changed() {
		t.Fatalf("keys = %v, want none", c.Keys())
	}
}

func TestClusterKey(t *testing.T) {
	for in, want := range map[string]string{
		"client-secret/oauth2-proxy-a": "client-secret.oauth2-proxy-a",
		"cookie-secret/app":            "cookie-secret.app",
		"client-secret/x:y":            "client-secret.x_y",
	} {
		if got := ClusterKey(in); got != want {
			t.Errorf("ClusterKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClusterNamespace(t *testing.T) {
	spec := &v1alpha1.Spec{Apps: []v1alpha1.App{{Namespace: "apps"}}}
	if got := ClusterNamespace(spec); got != "apps" {
		t.Errorf("external issuer: got %q, want the first app namespace", got)
	}
	spec.Issuer.Dex = &v1alpha1.Dex{Namespace: "dex"}
	if got := ClusterNamespace(spec); got != "dex" {
		t.Errorf("dex: got %q, want dex", got)
	}
}

func TestClusterSeedFromFileNeverOverridesTheCluster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	if err := os.WriteFile(path, []byte("client-secret/a: local-a\ncookie-secret/b: local-b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := NewCluster("dex", "", map[string]string{"client-secret.a": "cluster-a"})
	n, err := c.SeedFromFile(path)
	if err != nil || n != 1 {
		t.Fatalf("SeedFromFile = %d, %v; want 1 value taken", n, err)
	}
	a, _ := c.Generated("client-secret/a", 32)
	b, _ := c.Generated("cookie-secret/b", 32)
	if a != "cluster-a" || b != "local-b" {
		t.Fatal("the cluster value must win and the local one fill the gap")
	}
	if n, err := c.SeedFromFile(filepath.Join(t.TempDir(), "missing.yaml")); n != 0 || err != nil {
		t.Fatalf("missing file: %d, %v", n, err)
	}
}
