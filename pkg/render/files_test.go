package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKubesprayInventory(t *testing.T) {
	got := kubesprayInventory("inventory/prod/group_vars/k8s_cluster/k8s-cluster.yml")
	if got != "inventory/prod/hosts.yaml" {
		t.Fatalf("inventory = %q", got)
	}
}

// All targets are patched or none: a file that cannot be patched stops the
// others before anything is written.
func TestPatchTargetsAllOrNothing(t *testing.T) {
	exampleEnv(t)
	res := renderExample(t, "kubeadm")
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join("..", "patch", "kubeadm", "testdata", "v1beta3.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kubeadm := filepath.Join(dir, "kubeadm.yaml")
	manifest := filepath.Join(dir, "kube-apiserver.yaml")
	if err := os.WriteFile(kubeadm, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte("apiVersion: apps/v1\nkind: Deployment\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := res.PatchTargets(Targets{KubeadmConfig: kubeadm, APIServerManifest: manifest})
	if err == nil || !strings.Contains(err.Error(), manifest) || ps != nil {
		t.Fatalf("patches %d, err %v; want none and an error naming %s", len(ps), err, manifest)
	}
	ps, err = res.PatchTargets(Targets{KubeadmConfig: kubeadm})
	if err != nil || len(ps) != 1 || ps[0].Target != KubeadmConfig || !ps[0].Changed() || !strings.Contains(ps[0].NextStep, "kubeadm init phase") {
		t.Fatalf("patches %+v, err %v", ps, err)
	}
}
