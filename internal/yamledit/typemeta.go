package yamledit

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// TypeMeta returns the scalar apiVersion and kind of a document's root
// mapping ("" for each that is missing or not a scalar), and whether either
// key is present at all: the mark of a Kubernetes-style document.
func TypeMeta(root *yaml.Node) (apiVersion, kind string, present bool) {
	ak, av := Lookup(root, "apiVersion")
	kk, kv := Lookup(root, "kind")
	if av != nil && av.Kind == yaml.ScalarNode {
		apiVersion = av.Value
	}
	if kv != nil && kv.Kind == yaml.ScalarNode {
		kind = kv.Value
	}
	return apiVersion, kind, ak != nil || kk != nil
}

// Describe names a document by its apiVersion and kind for error messages.
func Describe(apiVersion, kind string) string {
	switch {
	case apiVersion == "" && kind == "":
		return "a document without apiVersion and kind"
	case kind == "":
		return "a document of apiVersion " + apiVersion
	case apiVersion == "":
		return article(kind) + kind
	}
	return article(kind) + kind + " (" + apiVersion + ")"
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an "
	}
	return "a "
}
