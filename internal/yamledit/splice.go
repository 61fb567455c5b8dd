package yamledit

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Splice returns the text of the chunk after its document was edited from
// orig into edited by additions only: keys appended to maps, items appended
// to lists, and null values filled in. Only the added text is written in;
// every byte of the chunk stays where it was, comments and layout of the
// sections around the additions included. Re-encoding the document instead
// (Rewrite) moves comments the YAML encoder attaches elsewhere, which
// damages files authstack only adds to, such as a shared dex config.
//
// orig must be the chunk's parsed document (c.Parse). An edit that changes
// or removes anything, or an addition the text cannot take faithfully,
// returns an error wrapping ErrUnfaithful; the result is checked to read
// back as edited.
func (c Chunk) Splice(orig, edited *yaml.Node, st Style) (string, error) {
	if Equal(orig, edited) && sameShape(orig, edited) {
		return c.Body, nil
	}
	s := &splicer{c: c, lines: splitKeep(c.Body), st: st, root: orig}
	if err := s.walk(orig, edited); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnfaithful, err)
	}
	text := s.apply()
	back, err := ParseOne([]byte(strings.Repeat("\n", c.Line-1) + text))
	if err != nil || !Equal(back, edited) {
		return "", ErrUnfaithful
	}
	return text, nil
}

// sameShape tells whether b has every node of a in the same place: Equal
// alone also holds when an empty list became null or a key was added with a
// null value.
func sameShape(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameShape(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// splitKeep splits text into lines that keep their line endings.
func splitKeep(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i+1])
		text = text[i+1:]
	}
	return out
}

type splicer struct {
	c     Chunk
	lines []string
	st    Style
	root  *yaml.Node
	edits []textEdit
}

// textEdit replaces the bytes [from, to) of line with text; line may be
// len(lines), the end of the chunk.
type textEdit struct {
	line, from, to int
	text           string
}

// idx is the index in s.lines of a node's 1-based file line.
func (s *splicer) idx(n *yaml.Node) int { return n.Line - s.c.Line }

// walk finds what edited adds to orig.
func (s *splicer) walk(orig, edited *yaml.Node) error {
	if orig.Kind != edited.Kind {
		return fmt.Errorf("line %d: %s became %s", orig.Line, KindName(orig), KindName(edited))
	}
	switch orig.Kind {
	case yaml.DocumentNode:
		if len(orig.Content) != 1 || len(edited.Content) != 1 {
			return fmt.Errorf("an empty document")
		}
		return s.walk(orig.Content[0], edited.Content[0])
	case yaml.ScalarNode, yaml.AliasNode:
		if orig.Tag != edited.Tag || orig.Value != edited.Value {
			// No values in the message: the scalar may be a secret.
			return fmt.Errorf("line %d: a value was changed", orig.Line)
		}
		return nil
	case yaml.MappingNode:
		if len(edited.Content) < len(orig.Content) {
			return fmt.Errorf("line %d: a key was removed", orig.Line)
		}
		for i := 0; i+1 < len(orig.Content); i += 2 {
			k, v := orig.Content[i], orig.Content[i+1]
			if err := s.walk(k, edited.Content[i]); err != nil {
				return err
			}
			ev := edited.Content[i+1]
			if IsNull(v) && !IsNull(ev) && v.Kind == yaml.ScalarNode {
				if err := s.fillNull(k, v, ev); err != nil {
					return err
				}
				continue
			}
			if err := s.walk(v, ev); err != nil {
				return err
			}
		}
		if extra := edited.Content[len(orig.Content):]; len(extra) > 0 {
			return s.append(orig, &yaml.Node{Kind: yaml.MappingNode, Content: extra})
		}
		return nil
	case yaml.SequenceNode:
		if len(edited.Content) < len(orig.Content) {
			return fmt.Errorf("line %d: an item was removed", orig.Line)
		}
		for i, o := range orig.Content {
			if err := s.walk(o, edited.Content[i]); err != nil {
				return err
			}
		}
		if extra := edited.Content[len(orig.Content):]; len(extra) > 0 {
			return s.append(orig, &yaml.Node{Kind: yaml.SequenceNode, Content: extra})
		}
		return nil
	}
	return fmt.Errorf("line %d: unexpected %s", orig.Line, KindName(orig))
}

// append writes the entries of extra (a map's pairs or a list's items) at
// the end of collection n.
func (s *splicer) append(n, extra *yaml.Node) error {
	if n.Style&yaml.FlowStyle != 0 {
		if len(n.Content) == 0 {
			// "key: {}" or "key: []" becomes a block collection under the key.
			return s.replaceEmptyFlow(n, extra)
		}
		return s.appendFlow(n, extra)
	}
	text, err := s.block(extra, n.Column-1)
	if err != nil {
		return err
	}
	s.edits = append(s.edits, textEdit{line: s.end(n) + 1, text: text})
	return nil
}

