package dexconfig

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/patch/internal/yamledit"
)

// FuzzDexMerge checks that Merge never panics and that whatever it returns
// is YAML that merging again leaves unchanged.
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
	f.Fuzz(func(t *testing.T, existing, desired []byte) {
		out, err := Merge(existing, desired)
		if err != nil {
			return
		}
		doc, err := yamledit.ParseOne(out)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		if _, err := yamledit.Canonical(doc); err != nil {
			t.Fatalf("output does not decode: %v\n%s", err, out)
		}
		again, err := Merge(out, desired)
		if err != nil {
			t.Fatalf("merging into the output failed: %v\n%s", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("merging into the output changed it:\n%s", golden.Diff(out, again))
		}
	})
}
