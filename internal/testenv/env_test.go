package testenv

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestIntegrationStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	env := Start(t, Options{ControllerManager: true})

	client, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	view, err := client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Rules) == 0 {
		t.Fatal("ClusterRole view has no rules: kube-controller-manager did not aggregate them")
	}

	out, stderr, err := env.Kubectl(t, "", "auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	if !strings.Contains(out, "system:masters") {
		t.Fatalf("kubectl auth whoami groups = %s, want system:masters", out)
	}
	// A user with a certificate from the cluster CA, through UserKubeconfig.
	cert, key := env.CA.Issue(t, env.Dir, "jane", "jane", []string{"testers"}, nil, false, true)
	kc := env.UserKubeconfig(t, "jane.kubeconfig", &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key})
	out, stderr, err = env.Kubectl(t, kc, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	if out != "jane" {
		t.Fatalf("whoami as jane = %q", out)
	}
	if _, _, err := env.Kubectl(t, kc, "get", "secrets", "-A"); err == nil {
		t.Fatal("jane, with no RBAC, could list secrets: the apiserver does not authorize")
	}
	if !strings.HasPrefix(env.URL, "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https://127.0.0.1:PORT", env.URL)
	}

	// A second cluster on the same etcd under its own prefix sees none of
	// the first one's objects.
	second := Start(t, Options{Etcd: env.EtcdURL, EtcdPrefix: "/second"})
	if second.EtcdURL != env.EtcdURL || second.URL == env.URL {
		t.Fatalf("second cluster: etcd %s at %s, first: etcd %s at %s", second.EtcdURL, second.URL, env.EtcdURL, env.URL)
	}
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-in-first"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	client2, err := kubernetes.NewForConfig(second.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client2.CoreV1().Namespaces().Get(ctx, "only-in-first", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the second cluster's namespace only-in-first: %v, want NotFound", err)
	}
}

func TestBinMissingSaysHowToBuild(t *testing.T) {
	t.Setenv("AUTHSTACK_E2E_BIN", t.TempDir()+"/missing")
	_, err := BinDir()
	if err == nil || !strings.Contains(err.Error(), "hack/e2e-binaries.sh") {
		t.Fatalf("BinDir() error = %v, want a hint to run hack/e2e-binaries.sh", err)
	}
}
