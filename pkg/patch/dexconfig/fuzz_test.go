package dexconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/safefile/safefiletest"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// FuzzDexMerge checks that Merge never panics, that whatever it returns
// is YAML that merging again leaves unchanged, and that writing it in place
// stays in the file's directory and goes through no link.
func FuzzDexMerge(f *testing.F) {
	existing, err := os.ReadFile(filepath.Join("testdata", "existing.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	desired, err := os.ReadFile(filepath.Join("testdata", "desired.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(existing, desired)
	f.Add([]byte("staticClients:\n- id: k\n  redirectURIs: [a]\n"), []byte("staticClients:\n- id: k\n  redirectURIs: [b, a]\n"))
	f.Add([]byte(""), []byte("issuer: x\n"))
	f.Add([]byte("connectors:\n# c\n- id: a\n  type: mock\n"), []byte("connectors:\n- id: a\n  type: oidc\n"))
	// The dex Helm chart's values, default and filled in, and lists that
	// the merge extends in place (flow, null, empty).
	values, err := os.ReadFile(filepath.Join("testdata", "helm-values-filled.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(values, desired)
	f.Add([]byte("config: {} # x\nimage: {tag: v2}\n"), []byte("issuer: https://a\nstaticClients:\n- id: k\n"))
	f.Add([]byte("staticClients:\n- id: k\n  redirectURIs: # to do\n  trustedPeers: [a, 'b',]\n"), []byte("staticClients:\n- id: k\n  redirectURIs: [u]\n  trustedPeers: [c]\n"))
	f.Fuzz(func(t *testing.T, existing, desired []byte) {
		_ = CheckTarget(existing) // must not panic
		out, err := Merge(existing, desired)
		if err != nil {
			return
		}
		patchtest.Stable(t, func(b []byte) ([]byte, error) { return mergeConfig(b, desired) }, out.Config)
		// Writing the result in place goes through no link and stays in
		// the file's directory.
		safefiletest.CheckContained(t, "config.yaml", existing, out.Config, patch.WriteFileAtomic)
	})
}