// block encodes extra as block lines whose first column is col.
func (s *splicer) block(extra *yaml.Node, col int) (string, error) {
	out, err := Encode(uncommented(extra), s.st)
	if err != nil {
		return "", err
	}
	pad := strings.Repeat(" ", col)
	eol := EOL(s.c.Body)
	var b strings.Builder
	for _, l := range splitKeep(string(out)) {
		l = strings.TrimSuffix(l, "\n")
		if l != "" {
			b.WriteString(pad)
		}
		b.WriteString(l)
		b.WriteString(eol)
	}
	return b.String(), nil
}

// childCol is the column at which the entries of a block collection under a
// key at column keyCol start.
func (s *splicer) childCol(keyCol int, kind yaml.Kind) int {
	if kind == yaml.SequenceNode && s.st.CompactSeq {
		return keyCol
	}
	return keyCol + s.st.Indent
}

// fillNull writes value where key k has a null (empty, ~ or null) on its
// own line.
func (s *splicer) fillNull(k, null, value *yaml.Node) error {
	if null.Line != k.Line {
		return fmt.Errorf("line %d: a null value on a line of its own", null.Line)
	}
	i := s.idx(null)
	from := null.Column - 1
	to := from + len(null.Value)
	if line := s.lines[i]; to > len(line) || line[from:to] != null.Value {
		return fmt.Errorf("line %d: cannot find the value of %s", null.Line, k.Value)
	}
	if value.Kind == yaml.ScalarNode || value.Style&yaml.FlowStyle != 0 || len(value.Content) == 0 {
		// What fits on the key's line goes there: a scalar, or a flow
		// collection as the edit has it.
		out, err := Encode(uncommented(value), s.st)
		if err != nil {
			return err
		}
		text := strings.TrimSuffix(string(out), "\n")
		if strings.Contains(text, "\n") {
			return fmt.Errorf("line %d: a value of several lines", null.Line)
		}
		if null.Value == "" {
			text = " " + text
		}
		s.edits = append(s.edits, textEdit{line: i, from: from, to: to, text: text})
		return nil
	}
	// Drop the null token (and the blank before it); the block goes on the
	// next lines, a comment after the key stays on its line.
	line := s.lines[i]
	start := from
	for start > 0 && (line[start-1] == ' ' || line[start-1] == '\t') && null.Value != "" {
		start--
	}
	s.edits = append(s.edits, textEdit{line: i, from: start, to: to})
	text, err := s.block(value, s.childCol(k.Column-1, value.Kind))
	if err != nil {
		return err
	}
	s.edits = append(s.edits, textEdit{line: i + 1, text: text})
	return nil
}

// replaceEmptyFlow turns "key: {}" or "key: []" into a block collection
// holding extra.
func (s *splicer) replaceEmptyFlow(n, extra *yaml.Node) error {
	key := s.keyOf(n)
	if key == nil || key.Line != n.Line {
		return fmt.Errorf("line %d: an empty flow collection that is not the value of a key on its line", n.Line)
	}
	i := s.idx(n)
	line := s.lines[i]
	from := n.Column - 1
	closing := byte(']')
	if n.Kind == yaml.MappingNode {
		closing = '}'
	}
	to := from + 1
	for to < len(line) && (line[to] == ' ' || line[to] == '\t') {
		to++
	}
	if to >= len(line) || line[to] != closing {
		return fmt.Errorf("line %d: an empty flow collection over several lines", n.Line)
	}
	to++
	start := from
	for start > 0 && (line[start-1] == ' ' || line[start-1] == '\t') {
		start--
	}
	s.edits = append(s.edits, textEdit{line: i, from: start, to: to})
	text, err := s.block(extra, s.childCol(key.Column-1, n.Kind))
	if err != nil {
		return err
	}
	s.edits = append(s.edits, textEdit{line: i + 1, text: text})
	return nil
}

// appendFlow writes extra's entries before the bracket closing the
// non-empty flow collection n, in flow style.
func (s *splicer) appendFlow(n, extra *yaml.Node) error {
	li, col, err := s.flowEnd(n)
	if err != nil {
		return err
	}
	wrap := &yaml.Node{Kind: extra.Kind, Style: yaml.FlowStyle, Content: extra.Content}
	out, err := Encode(uncommented(wrap), s.st)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(string(out))
	text = text[1 : len(text)-1]
	if strings.Contains(text, "\n") {
		return fmt.Errorf("line %d: flow entries of several lines", n.Line)
	}
	// The entry goes after the last one, before any blank or line break.
	for col == 0 && li > 0 {
		li--
		col = len(strings.TrimRight(s.lines[li], "\r\n"))
	}
	line := s.lines[li]
	at := col
	for at > 0 && (line[at-1] == ' ' || line[at-1] == '\t') {
		at--
	}
	if at > 0 && line[at-1] == ',' {
		text = " " + text
	} else {
		text = ", " + text
	}
	s.edits = append(s.edits, textEdit{line: li, from: at, to: at, text: text})
	return nil
}

