package apply

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/formats/corefile"
	"github.com/authstack/authstack/pkg/render"
)

const kubeadmCorefile = `.:53 {
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
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
}
`

// --coredns-rewrite adds the stack's block to the cluster's Corefile and
// nothing else; without a Corefile it can edit safely it stops the apply
// before any write.
func TestIntegrationCoreDNSRewriteEditsOnlyItsBlock(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(env.Config)
	cms := kube.CoreV1().ConfigMaps("kube-system")
	stack := loadExample(t, "kind")

	err, writes, _ := applyErr(t, env.Config, stack, Options{CoreDNSRewrite: true})
	if err == nil || !strings.Contains(err.Error(), "no ConfigMap kube-system/coredns") || writes != 0 {
		t.Fatalf("without a coredns ConfigMap: err %v, %d writes; want a refusal and no write", err, writes)
	}

	theirs := ".:53 {\n    rewrite name dex.127.0.0.1.nip.io my-edge.default.svc.cluster.local\n" + strings.TrimPrefix(kubeadmCorefile, ".:53 {\n")
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Data: map[string]string{"Corefile": theirs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err, writes, _ = applyErr(t, env.Config, stack, Options{CoreDNSRewrite: true})
	if err == nil || !strings.Contains(err.Error(), "already names dex.127.0.0.1.nip.io") || writes != 0 {
		t.Fatalf("over the user's own rewrite of dex's host: err %v, %d writes; want a refusal and no write", err, writes)
	}
	if now, _ := cms.Get(ctx, "coredns", metav1.GetOptions{}); now.ResourceVersion != cm.ResourceVersion {
		t.Fatal("the refused apply changed the Corefile")
	}

	cm.Data["Corefile"] = kubeadmCorefile
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	run(t, env.Config, stack, Options{CoreDNSRewrite: true})
	got, err := cms.Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := ".:53 {\n" + corefile.Print("dev", render.CoreDNSRewrites(&stack.Spec)) + strings.TrimPrefix(kubeadmCorefile, ".:53 {\n")
	if got.Data["Corefile"] != want {
		t.Fatalf("Corefile after apply:\n%s\nwant:\n%s", got.Data["Corefile"], want)
	}
	if _, ok := got.Labels[LabelPartOf]; ok {
		t.Error("the cluster's coredns ConfigMap became a member of the stack")
	}
	if sum, writes, log := run(t, env.Config, stack, Options{CoreDNSRewrite: true}); writes != 0 || sum.Changed() {
		t.Fatalf("re-apply sent %d writes (%+v); log:\n%s", writes, *sum, log)
	}
}
