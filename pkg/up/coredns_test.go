package up

import (
	"context"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/formats/corefile"
	"github.com/authstack/authstack/pkg/render"
)

// kubeadm134Corefile is the Corefile kubeadm v1.34.4 installs (and so kind):
// k8s.io/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go,
// CoreDNSConfigMap, with DNSDomain cluster.local.
const kubeadm134Corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

// TestRouteHostsInClusterIsApplysRewrite: up (and the kind tier) route the
// stack's hosts in the cluster with exactly the block `authstack apply
// --coredns-rewrite` writes, to the Service DeployEdge names like
// ingress-nginx's, restart CoreDNS only when the Corefile changed, and
// refuse a Corefile whose own rule already rewrites one of the hosts.
func TestRouteHostsInClusterIsApplysRewrite(t *testing.T) {
	stack, err := config.LoadFile("../../examples/kind/authstack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cs := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": kubeadm134Corefile}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}},
	)
	ctx := context.Background()
	restarted := func() string {
		d, err := cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Annotations["authstack.dev/restartedAt"]
	}
	if err := RouteHostsInCluster(ctx, cs, stack, io.Discard); err != nil {
		t.Fatal(err)
	}
	cm, _ := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	want, err := corefile.EditRewrites([]byte(kubeadm134Corefile), stack.Metadata.Name, render.CoreDNSRewrites(&stack.Spec))
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["Corefile"]; got != string(want) {
		t.Errorf("Corefile:\n%s\nwant apply's rewrite block:\n%s", got, want)
	}
	target := " " + render.IngressControllerService + "." + stack.Spec.NetworkPolicy.IngressNamespace + ".svc.cluster.local\n"
	if !strings.Contains(cm.Data["Corefile"], "rewrite name exact "+stack.Spec.Issuer.Dex.Host+target) {
		t.Errorf("the issuer's host is not rewritten to%s", target)
	}
	first := restarted()
	if first == "" {
		t.Fatal("CoreDNS was not restarted after its Corefile changed")
	}
	cs.ClearActions()
	if err := RouteHostsInCluster(ctx, cs, stack, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "get" {
			t.Errorf("a second run changed something: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}

	theirs := strings.Replace(kubeadm134Corefile, ".:53 {\n", ".:53 {\n    rewrite name "+stack.Spec.Issuer.Dex.Host+" my-edge.default.svc.cluster.local\n", 1)
	cs = fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": theirs}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}},
	)
	err = RouteHostsInCluster(ctx, cs, stack, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already names "+stack.Spec.Issuer.Dex.Host) {
		t.Fatalf("over the cluster's own rewrite of the issuer: got %v, want apply's refusal", err)
	}
	if restarted() != "" {
		t.Error("CoreDNS restarted although nothing changed")
	}
}
