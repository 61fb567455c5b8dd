// Package patchtest holds the property every patcher's tests and fuzz
// targets check: what a patch returns is YAML (every document decodes), and
// patching it again changes nothing.
package patchtest

import (
	"bytes"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/patch/internal/yamledit"
)

// Stable fails t unless out, the result of patch on some input, is valid
// YAML and patch(out) returns out unchanged.
func Stable(t testing.TB, patch func([]byte) ([]byte, error), out []byte) {
	t.Helper()
	chunks, err := yamledit.Split(out)
	if err != nil {
		t.Fatalf("output does not split into documents: %v\n%s", err, out)
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
	again, err := patch(out)
	if err != nil {
		t.Fatalf("patching the output failed: %v\n%s", err, out)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("patching the output changed it:\n%s", golden.Diff(out, again))
	}
}

// Must runs patch on src, fails t on an error, checks Stable and returns the output.
func Must(t testing.TB, patch func([]byte) ([]byte, error), src []byte) []byte {
	t.Helper()
	out, err := patch(src)
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	Stable(t, patch, out)
	return out
}
