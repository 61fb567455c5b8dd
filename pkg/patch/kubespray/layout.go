package kubespray

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
)

// layout maps a group_vars file's top-level variables to the lines that
// hold them. Line indexes are 0-based; lines keep their line endings.
type layout struct {
	lines []string
	root  *yaml.Node // the top-level mapping; nil for a file without content
	keys  []topKey
	// Variables may live in lines[docStart:docEnd]: after a leading "---"
	// and before a closing "...".
	docStart, docEnd int
}

// topKey is a top-level "name: value" and the lines [start, end] it spans,
// without the comments and blank lines that follow it.
type topKey struct {
	key, value *yaml.Node
	start, end int
}

// commentedKey is a "# name: value" line, plus the commented lines of a
// multi-line example value under it, in lines [start, end].
type commentedKey struct {
	start, end  int
	uncommented string // the first line without its "#"
}

// analyze parses text and locates its variables. Its errors do not carry
// the package's prefix; callers add it.
func analyze(text string) (*layout, error) {
	doc, err := yamledit.ParseOne([]byte(text))
	if err != nil {
		return nil, err
	}
	f := &layout{lines: strings.SplitAfter(text, "\n")}
	if f.lines[len(f.lines)-1] == "" {
		f.lines = f.lines[:len(f.lines)-1]
	}
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		switch {
		case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "":
			// "---" alone: a document that is still empty.
		case root.Kind != yaml.MappingNode:
			return nil, fmt.Errorf("line %d: the file holds %s, expected a map of variables", root.Line, yamledit.KindName(root))
		case root.Style&yaml.FlowStyle != 0:
			return nil, fmt.Errorf("line %d: the variables are written as a flow map ({...}); expected one variable per line", root.Line)
		default:
			f.root = root
		}
	}

	for i, l := range f.lines {
		t := yamledit.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == '%' {
			continue
		}
		if t == "---" || strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "---\t") {
			f.docStart = i + 1
		}
		break
	}
	f.docEnd = len(f.lines)
	from := f.docStart
	if f.root != nil {
		for i := 0; i+1 < len(f.root.Content); i += 2 {
			k := f.root.Content[i]
			f.keys = append(f.keys, topKey{key: k, value: f.root.Content[i+1], start: k.Line - 1})
		}
		if n := len(f.keys); n > 0 {
			from = f.keys[n-1].start + 1
		}
	}
	for i := from; i < len(f.lines); i++ {
		if l := strings.TrimRight(f.lines[i], "\r\n"); l == "..." || strings.HasPrefix(l, "... ") {
			f.docEnd = i
			break
		}
	}
	for i := range f.keys {
		next := f.docEnd
		if i+1 < len(f.keys) {
			next = f.keys[i+1].start
		}
		end := next - 1
		for end > f.keys[i].start && f.trailer(end) {
			end--
		}
		if end < f.keys[i].start {
			return nil, fmt.Errorf("line %d: keys out of order", f.keys[i].key.Line)
		}
		f.keys[i].end = end
	}
	return f, nil
}

// trailer reports whether line i can end a value block's surroundings
// rather than its content: blank, or a comment in the first column.
func (f *layout) trailer(i int) bool {
	l := f.lines[i]
	return yamledit.TrimSpace(l) == "" || l[0] == '#'
}

func (f *layout) text(i int) string { return strings.TrimRight(f.lines[i], "\r\n") }

// active returns the top-level definition of name, or nil.
func (f *layout) active(name string) (*topKey, error) {
	var found *topKey
	for i := range f.keys {
		k := &f.keys[i]
		if k.key.Kind != yaml.ScalarNode || k.key.Value != name {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("kubespray vars: %s is defined twice (lines %d and %d); keep one", name, found.key.Line, k.key.Line)
		}
		if k.key.Column != 1 {
			return nil, fmt.Errorf("kubespray vars: line %d: %s does not start the line; expected top-level variables in column 1", k.key.Line, name)
		}
		found = k
	}
	return found, nil
}

// commented returns the first commented-out top-level definition of name
// that sits between variables (not inside one's value), or nil.
func (f *layout) commented(name string) *commentedKey {
	re := regexp.MustCompile(`^#( ?)` + regexp.QuoteMeta(name) + `:(?:[ \t](.*))?$`)
	for i := f.docStart; i < f.docEnd; i++ {
		m := re.FindStringSubmatch(f.text(i))
		if m == nil || f.insideValue(i) {
			continue
		}
		c := &commentedKey{start: i, end: i, uncommented: strings.TrimPrefix(f.text(i), "#"+m[1])}
		if v := yamledit.TrimSpace(m[2]); v == "" || v[0] == '|' || v[0] == '>' || v[0] == '#' {
			indent := len(m[1])
			for j := i + 1; j < f.docEnd; j++ {
				l := f.text(j)
				if !strings.HasPrefix(l, "#") {
					break
				}
				body := strings.TrimLeft(l[1:], " ")
				sp := len(l) - 1 - len(body)
				if body == "" || body[0] == '#' {
					break
				}
				if sp > indent || sp == indent && (body == "-" || strings.HasPrefix(body, "- ")) {
					c.end = j
					continue
				}
				break
			}
		}
		return c
	}
	return nil
}

func (f *layout) insideValue(i int) bool {
	for _, k := range f.keys {
		if i >= k.start && i <= k.end {
			return true
		}
	}
	return false
}
