package apply

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// Every example re-applies with zero writes: the comparison understands
// everything the renderer produces, not only the kind example.
func TestIntegrationEveryExampleReappliesWithoutWrites(t *testing.T) {
	t.Setenv("LDAP_BIND_PASSWORD", "example-bind-password")
	t.Setenv("GITHUB_CLIENT_SECRET", "example-github-secret")
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "example-keycloak-secret")
	for _, name := range []string{"dashboard-token", "dex-ldap-kubespray", "kubeadm", "prometheus-headers"} {
		t.Run(name, func(t *testing.T) {
			env := startEnv(t) // stacks share names such as namespace dex
			kube := kubernetes.NewForConfigOrDie(env.Config)
			stack := loadExample(t, name)
			// The apps' and teams' namespaces exist before authstack.
			res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
			if err != nil {
				t.Fatal(err)
			}
			certificates := false
			for _, o := range res.Objects {
				certificates = certificates || o.Object.GetKind() == "Certificate"
				if ns := o.Object.GetNamespace(); ns != "" {
					_, _ = kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
				}
			}
			if certificates {
				// spec.tls.certManager: the cluster has cert-manager.
				testenv.InstallCRD(t, env.Config, testenv.CertificateCRD(t))
			}
			if sum, _, _ := run(t, env.Config, stack, Options{}); sum.Created == 0 {
				t.Fatal("first apply created nothing")
			}
			sum, writes, log := run(t, env.Config, stack, Options{})
			if writes != 0 || sum.Changed() {
				t.Fatalf("re-apply of %s sent %d writes (%+v):\n%s", name, writes, *sum, log)
			}
		})
	}
}
