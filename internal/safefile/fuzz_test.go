package safefile_test

import (
	"testing"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/internal/safefile/safefiletest"
)

// FuzzWrite checks that whatever the content and options, Write neither
// goes through a link at the target or backup names nor leaves anything
// outside the target's directory.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("a: 1\n"), []byte("a: 2\n"), uint8(0b100))
	f.Add([]byte("apiVersion: v1\nkind: Pod\n"), []byte("apiVersion: v1\nkind: Pod\nspec: {}\n"), uint8(0b110))
	f.Add([]byte("same\n"), []byte("same\n"), uint8(0b001))
	f.Add([]byte(""), []byte("x"), uint8(0b111))
	f.Fuzz(func(t *testing.T, old, data []byte, bits uint8) {
		opts := safefile.Options{Private: bits&1 != 0, KeepMode: bits&2 != 0, Backup: bits&4 != 0, Mode: 0o644}
		safefiletest.CheckContained(t, "kube-apiserver.yaml", old, data, func(path string, data []byte) (string, error) {
			return safefile.Write(path, data, opts)
		})
	})
}
