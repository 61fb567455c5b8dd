package yamledit

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Canonical returns a text that two nodes share exactly when they mean the
// same data: aliases and merge keys are resolved, and styles, comments and
// key order of maps are forgotten.
func Canonical(n *yaml.Node) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("decode yaml: %v", r)
		}
	}()
	if n == nil {
		return "null\n", nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// Equal reports whether a and b mean the same data. Nodes that cannot be
// decoded are never equal.
func Equal(a, b *yaml.Node) bool {
	ca, err := Canonical(a)
	if err != nil {
		return false
	}
	cb, err := Canonical(b)
	return err == nil && ca == cb
}
