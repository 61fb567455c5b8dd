// Command specdoc writes docs/spec.md, the reference of the authstack.yaml
// fields, from the Go types and their doc comments, so the reference never
// drifts from the code. Run: go run ./hack/specdoc > docs/spec.md
package main

import (
	"fmt"
	"os"
)

func main() {
	out, err := Generate("pkg/apis/authstack/v1alpha1/types.go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
