package kubespray

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
)

// Var is one top-level Ansible variable to set. Value is a string, bool,
// number, []string, or structured data ([]any, map[string]any, or a struct
// with json tags such as a Kubernetes API type); it is written as YAML that
// Ansible reads back as the same value.
type Var struct {
	Name  string
	Value any
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Patch sets vars, in order, in the group_vars file src:
//
//   - a variable already set at the top level gets its value replaced (the
//     whole block for a multi-line value); one already holding the value is
//     left exactly as written;
//   - otherwise a commented-out "# name: ..." line, as in kubespray's sample
//     inventory, is uncommented in place; when it introduces a commented
//     multi-line example value, those example lines are replaced too;
//   - otherwise the variable is added after the last line Patch wrote, or at
//     the end of the file.
//
// Every other byte of src is kept. Patching an output again with the same
// vars returns it unchanged.
func Patch(src []byte, vars []Var) ([]byte, error) {
	want := make([]wanted, len(vars))
	for i, v := range vars {
		if !varName.MatchString(v.Name) {
			return nil, fmt.Errorf("kubespray vars: %q is not a valid Ansible variable name", v.Name)
		}
		n, err := valueNode(v.Value)
		if err != nil {
			return nil, fmt.Errorf("kubespray vars: %s: %w", v.Name, err)
		}
		want[i] = wanted{name: v.Name, value: n}
	}

	f, err := analyze(string(src))
	if err != nil {
		return nil, fmt.Errorf("kubespray vars: %w", err)
	}
	// Decoding checks what the node parser lets through, such as a key
	// defined twice; it is also what the result is verified against.
	if _, err := yamledit.Canonical(f.root); err != nil {
		return nil, fmt.Errorf("kubespray vars: %w", err)
	}
	orig := f.root
	st := yamledit.DetectStyle(f.root, yamledit.Style{Indent: 2})
	eol := yamledit.EOL(string(src))

	lines := f.lines
	last := -1 // index of the last line Patch wrote or kept
	for _, w := range want {
		if f, err = analyze(strings.Join(lines, "")); err != nil {
			return nil, fmt.Errorf("kubespray vars: %s: the layout of this file is not supported (%w); set the variables by hand", w.name, err)
		}
		k, err := f.active(w.name)
		if err != nil {
			return nil, err
		}
		if k != nil {
			if yamledit.Equal(k.value, w.value) {
				last = k.end
				continue
			}
			if a := anchorIn(k.key, k.value); a != nil {
				return nil, fmt.Errorf("kubespray vars: line %d: %s: its value defines the anchor &%s, which other variables may refer to; set it by hand", a.Line, w.name, a.Anchor)
			}
			repl, err := render(w, st, eol, trailingComment(f.text(k.start)))
			if err != nil {
				return nil, err
			}
			lines = splice(lines, k.start, k.end+1, repl)
			last = k.start + len(repl) - 1
			continue
		}
		if c := f.commented(w.name); c != nil {
			repl, err := render(w, st, eol, trailingComment(c.uncommented))
			if err != nil {
				return nil, err
			}
			lines = splice(lines, c.start, c.end+1, repl)
			last = c.start + len(repl) - 1
			continue
		}
		repl, err := render(w, st, eol, "")
		if err != nil {
			return nil, err
		}
		at := f.docEnd
		if last >= 0 {
			at = last + 1
		}
		if at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
			lines[at-1] += eol
		}
		lines = splice(lines, at, at, repl)
		last = at + len(repl) - 1
	}

	out := strings.Join(lines, "")
	if err := verify(orig, out, want); err != nil {
		return nil, err
	}
	return []byte(out), nil
}

type wanted struct {
	name  string
	value *yaml.Node
}

// verify re-reads the result and checks that it holds the original data
// with exactly the wanted variables changed. It guards the line editing
// against YAML layouts it does not understand.
func verify(orig *yaml.Node, out string, want []wanted) error {
	f, err := analyze(out)
	if err != nil {
		return fmt.Errorf("kubespray vars: the patched file would not be valid (%v); set the variables by hand", err)
	}
	expect := &yaml.Node{Kind: yaml.MappingNode}
	if orig != nil {
		expect = yamledit.Copy(orig)
	}
	for _, w := range want {
		yamledit.Set(expect, w.name, w.value)
	}
	if !yamledit.Equal(expect, f.root) {
		return fmt.Errorf("kubespray vars: the layout of this file is not supported: patching it would change other variables; set the variables by hand")
	}
	return nil
}

// valueNode turns a Go value into YAML nodes. It goes through JSON so that
// structs are written with their json tag names, as Kubernetes types expect,
// and in field order.
func valueNode(v any) (*yaml.Node, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("value cannot be written as YAML: %w", err)
	}
	doc, err := yamledit.ParseOne(buf.Bytes())
	if err != nil || len(doc.Content) != 1 {
		return nil, fmt.Errorf("value cannot be written as YAML: %v", err)
	}
	n := doc.Content[0]
	blockStyle(n)
	return n, nil
}

// blockStyle drops the JSON look (flow collections, double quotes) so the
// encoder writes block YAML and quotes a string only where YAML needs it.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		n.Tag = "!!str"
	}
	n.Style = 0
	yamledit.Quote11(n)
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// render writes "name: value" as lines ending in eol, with comment (which
// starts with its separating blanks) kept at the end of the first line.
func render(w wanted, st yamledit.Style, eol, comment string) ([]string, error) {
	key := yamledit.String(w.name)
	m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{key, yamledit.Copy(w.value)}}
	out, err := yamledit.Encode(m, st)
	if err != nil {
		return nil, fmt.Errorf("kubespray vars: %s: %w", w.name, err)
	}
	ls := strings.SplitAfter(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\n") + eol
	}
	if comment != "" {
		ls[0] = strings.TrimSuffix(ls[0], eol) + comment + eol
	}
	return ls, nil
}

// trailingComment returns the comment at the end of a "name: value" line,
// with the blanks before it, or "" when there is none or the line does not
// parse on its own.
func trailingComment(line string) string {
	doc, err := yamledit.ParseOne([]byte(line))
	if err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) < 2 {
		return ""
	}
	k, v := doc.Content[0].Content[0], doc.Content[0].Content[1]
	c := v.LineComment
	if c == "" {
		c = k.LineComment
	}
	if c == "" || strings.Contains(c, "\n") {
		return ""
	}
	i := strings.LastIndex(line, c)
	if i <= 0 {
		return ""
	}
	j := i
	for j > 0 && (line[j-1] == ' ' || line[j-1] == '\t') {
		j--
	}
	if j == i {
		return ""
	}
	return line[j:i] + c
}

// anchorIn returns the first node under the given nodes that defines an
// anchor, or nil.
func anchorIn(ns ...*yaml.Node) *yaml.Node {
	for _, n := range ns {
		if n == nil {
			continue
		}
		if n.Anchor != "" {
			return n
		}
		if a := anchorIn(n.Content...); a != nil {
			return a
		}
	}
	return nil
}

func splice(lines []string, from, to int, repl []string) []string {
	out := make([]string, 0, len(lines)-(to-from)+len(repl))
	out = append(out, lines[:from]...)
	out = append(out, repl...)
	return append(out, lines[to:]...)
}
