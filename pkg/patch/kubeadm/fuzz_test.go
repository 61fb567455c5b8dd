package kubeadm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/safefile/safefiletest"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// FuzzKubeadmPatch checks that Patch never panics, that whatever it returns
// is YAML that patching again leaves unchanged, and that writing it in place
// stays in the file's directory and goes through no link.
func FuzzKubeadmPatch(f *testing.F) {
	for _, name := range []string{"v1beta3.yaml", "multidoc-v1beta4.yaml", "no-cluster-configuration.yaml"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, "https://dex.example.com", false)
		f.Add(src, "/etc/kubernetes/authn.yaml", true)
	}
	f.Add([]byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs: []\n"), "on", false)
	f.Add([]byte("--- #c\n...\n---\n"), "", true)
	f.Fuzz(func(t *testing.T, src []byte, value string, structured bool) {
		args := []Arg{{Name: "oidc-issuer-url", Value: value}, {Name: "oidc-client-id", Value: "kubernetes"}}
		remove := []string{"authentication-config"}
		vols := []Volume{{Name: "dex-ca", HostPath: "/etc/dex/" + value, MountPath: "/etc/dex/ca.crt", ReadOnly: true}}
		if structured {
			args = []Arg{{Name: "authentication-config", Value: value}}
			remove = []string{"oidc-issuer-url", "oidc-client-id"}
			vols = []Volume{{Name: "authn", HostPath: "/etc/authn.yaml", MountPath: "/etc/authn.yaml", PathType: value}}
		}
		_ = CheckTarget(src) // must not panic
		out, err := Patch(src, args, remove, vols)
		if err != nil {
			return
		}
		patchtest.Stable(t, func(b []byte) ([]byte, error) { return Patch(b, args, remove, vols) }, out)
		// Writing the result in place goes through no link and stays in
		// the file's directory.
		safefiletest.CheckContained(t, "kubeadm.yaml", src, out, patch.WriteFileAtomic)
	})
}
