package yamledit

import (
	"regexp"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// KindName names a node's kind the way error messages should: "a map",
// "a list", "a string"...
func KindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.DocumentNode:
		return "a document"
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		case "!!str":
			return "a string"
		}
		return "a scalar (" + n.ShortTag() + ")"
	}
	return "an empty node"
}

// IsNull reports whether n is absent or an explicit or implicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Lookup returns the key and value nodes of key in mapping m, or nils.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, m.Content[i+1]
		}
	}
	return nil, nil
}

// Set replaces the value of key in mapping m, or appends key with value.
// A replaced value hands its line comment on, so "k: v # why" keeps "# why".
func Set(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			old := m.Content[i+1]
			if value.LineComment == "" && old.Kind == yaml.ScalarNode && value.Kind == yaml.ScalarNode {
				value.LineComment = old.LineComment
			}
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, String(key), value)
}

// Delete removes every entry for key from mapping m and reports whether
// there was one.
func Delete(m *yaml.Node, key string) bool {
	found := false
	out := m.Content[:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			found = true
			continue
		}
		out = append(out, m.Content[i], m.Content[i+1])
	}
	m.Content = out
	return found
}

// String returns a string scalar, quoted when a YAML reader would
// otherwise take it for something else ("true", "oidc:", "-", "yes").
func String(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	Quote11(n)
	return n
}

// yaml11Only matches plain scalars that YAML 1.2 reads as strings but YAML
// 1.1 does not: booleans like "yes" and "off", sexagesimal numbers like
// "1:20", and the "=" and "<<" value and merge tags. The encoder quotes
// everything YAML 1.2 would misread, but not these.
var yaml11Only = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|=|<<|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$`)
})

// Quote11 quotes string scalar n if a YAML 1.1 reader would take it for
// something else. Ansible (PyYAML) and sigs.k8s.io/yaml (go-yaml v2) read
// YAML 1.1, and the files patched here are read by them.
func Quote11(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && yaml11Only().MatchString(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
}

// SetString makes scalar n hold the string s. A quoted style is kept; a
// block style is dropped when s has no newline.
func SetString(n *yaml.Node, s string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == s {
		return
	}
	n.Kind = yaml.ScalarNode
	n.Tag = "!!str"
	n.Value = s
	n.Content = nil
	n.Anchor = ""
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
	default:
		n.Style = 0
	}
	Quote11(n)
}

// Copy returns a deep copy of n. Aliases in the copy point to the copied
// anchors; an alias whose anchor lies outside n keeps pointing to it. (Copying
// alias targets instead would blow up exponentially on nested aliases.)
func Copy(n *yaml.Node) *yaml.Node {
	return copyNode(n, map[*yaml.Node]*yaml.Node{})
}

func copyNode(n *yaml.Node, copied map[*yaml.Node]*yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	copied[n] = &c
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = copyNode(ch, copied)
	}
	if to, ok := copied[n.Alias]; ok {
		c.Alias = to
	}
	return &c
}

// HasAlias reports whether any node under n is an alias.
func HasAlias(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if HasAlias(c) {
			return true
		}
	}
	return false
}
