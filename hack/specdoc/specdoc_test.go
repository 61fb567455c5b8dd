package main

import (
	"bytes"
	"testing"

	"github.com/authstack/authstack/internal/golden"
)

// The reference in docs/spec.md must match the Go types.
func TestSpecReferenceIsCurrent(t *testing.T) {
	got, err := Generate("../../pkg/apis/authstack/v1alpha1/types.go")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "../../docs/spec.md", got)
	for _, field := range []string{"`kubernetesVersion`", "`usernamePrefix`", "`identity`", "`userNamespaces`", "`bindPassword`"} {
		if !bytes.Contains(got, []byte(field)) {
			t.Errorf("reference lacks %s", field)
		}
	}
}
