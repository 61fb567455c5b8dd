package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// The multicluster example applies the proxy to this cluster and, through
// each cluster's context, the impersonator RBAC and the users' RBAC to the
// clusters behind it; the token of the proxy's ServiceAccount there ends up
// in the credential Secret here. One API server stands for both clusters
// behind the proxy (a second costs a minute on a shared machine), with the
// contexts told apart by the ClusterConfig calls; no controller-manager
// runs, so the test fills the token Secret as the token controller would.
func TestIntegrationApplyClustersThroughTheirContexts(t *testing.T) {
	env := startEnv(t)
	remote := startEnv(t)
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "example-keycloak-secret")
	stack := loadExample(t, "managed-multicluster")
	// No cert-manager in the test cluster: a TLS Secret of one's own.
	stack.Spec.Proxy.TLS.CertManager = nil
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	rkube := kubernetes.NewForConfigOrDie(remote.Config)
	for _, ns := range []string{"monitoring", "payments"} {
		for _, k := range []kubernetes.Interface{kube, rkube} {
			_, _ = k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		}
	}
	var contexts []string
	// The token controller: fill the token Secret once it exists.
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			s, err := rkube.CoreV1().Secrets("authstack-proxy").Get(ctx, apiproxy.TokenSecret, metav1.GetOptions{})
			if err != nil || len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
				continue
			}
			s.Data = map[string][]byte{corev1.ServiceAccountTokenKey: []byte("remote-token")}
			_, _ = rkube.CoreV1().Secrets("authstack-proxy").Update(ctx, s, metav1.UpdateOptions{})
		}
	}()
	sum, _, log := run(t, env.Config, stack, Options{ClusterConfig: func(c string) (*rest.Config, error) {
		contexts = append(contexts, c)
		return remote.Config, nil
	}})
	if sum.Created == 0 {
		t.Fatalf("nothing created:\n%s", log)
	}
	if len(contexts) != 2 || contexts[0] != stack.Spec.Clusters[0].Context || contexts[1] != stack.Spec.Clusters[1].Context {
		t.Errorf("contexts used: %q", contexts)
	}
	// This cluster: the proxy and its credential Secrets.
	if _, err := kube.AppsV1().Deployments("authstack-proxy").Get(ctx, apiproxy.Name, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	for _, c := range stack.Spec.Clusters {
		s, err := kube.CoreV1().Secrets("authstack-proxy").Get(ctx, c.CredentialSecret.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(s.Data[c.CredentialSecret.Key]) != "remote-token" {
			t.Errorf("credential Secret %s holds %d bytes, not the remote token", s.Name, len(s.Data[c.CredentialSecret.Key]))
		}
	}
	// The cluster behind the proxy: impersonator RBAC and team RBAC with its own name.
	if _, err := rkube.RbacV1().ClusterRoleBindings().Get(ctx, apiproxy.ImpersonatorRole, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	rb, err := rkube.RbacV1().RoleBindings("payments").Get(ctx, "authstack:team:developer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := rb.Subjects[0].Name; g != "oidc:prod-b:developer:payments" {
		t.Errorf("the last cluster applied binds %q, want its own name in the group", g)
	}
	// The token never reaches the log.
	if strings.Contains(log, "remote-token") {
		t.Error("the token is in the log")
	}
}
