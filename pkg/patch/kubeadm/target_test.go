package kubeadm

import (
	"testing"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

func TestCheckTarget(t *testing.T) {
	patchtest.CheckTarget(t, CheckTarget, []patchtest.TargetCase{
		{"init, cluster, kubelet and kube-proxy configs", string(patchtest.ReadTestdata(t, "multidoc-v1beta4.yaml")), ""},
		{"init and kubelet configs, no ClusterConfiguration", string(patchtest.ReadTestdata(t, "no-cluster-configuration.yaml")), ""},
		{"v1beta3 ClusterConfiguration", string(patchtest.ReadTestdata(t, "v1beta3.yaml")), ""},
		{"an authstack spec", "apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {}\n", "found an AuthStack (authstack.dev/v1alpha1)"},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\n", "not a kubeadm config"},
		{"a JoinConfiguration alone", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n", "not a kubeadm config"},
		{"a KubeletConfiguration alone", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", "not a kubeadm config"},
		{"v1beta2", "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n", "kubeadm config migrate"},
		{"empty", "", "found no YAML document"},
		{"comments only", "# nothing yet\n", "found no YAML document"},
		{"a list", "- a\n", "not a kubeadm config"},
	})
}
