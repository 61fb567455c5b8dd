package kubeconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// A kubeconfig without the API server URL works for nobody: Render refuses,
// naming the field, instead of writing a placeholder server.
func TestRenderRefusesAnEmptyServer(t *testing.T) {
	s := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: v1alpha1.InstallerKubeadm},
		Issuer:  v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}},
	}}
	v1alpha1.SetDefaults(s)
	spec := &s.Spec
	_, err := Render(Input{Spec: spec})
	if !errors.Is(err, ErrNoServer) || !strings.Contains(err.Error(), "spec.cluster.server") {
		t.Fatalf("Render without a server: err %v, want ErrNoServer naming spec.cluster.server", err)
	}
	spec.Cluster.Server = "https://127.0.0.1:6443"
	out, err := Render(Input{Spec: spec})
	if err != nil || !strings.Contains(string(out), "server: https://127.0.0.1:6443") {
		t.Fatalf("Render with a server: %v\n%s", err, out)
	}
}
