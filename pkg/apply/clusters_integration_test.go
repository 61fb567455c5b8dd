package apply

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/render/apiproxy"
	rmeta "github.com/authstack/authstack/pkg/render/meta"
)

// The multicluster example applies the proxy to this cluster and, through
// each cluster's context, the impersonator RBAC and the users' RBAC to the
// clusters behind it; the token of the proxy's ServiceAccount there ends up
// in the credential Secret here. The two clusters behind the proxy are two
// API servers on one etcd (the second costs no etcd); no controller-manager
// runs, so the test fills the token Secrets as the token controller would.
func TestIntegrationApplyClustersThroughTheirContexts(t *testing.T) {
	env := startEnv(t)
	remoteA := startEnv(t)
	remoteB := testenv.Start(t, testenv.Options{Etcd: remoteA.EtcdURL, EtcdPrefix: "/prod-b"})
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "example-keycloak-secret")
	stack := loadExample(t, "managed-multicluster")
	// No cert-manager in the test cluster: a TLS Secret of one's own.
	stack.Spec.Proxy.TLS.CertManager = nil
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	remotes := map[string]*testenv.Env{stack.Spec.Clusters[0].Context: remoteA, stack.Spec.Clusters[1].Context: remoteB}
	for _, ns := range []string{"monitoring", "payments"} {
		for _, cfg := range []*rest.Config{env.Config, remoteA.Config, remoteB.Config} {
			_, _ = kubernetes.NewForConfigOrDie(cfg).CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		}
	}
	var contexts []string
	fillTokenSecret(t, kubernetes.NewForConfigOrDie(remoteA.Config))
	fillTokenSecret(t, kubernetes.NewForConfigOrDie(remoteB.Config))
	clusterConfig := func(c string) (*rest.Config, error) {
		contexts = append(contexts, c)
		if r := remotes[c]; r != nil {
			return r.Config, nil
		}
		return nil, fmt.Errorf("no context %q", c)
	}
	sum, _, log := run(t, env.Config, stack, Options{ClusterConfig: clusterConfig})
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
	// Each cluster behind the proxy: impersonator RBAC, and team RBAC with
	// its own name.
	for _, c := range stack.Spec.Clusters {
		rkube := kubernetes.NewForConfigOrDie(remotes[c.Context].Config)
		if _, err := rkube.RbacV1().ClusterRoleBindings().Get(ctx, apiproxy.ImpersonatorRole, metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
		rb, err := rkube.RbacV1().RoleBindings("payments").Get(ctx, "authstack:team:developer", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if g := rb.Subjects[0].Name; g != "oidc:"+c.Name+":developer:payments" {
			t.Errorf("cluster %s binds %q, want its own name in the group", c.Name, g)
		}
	}
	// The token never reaches the log.
	if strings.Contains(log, "remote-token") {
		t.Error("the token is in the log")
	}
	// The clusters' objects say what the apply did to them: created the
	// first time, unchanged on a second apply of the same spec.
	if got := clusterObjectLines(log); len(got["created"]) == 0 || len(got["configured"])+len(got["unchanged"]) != 0 {
		t.Errorf("first apply, the clusters' objects: %v\n%s", got, log)
	}
	contexts = nil
	_, _, log = run(t, env.Config, stack, Options{ClusterConfig: clusterConfig})
	if got := clusterObjectLines(log); len(got["unchanged"]) == 0 || len(got["created"])+len(got["configured"]) != 0 {
		t.Errorf("second apply, the clusters' objects: %v\n%s", got, log)
	}
}

// clusterObjectLines sorts the log lines of spec.clusters' objects (those
// under a "cluster NAME (context C):" heading) by their last word.
func clusterObjectLines(log string) map[string][]string {
	out := map[string][]string{}
	in := false
	for _, l := range strings.Split(log, "\n") {
		switch {
		case strings.HasPrefix(l, "cluster "):
			in = true
		case in && strings.HasPrefix(l, "  ") && !strings.Contains(l, " holds the proxy's token"):
			f := strings.Fields(l)
			out[f[len(f)-1]] = append(out[f[len(f)-1]], l)
		default:
			in = false
		}
	}
	return out
}

// fillTokenSecret plays the token controller of a cluster without a
// controller manager: it fills the proxy's token Secret once it exists,
// until the test ends.
func fillTokenSecret(t *testing.T, kube kubernetes.Interface) {
	ctx := context.Background()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			s, err := kube.CoreV1().Secrets("authstack-proxy").Get(ctx, apiproxy.TokenSecret, metav1.GetOptions{})
			if err != nil || len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
				continue
			}
			s.Data = map[string][]byte{corev1.ServiceAccountTokenKey: []byte("remote-token")}
			_, _ = kube.CoreV1().Secrets("authstack-proxy").Update(ctx, s, metav1.UpdateOptions{})
		}
	}()
}

// The cluster the proxy runs in may itself be one of spec.clusters, named
// as spec.cluster.name: its objects there are the stack's own, and a second
// apply works (the cluster's apply, as its own field manager, leaves the
// stack's ApplySet label alone; as the same manager it took the label off
// and the next apply refused the objects as not members). Named otherwise,
// the cluster's RBAC differs from the stack's there: the apply says so
// instead of overwriting the stack's.
func TestIntegrationApplyProxyClusterIsOneOfTheClusters(t *testing.T) {
	env := startEnv(t)
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "example-keycloak-secret")
	stack := loadExample(t, "managed-multicluster")
	stack.Spec.Proxy.TLS.CertManager = nil
	stack.Spec.Clusters = stack.Spec.Clusters[:1]
	name := stack.Spec.Clusters[0].Name
	stack.Spec.Cluster.Name = name
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	for _, ns := range []string{"monitoring", "payments"} {
		_, _ = kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	}
	fillTokenSecret(t, kube)
	opts := Options{ClusterConfig: func(string) (*rest.Config, error) { return env.Config, nil }}
	run(t, env.Config, stack, opts)
	run(t, env.Config, stack, opts) // fails the test if the apply refuses its own objects
	rb, err := kube.RbacV1().RoleBindings("payments").Get(ctx, "authstack:team:developer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Labels[LabelPartOf] == "" {
		t.Errorf("the stack's RoleBinding lost its ApplySet label: %v", rb.Labels)
	}
	if !appliedBy(rb.ManagedFields, rmeta.FieldManager) || !appliedBy(rb.ManagedFields, ClusterFieldManager(name)) {
		t.Errorf("RoleBinding managers %v, want %s and %s", managers(rb.ManagedFields), rmeta.FieldManager, ClusterFieldManager(name))
	}

	// Renamed: the stack now wants tools groups where the cluster's
	// manager set prod-a ones. The apply stops at the conflict, naming the
	// cluster's field manager, and neither overwrites the other.
	stack.Spec.Cluster.Name = "tools"
	var log bytes.Buffer
	_, err = Apply(ctx, stack, Options{Config: env.Config, Log: &log, ClusterConfig: opts.ClusterConfig})
	if err == nil || !strings.Contains(err.Error(), "conflict") || !strings.Contains(err.Error(), ClusterFieldManager(name)) {
		t.Fatalf("a cluster named unlike spec.cluster.name in the same cluster: %v, want the conflict with %s\n%s", err, ClusterFieldManager(name), log.String())
	}
	rb, err = kube.RbacV1().RoleBindings("payments").Get(ctx, "authstack:team:developer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.Subjects[0].Name; got != "oidc:"+name+":developer:payments" {
		t.Errorf("the RoleBinding binds %q after the refused apply, want it unchanged", got)
	}
}
