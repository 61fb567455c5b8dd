// Package patchtest holds what every patcher's tests and fuzz targets
// check: what a patch returns is YAML (every document decodes), patching it
// again changes nothing, and CheckTarget refuses files of another kind.
package patchtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/internal/yamledit"
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

// TargetCase is an input a patcher's CheckTarget sees, and the part of the
// error it must give ("" when the input is a file it may patch). An alias of
// a plain struct, so that tables can list cases without field names.
type TargetCase = struct {
	Name, Src, WantErr string
}

// CheckTarget runs check on each case's input as a subtest and fails it
// unless check accepts exactly the inputs with no WantErr and refuses the
// others with an error that contains WantErr.
func CheckTarget(t *testing.T, check func([]byte) error, cases []TargetCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			err := check([]byte(tt.Src))
			if tt.WantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.WantErr) {
				t.Fatalf("err = %v, want %q", err, tt.WantErr)
			}
		})
	}
}

// ReadTestdata returns the file name under the test's testdata directory.
func ReadTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
