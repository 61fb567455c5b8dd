package yamledit

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestSplitJoinKeepsEveryByte(t *testing.T) {
	for _, src := range []string{
		"",
		"a: 1",
		"---\na: 1\n---\nb: 2\n",
		"# c\n--- # first\na: 1\n...\n---\r\nb: 2\r\n",
		"a: |\n  ---x\n----\n",
	} {
		chunks, err := Split([]byte(src))
		if err != nil {
			t.Fatalf("Split(%q): %v", src, err)
		}
		if got := string(Join(chunks)); got != src {
			t.Errorf("Join(Split(%q)) = %q", src, got)
		}
	}
}

func TestSplitNumbersBodyLines(t *testing.T) {
	chunks, err := Split([]byte("a: 1\n---\nb: [\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 2 || chunks[1].Line != 3 {
		t.Fatalf("chunks = %+v", chunks)
	}
	if _, err := chunks[1].Parse(); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v does not name the file's line 3", err)
	}
}

func TestRestoreBlankLines(t *testing.T) {
	tests := []struct {
		name, orig, out, want string
	}{
		{"between kept lines", "a: 1\n\nb: 2\n", "a: 1\nb: 2\n", "a: 1\n\nb: 2\n"},
		{"after a changed line, before a kept one", "a: 1\n\n\nb: 2\n", "a: 9\nb: 2\n", "a: 9\n\n\nb: 2\n"},
		{"at the end", "a: 1\n\n", "a: 1\nc: 3\n", "a: 1\nc: 3\n\n"},
		{"not twice", "a: 1\n\nb: 2\n", "a: 1\n\nb: 2\n", "a: 1\n\nb: 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RestoreBlankLines(tt.orig, tt.out); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDetectStyle(t *testing.T) {
	tests := []struct {
		src  string
		want Style
	}{
		{"a:\n- x\nb:\n  c: 1\n", Style{Indent: 2, CompactSeq: true}},
		{"a:\n    - x\nb:\n    c: 1\n", Style{Indent: 4, CompactSeq: false}},
		{"a: 1\n", Style{Indent: 2, CompactSeq: true}},
	}
	for _, tt := range tests {
		doc, err := ParseOne([]byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := DetectStyle(doc, Style{Indent: 2, CompactSeq: true}); got != tt.want {
			t.Errorf("DetectStyle(%q) = %+v, want %+v", tt.src, got, tt.want)
		}
	}
}

func TestStringQuotesWhatYAML11Misreads(t *testing.T) {
	for s, want := range map[string]string{
		"yes": "k: \"yes\"\n", "Off": "k: \"Off\"\n", "1:20": "k: \"1:20\"\n", "true": "k: \"true\"\n",
		"oidc:": "k: 'oidc:'\n", "plain": "k: plain\n", "y": "k: \"y\"\n",
	} {
		out, err := Encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{String("k"), String(s)}}, Style{})
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != want {
			t.Errorf("String(%q) encodes as %q, want %q", s, out, want)
		}
	}
}

func TestCopyPointsAliasesAtCopiedAnchors(t *testing.T) {
	doc, err := ParseOne([]byte("a: &x [1]\nb: *x\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := Copy(doc)
	anchor, alias := c.Content[0].Content[1], c.Content[0].Content[3]
	if alias.Alias != anchor {
		t.Fatalf("alias points to %p, want the copied anchor %p", alias.Alias, anchor)
	}
	anchor.Content[0].Value = "2"
	got, err := Canonical(c)
	if err != nil {
		t.Fatal(err)
	}
	if got != "a:\n    - 2\nb:\n    - 2\n" {
		t.Errorf("Canonical = %q", got)
	}
}

func TestCheckFindsWhatNodeParsingMisses(t *testing.T) {
	for src, want := range map[string]string{
		"a: 1\na: 2\n":     "already defined",
		"%\n":              "directive",
		"a: 1\n---\n- [\n": "line",
		"x: &a [*a]\n":     "anchor",
	} {
		if err := Check([]byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%q) = %v, want an error containing %q", src, err, want)
		}
	}
	if err := Check([]byte("%YAML 1.1\n---\na: 1\n---\nb: 2\n")); err != nil {
		t.Errorf("Check of a valid stream: %v", err)
	}
}

func TestCheckTextRefusesWhatLineEditingCannotKeep(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want string
	}{
		{"a: 1\r\nb: 2\r\n", ""},
		{"\xef\xbb\xbfa: 1\n", ""},
		{"\xfe\xff", "not UTF-8"},
		{"a: 1\rb: 2\n", "line 1: a lone carriage return"},
		{"a: 1\nb: 2\r", "line 2: a lone carriage return"},
	} {
		err := CheckText([]byte(tt.src))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckText(%q) = %v, want nil", tt.src, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckText(%q) = %v, want %q", tt.src, err, tt.want)
		}
	}
}
