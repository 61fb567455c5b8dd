package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Chunk is one document of a YAML stream, kept as raw text. Joining every
// chunk's Sep and Body gives back the stream byte for byte.
type Chunk struct {
	// Sep is the "---" line that opens the chunk, with its line ending; it
	// is empty for the text before the first separator.
	Sep string
	// Body is the text up to the next separator.
	Body string
	// Line is the 1-based line of the file on which Body starts.
	Line int
}

// Split cuts a YAML stream on its "---" lines. It refuses separators that
// carry content on the same line ("--- foo"), because that content would
// then sit outside every body.
func Split(src []byte) ([]Chunk, error) {
	if err := CheckText(src); err != nil {
		return nil, err
	}
	var chunks []Chunk
	cur := Chunk{Line: 1}
	var body strings.Builder
	line := 1
	for rest := string(src); rest != ""; line++ {
		l := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			l = rest[:i+1]
		}
		rest = rest[len(l):]
		sep, err := isSeparator(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if !sep {
			body.WriteString(l)
			continue
		}
		cur.Body = body.String()
		chunks = append(chunks, cur)
		body.Reset()
		cur = Chunk{Sep: l, Line: line + 1}
	}
	cur.Body = body.String()
	chunks = append(chunks, cur)
	return chunks, nil
}

// Join is the inverse of Split.
func Join(chunks []Chunk) []byte {
	var b bytes.Buffer
	for _, c := range chunks {
		b.WriteString(c.Sep)
		b.WriteString(c.Body)
	}
	return b.Bytes()
}

func isSeparator(line string) (bool, error) {
	l := strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(l, "---") {
		return false, nil
	}
	rest := l[3:]
	if rest == "" {
		return true, nil
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return false, nil // e.g. "----" is a plain scalar, not a marker
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" || rest[0] == '#' {
		return true, nil
	}
	return false, fmt.Errorf("content on a document separator line (%q) is not supported; move it to the next line", l)
}

// Empty reports whether a chunk holds no YAML content: only blank lines,
// comments and directives.
func (c Chunk) Empty() bool {
	for _, l := range strings.Split(c.Body, "\n") {
		t := TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == '%' {
			continue
		}
		return false
	}
	return true
}

// Parse parses the chunk's body as exactly one YAML document. Line numbers
// in errors and nodes are those of the whole file.
func (c Chunk) Parse() (*yaml.Node, error) {
	// The body is parsed alone and its line numbers shifted to the file's:
	// prefixing it with newlines instead made a stream of many small
	// documents cost the square of its length (200,000 of them: minutes).
	off := c.Line - 1
	doc, err := ParseOne([]byte(c.Body))
	if off <= 0 {
		return doc, err
	}
	if err != nil {
		return nil, shiftLines(err, off)
	}
	var shift func(n *yaml.Node)
	shift = func(n *yaml.Node) {
		if n.Line > 0 {
			n.Line += off
		}
		for _, k := range n.Content {
			shift(k)
		}
	}
	shift(doc)
	return doc, nil
}

var lineRef = regexp.MustCompile(`\bline (\d+)\b`)

// shiftLines adds off to the line numbers an error of ParseOne names.
func shiftLines(err error, off int) error {
	return errors.New(lineRef.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		return fmt.Sprintf("line %d", n+off)
	}))
}

// Check reads every document of the stream src and decodes it, so that
// what Split cuts apart is known to be valid YAML as a whole (directives
// included) and free of what only decoding finds, like duplicate keys.
func Check(src []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return withLine(err)
		}
		if _, err := Canonical(&doc); err != nil {
			return err
		}
	}
}

// ParseOne parses src, which must hold at most one YAML document. Without
// any, it returns a document node with no content.
func ParseOne(src []byte) (*yaml.Node, error) {
	if err := CheckText(src); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		// Nothing but comments and blank lines.
		return &yaml.Node{Kind: yaml.DocumentNode}, nil
	} else if err != nil {
		return nil, withLine(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("line %d: a second YAML document starts here; only one is expected", next.Line)
	case errors.Is(err, io.EOF):
	default:
		return nil, withLine(err)
	}
	return &doc, nil
}

// withLine adds the line number the parser leaves out for errors on the
// first line (it omits line 0 rather than printing line 1).
func withLine(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "yaml: "); ok && !strings.HasPrefix(rest, "line ") {
		return fmt.Errorf("yaml: line 1: %s", rest)
	}
	return err
}

// EOL returns the line ending text uses: "\r\n" when its first line ends
// that way, "\n" otherwise.
func EOL(text string) string {
	if i := strings.IndexByte(text, '\n'); i > 0 && text[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// CheckText refuses what line-based editing cannot handle faithfully: text
// that is not UTF-8 (such as UTF-16, which YAML also accepts), and a carriage
// return that does not end a "\r\n" line (YAML reads it as a line break,
// line-based editing would not, and the two would disagree about where
// comments end).
func CheckText(src []byte) error {
	if !utf8.Valid(src) {
		return fmt.Errorf("the file is not UTF-8 text; convert it to UTF-8")
	}
	for i, b := range src {
		if b == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			line := 1 + bytes.Count(src[:i], []byte("\n"))
			return fmt.Errorf("line %d: a lone carriage return ends a line; convert the file to \\n or \\r\\n line endings", line)
		}
	}
	return nil
}

// TrimSpace trims what YAML calls white space and line breaks. Unicode
// spaces such as U+2009 are content to YAML, so strings.TrimSpace would make
// a line look blank that YAML reads as a value.
func TrimSpace(s string) string { return strings.Trim(s, " \t\r\n") }
