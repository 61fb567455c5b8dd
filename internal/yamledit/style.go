package yamledit

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Style is the layout a document was written in, so that a re-encoded
// document keeps it and its diff stays small.
type Style struct {
	// Indent is the number of spaces a nested mapping is indented by.
	Indent int
	// CompactSeq is true when block sequences under a mapping key start in
	// the key's column ("key:\n- a"), as kubectl and kubeadm write them.
	CompactSeq bool
}

// DetectStyle looks at the first nested mapping and the first block
// sequence under a key in n. What it cannot see is taken from fallback.
func DetectStyle(n *yaml.Node, fallback Style) Style {
	st := fallback
	var indentSeen, seqSeen bool
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || indentSeen && seqSeen {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line {
					switch {
					case v.Kind == yaml.MappingNode && !indentSeen && v.Column > k.Column:
						st.Indent = v.Column - k.Column
						indentSeen = true
					case v.Kind == yaml.SequenceNode && !seqSeen:
						st.CompactSeq = v.Column == k.Column
						seqSeen = true
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	if st.Indent < 2 || st.Indent > 9 {
		st.Indent = 2
	}
	return st
}

// Encode writes n in style st.
func Encode(n *yaml.Node, st Style) (out []byte, err error) {
	// The encoder panics on some node trees it cannot write (for example a
	// mapping with an odd number of children); report those as errors.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("encode yaml: %v", r)
		}
	}()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if st.Indent < 2 || st.Indent > 9 {
		st.Indent = 2
	}
	enc.SetIndent(st.Indent)
	if st.CompactSeq {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode yaml: %w", err)
	}
	return b.Bytes(), nil
}
