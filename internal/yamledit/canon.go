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
	if err := checkMapSizes(n); err != nil {
		return "", err
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

// MaxMapKeys is the most keys a YAML map may have in a file authstack
// edits. The YAML library looks for a duplicate key by comparing every key
// with every other, which on a map of the 8 MiB authstack reads at most
// (500,000 keys) takes hours; the configs authstack edits have hundreds.
const MaxMapKeys = 10000

// checkMapSizes refuses a map of more than MaxMapKeys keys, naming its line.
func checkMapSizes(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode && len(n.Content)/2 > MaxMapKeys {
		return fmt.Errorf("line %d: a map of %d keys, more than the %d authstack reads in one map (no config it edits has that many); check the file", n.Line, len(n.Content)/2, MaxMapKeys)
	}
	for _, c := range n.Content {
		if err := checkMapSizes(c); err != nil {
			return err
		}
	}
	return nil
}
