package main

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/spec.md")

// The reference in docs/spec.md must match the Go types.
func TestSpecReferenceIsCurrent(t *testing.T) {
	got, err := Generate("../../pkg/apis/authstack/v1alpha1/types.go")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("../../docs/spec.md", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("../../docs/spec.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/spec.md is stale: run go test ./hack/specdoc -update")
	}
	for _, field := range []string{"`kubernetesVersion`", "`usernamePrefix`", "`identity`", "`userNamespaces`", "`bindPassword`"} {
		if !bytes.Contains(got, []byte(field)) {
			t.Errorf("reference lacks %s", field)
		}
	}
}
