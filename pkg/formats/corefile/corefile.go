package corefile

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Corefile is a parsed Corefile.
type Corefile struct {
	Servers []Server
}

// Server is a server block: the zones and ports it serves, and its plugins.
type Server struct {
	Keys    []string
	Plugins []Plugin
	// Line of the keys; Open and Close are the byte offsets of the braces.
	Line        int
	Open, Close int
}

// Plugin is one directive of a server block, with its arguments (those of
// a nested block included).
type Plugin struct {
	Name string
	Args []string
	Line int
}

type token struct {
	text      string
	line, off int
	quoted    bool
}

// tokens splits a Corefile the way CoreDNS's Caddyfile lexer does: words
// separated by blanks, "quoted" words, # comments to the end of the line,
// and { } as their own tokens.
func tokens(data []byte) ([]token, error) {
	var out []token
	line := 1
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == '"':
			start, startLine := i, line
			i++
			var b strings.Builder
			for ; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' && i+1 < len(data) {
					i++
				}
				if data[i] == '\n' {
					line++
				}
				b.WriteByte(data[i])
			}
			if i == len(data) {
				return nil, fmt.Errorf("line %d: unterminated quote", startLine)
			}
			i++
			out = append(out, token{b.String(), startLine, start, true})
		default:
			start := i
			for i < len(data) && !strings.ContainsRune(" \t\r\n#\"", rune(data[i])) {
				i++
			}
			out = append(out, token{string(data[start:i]), line, start, false})
		}
	}
	return out, nil
}

// Parse parses a Corefile. Snippets and env substitutions are kept as
// plain words; import is a plugin like any other.
func Parse(data []byte) (*Corefile, error) {
	toks, err := tokens(data)
	if err != nil {
		return nil, err
	}
	cf := &Corefile{}
	for i := 0; i < len(toks); {
		srv := Server{Line: toks[i].line}
		for i < len(toks) && (toks[i].quoted || toks[i].text != "{") {
			if toks[i].text == "}" && !toks[i].quoted {
				return nil, fmt.Errorf("line %d: } without {", toks[i].line)
			}
			srv.Keys = append(srv.Keys, strings.TrimSuffix(toks[i].text, ","))
			i++
		}
		if i == len(toks) {
			return nil, fmt.Errorf("line %d: server block %s has no {", srv.Line, strings.Join(srv.Keys, " "))
		}
		srv.Open = toks[i].off
		i++
		depth := 1
		for depth > 0 {
			if i == len(toks) {
				return nil, fmt.Errorf("line %d: server block %s is not closed", srv.Line, strings.Join(srv.Keys, " "))
			}
			t := toks[i]
			switch {
			case t.quoted:
			case t.text == "{":
				depth++
			case t.text == "}":
				depth--
				if depth == 0 {
					srv.Close = t.off
					i++
					continue
				}
			}
			if depth == 1 && !isBrace(t) && startsLine(toks, i) {
				srv.Plugins = append(srv.Plugins, Plugin{Name: t.text, Line: t.line})
			} else if n := len(srv.Plugins); n > 0 && !isBrace(t) {
				srv.Plugins[n-1].Args = append(srv.Plugins[n-1].Args, t.text)
			}
			i++
		}
		cf.Servers = append(cf.Servers, srv)
	}
	return cf, nil
}

func isBrace(t token) bool { return !t.quoted && (t.text == "{" || t.text == "}") }

// startsLine reports whether token i is the first on its line.
func startsLine(toks []token, i int) bool { return i == 0 || toks[i-1].line != toks[i].line }

// Root returns the server block that answers the cluster's pods: the root
// zone on port 53 (".", ".:53", "dns://.:53"). More than one, or none, is
// an error: authstack cannot tell which one to change.
func (cf *Corefile) Root() (*Server, error) {
	var found []*Server
	for i := range cf.Servers {
		s := &cf.Servers[i]
		if slices.ContainsFunc(s.Keys, isRootKey) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no server block for the root zone on port 53 (such as .:53 { ... })")
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d server blocks for the root zone on port 53 (lines %d and %d)", len(found), found[0].Line, found[1].Line)
}

func isRootKey(k string) bool {
	k = strings.TrimPrefix(k, "dns://")
	return k == "." || k == ".:53"
}

// Rewrite is an exact name rewrite: queries for From are answered as for
// To, under the name From (CoreDNS's rewrite plugin reverts the answer of
// an exact rule itself: plugin/rewrite/README.md, "When using exact name
// rewrite rules, the answer gets rewritten automatically").
type Rewrite struct {
	From, To string
}

// Print prints the rewrite block owned by owner, indented for a server
// block.
func Print(owner string, rules []Rewrite) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    # %s begin: managed by authstack, edits here are replaced\n", marker(owner))
	for _, r := range rules {
		fmt.Fprintf(&b, "    rewrite name exact %s %s\n", r.From, r.To)
	}
	fmt.Fprintf(&b, "    # %s end\n", marker(owner))
	return b.String()
}

func marker(owner string) string { return "authstack:" + owner }

// EditRewrites puts owner's rewrite block into the root server block, just
// after its {, replacing owner's earlier block, and leaves every other byte
// as it is. It refuses a Corefile whose root block it cannot find, and one
// where a rule of someone else's already rewrites a name of rules: which of
// the two CoreDNS applies depends on their order, and theirs would win.
func EditRewrites(data []byte, owner string, rules []Rewrite) ([]byte, error) {
	begin, end := "# "+marker(owner)+" begin", "# "+marker(owner)+" end"
	// Drop owner's earlier block, whole lines, before parsing what is left.
	if b := bytes.Index(data, []byte(begin)); b >= 0 {
		e := bytes.Index(data[b:], []byte(end))
		if e < 0 {
			return nil, fmt.Errorf("%q without %q: restore the block or delete it", begin, end)
		}
		start := bytes.LastIndexByte(data[:b], '\n') + 1
		stop := b + e + len(end)
		if nl := bytes.IndexByte(data[stop:], '\n'); nl >= 0 {
			stop += nl + 1
		} else {
			stop = len(data)
		}
		data = append(append([]byte{}, data[:start]...), data[stop:]...)
	}
	cf, err := Parse(data)
	if err != nil {
		return nil, err
	}
	root, err := cf.Root()
	if err != nil {
		return nil, err
	}
	for _, p := range root.Plugins {
		if p.Name != "rewrite" {
			continue
		}
		for _, r := range rules {
			if slices.Contains(p.Args, r.From) || slices.Contains(p.Args, r.From+".") {
				return nil, fmt.Errorf("line %d: a rewrite rule of its own already names %s; remove it, or leave the Corefile to you and skip the rewrite", p.Line, r.From)
			}
		}
	}
	if len(rules) == 0 {
		return data, nil
	}
	at := root.Open + 1
	if nl := bytes.IndexByte(data[at:], '\n'); nl >= 0 && len(bytes.TrimSpace(data[at:at+nl])) == 0 {
		at += nl + 1
	} else {
		return nil, fmt.Errorf("line %d: the root server block's { is not at the end of its line", root.Line)
	}
	out := make([]byte, 0, len(data)+256)
	out = append(out, data[:at]...)
	out = append(out, Print(owner, rules)...)
	return append(out, data[at:]...), nil
}
