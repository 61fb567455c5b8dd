// Package v1alpha1 holds the authstack.dev/v1alpha1 AuthStack spec: the one
// file a user writes. Defaulting lives in defaults.go and validation, which
// reports every problem with its field path, in validation.go.
package v1alpha1

// SchemaURL is where editors fetch the JSON Schema of this version from (the
// yaml-language-server comment on top of every spec authstack writes): the
// file committed on main. The schema describes one API version, whose fields
// are only ever added, so a spec written for an older binary still
// validates; a field newer than the user's binary is still refused by its
// strict decoding. Releases also carry the file (.goreleaser.yaml
// release.extra_files) for pinning a version.
const SchemaURL = "https://raw.githubusercontent.com/authstack/authstack/main/schema/authstack.v1alpha1.json"

// SchemaComment names the schema for editors (the YAML language server used
// by VS Code, IntelliJ and others); it is the first line of a spec.
const SchemaComment = "# yaml-language-server: $schema=" + SchemaURL + "\n"

// docs/spec.md and schema/authstack.v1alpha1.json are generated from types.go.
//go:generate sh -c "cd ../../../.. && go run ./hack/specdoc"