// flowEnd finds the bracket that closes flow collection n.
func (s *splicer) flowEnd(n *yaml.Node) (int, int, error) {
	depth := 0
	var quote byte
	for li, col := s.idx(n), n.Column-1; li < len(s.lines); li, col = li+1, 0 {
		line := s.lines[li]
		for ; col < len(line); col++ {
			ch := line[col]
			switch {
			case quote == '\'':
				if ch == '\'' {
					if col+1 < len(line) && line[col+1] == '\'' {
						col++
					} else {
						quote = 0
					}
				}
			case quote == '"':
				if ch == '\\' {
					col++
				} else if ch == '"' {
					quote = 0
				}
			case ch == '\'' || ch == '"':
				quote = ch
			case ch == '#' && (col == 0 || line[col-1] == ' ' || line[col-1] == '\t'):
				col = len(line)
			case ch == '[' || ch == '{':
				depth++
			case ch == ']' || ch == '}':
				depth--
				if depth == 0 {
					return li, col, nil
				}
			}
		}
	}
	return 0, 0, fmt.Errorf("line %d: the flow collection does not end", n.Line)
}

// keyOf is the key whose value is n, or nil.
func (s *splicer) keyOf(n *yaml.Node) *yaml.Node {
	var found *yaml.Node
	var walk func(*yaml.Node)
	walk = func(p *yaml.Node) {
		if found != nil {
			return
		}
		if p.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(p.Content); i += 2 {
				if p.Content[i+1] == n {
					found = p.Content[i]
					return
				}
			}
		}
		for _, c := range p.Content {
			walk(c)
		}
	}
	walk(s.root)
	return found
}

// end is the index of the last line that holds text of block collection n:
// comments and blank lines after its last entry are left out, so that what
// is appended comes right after that entry and every comment keeps its
// place and its neighbours.
func (s *splicer) end(n *yaml.Node) int {
	last := n
	var parent *yaml.Node
	for len(last.Content) > 0 {
		parent = last
		last = last.Content[len(last.Content)-1]
	}
	next := len(s.lines)
	if nx := s.nextAfter(n); nx != nil {
		next = s.idx(nx)
	}
	end := s.idx(last)
	// A block or quoted scalar's lines are those indented past its
	// parent, whatever they start with; elsewhere a line starting with #
	// is a comment.
	scalarText := last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	parentCol := 0
	if parent != nil {
		parentCol = parent.Column - 1
	}
	for i := end + 1; i < next && i < len(s.lines); i++ {
		t := TrimSpace(s.lines[i])
		if t == "..." && strings.HasPrefix(s.lines[i], "...") {
			break // the document's end marker
		}
		if t == "" {
			continue
		}
		ind := len(s.lines[i]) - len(strings.TrimLeft(s.lines[i], " "))
		if scalarText && ind > parentCol || t[0] != '#' {
			end = i
		}
	}
	return end
}

// nextAfter is the first node after n's subtree in document order.
func (s *splicer) nextAfter(n *yaml.Node) *yaml.Node {
	var order []*yaml.Node
	skipTo := -1
	var walk func(*yaml.Node)
	walk = func(p *yaml.Node) {
		if p.Kind != yaml.DocumentNode {
			order = append(order, p)
		}
		for _, c := range p.Content {
			walk(c)
		}
		if p == n {
			skipTo = len(order)
		}
	}
	walk(s.root)
	if skipTo >= 0 && skipTo < len(order) {
		return order[skipTo]
	}
	return nil
}

// apply writes the edits into the chunk's lines, later ones first so that
// earlier offsets stay valid; edits at the same place keep their order.
func (s *splicer) apply() string {
	lines := append([]string(nil), s.lines...)
	eol := EOL(s.c.Body)
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		// Text appended after a last line without a line break needs one.
		for _, e := range s.edits {
			if e.line == n {
				lines[n-1] += eol
				break
			}
		}
	}
	idx := make([]int, len(s.edits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ea, eb := s.edits[idx[a]], s.edits[idx[b]]
		if ea.line != eb.line {
			return ea.line > eb.line
		}
		return ea.from > eb.from
	})
	inserts := map[int]string{}
	for _, i := range idx {
		e := s.edits[i]
		if e.line == len(lines) || !s.inLine(e) {
			inserts[e.line] += e.text
			continue
		}
		l := lines[e.line]
		lines[e.line] = l[:e.from] + e.text + l[e.to:]
	}
	var b strings.Builder
	for i := 0; i <= len(lines); i++ {
		b.WriteString(inserts[i])
		if i < len(lines) {
			b.WriteString(lines[i])
		}
	}
	return b.String()
}

// inLine tells an edit within a line from the insertion of whole lines
// before it.
func (s *splicer) inLine(e textEdit) bool {
	return e.from != 0 || e.to != 0 || !strings.HasSuffix(e.text, "\n")
}

// uncommented is a copy of n without comments: those of added nodes belong
// to the layout of the text they were read from (whose comments may sit at
// other columns), not to the one they are written into.
func uncommented(n *yaml.Node) *yaml.Node {
	c := Copy(n)
	var strip func(*yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, ch := range n.Content {
			strip(ch)
		}
	}
	strip(c)
	return c
}
