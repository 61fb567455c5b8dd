package yamledit

import (
	"errors"
	"testing"
)

// spliceTo splices into src the additions that make it read as want: when
// want is src with text added only, Splice must return want byte for byte.
func spliceTo(t *testing.T, src, want string) (string, error) {
	t.Helper()
	chunks, err := Split([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := chunks[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	edited, err := ParseOne([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	return chunks[0].Splice(orig, edited, DetectStyle(orig, Style{Indent: 2, CompactSeq: true}))
}

func TestSpliceWritesOnlyTheAddedText(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"an item after the last one, before the comments that follow it",
			"list:\n- a: 1\n  b: 2\n#- a: 3\n#  b: 4\n\nnext: x\n",
			"list:\n- a: 1\n  b: 2\n- a: 5\n#- a: 3\n#  b: 4\n\nnext: x\n"},
		{"a key in a nested map indented by four",
			"top:\n    # why\n    one: 1\n        # indented comment\nother: 2\n",
			"top:\n    # why\n    one: 1\n    two: 2\n        # indented comment\nother: 2\n"},
		{"items into a non-compact list and a key after it",
			"k:\n  - x\n  # c\n",
			"k:\n  - x\n  - y\nz: 1\n  # c\n"},
		{"inner additions before outer ones on the same line",
			"clients:\n- id: a\n  uris:\n  - u\n",
			"clients:\n- id: a\n  uris:\n  - u\n  - v\n- id: b\n"},
		{"a flow list keeps its style",
			"uris: [a, 'b'] # mine\n",
			"uris: [a, 'b', c] # mine\n"},
		{"a flow list over lines",
			"uris: [\n  a,\n  b,\n]\n",
			"uris: [\n  a,\n  b, c\n]\n"},
		{"an empty flow map becomes a block under its key",
			"# values\nconfig: {} # see docs\nnext: 1\n",
			"# values\nconfig: # see docs\n  issuer: x\nnext: 1\n"},
		{"an empty value is filled in",
			"issuer:\nweb: {}\n",
			"issuer: https://a\nweb: {}\n"},
		{"a null list becomes a block",
			"clients: ~ # none yet\n",
			"clients: # none yet\n- id: a\n"},
		{"a block scalar's lines that look like comments stay in it",
			"a:\n  s: |\n    # not a comment\n  # a comment\nb: 1\n",
			"a:\n  s: |\n    # not a comment\n  t: 2\n  # a comment\nb: 1\n"},
		{"CRLF and no final line break",
			"a:\r\n- x\r\nb: 1",
			"a:\r\n- x\r\nb: 1\r\nc: 2\r\n"},
		{"unchanged", "a: 1 # c\n", "a: 1 # c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := spliceTo(t, tt.src, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestSpliceRefusesWhatIsNotAnAddition(t *testing.T) {
	for _, tt := range []struct{ src, edited string }{
		{"a: 1\n", "a: 2\n"},
		{"a: 1\nb: 2\n", "a: 1\n"},
		{"l: [a, b]\n", "l: [b, a]\n"},
		{"a: {x: 1}\n", "a: [x]\n"},
	} {
		if got, err := spliceTo(t, tt.src, tt.edited); !errors.Is(err, ErrUnfaithful) {
			t.Errorf("Splice(%q into %q) = %q, %v; want ErrUnfaithful", tt.src, tt.edited, got, err)
		}
	}
}
