// Command specdoc writes docs/spec.md, the reference of the authstack.yaml
// fields, and schema/authstack.v1alpha1.json, its JSON Schema, from the Go
// types and their doc comments, so neither drifts from the code.
// Run from the repository root: go run ./hack/specdoc (or go generate
// ./pkg/apis/...). TestSpecReferenceIsCurrent and TestSchemaIsCurrent fail
// when a committed file is stale.
package main

import (
	"fmt"
	"os"
)

const (
	typesPath  = "pkg/apis/authstack/v1alpha1/types.go"
	specPath   = "docs/spec.md"
	schemaPath = "schema/authstack.v1alpha1.json"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
}

func run() error {
	doc, err := Generate(typesPath)
	if err != nil {
		return err
	}
	schema, err := GenerateSchema(typesPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll("schema", 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(specPath, doc, 0o644); err != nil {
		return err
	}
	return os.WriteFile(schemaPath, schema, 0o644)
}
