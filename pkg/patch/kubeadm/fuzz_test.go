package kubeadm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/patch/internal/yamledit"
)

// FuzzKubeadmPatch checks that Patch never panics and that whatever it
// returns is YAML that patching again leaves unchanged.
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
		out, err := Patch(src, args, remove, vols)
		if err != nil {
			return
		}
		chunks, err := yamledit.Split(out)
		if err != nil {
			t.Fatalf("output does not split: %v\n%s", err, out)
		}
		for _, c := range chunks {
			if c.Empty() {
				continue
			}
			doc, err := c.Parse()
			if err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
			if _, err := yamledit.Canonical(doc); err != nil {
				t.Fatalf("output does not decode: %v\n%s", err, out)
			}
		}
		again, err := Patch(out, args, remove, vols)
		if err != nil {
			t.Fatalf("patching the output failed: %v\n%s", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("patching the output changed it:\n%s", golden.Diff(out, again))
		}
	})
}
