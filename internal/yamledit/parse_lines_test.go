package yamledit

import (
	"strings"
	"testing"
)

// A chunk is parsed alone and its line numbers shifted to the file's: the
// nodes and the parser's errors name the file's line.
func TestChunkParseNamesTheFilesLines(t *testing.T) {
	src := "a: 1\n---\n# c\nb:\n  c: 2\n---\nd: [\n---\ne:\n\tf: 1\n"
	chunks, err := Split([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := chunks[1].Parse()
	if err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if k, v := root.Content[0], root.Content[1]; k.Line != 4 || v.Content[0].Line != 5 || v.Content[1].Line != 5 {
		t.Errorf("b at line %d, c at %d/%d; want 4, 5, 5", k.Line, v.Content[0].Line, v.Content[1].Line)
	}
	if _, err := chunks[2].Parse(); err == nil || !strings.Contains(err.Error(), "line 7") {
		t.Errorf("syntax error %v, want one naming line 7", err)
	}
	if _, err := chunks[3].Parse(); err == nil || !strings.Contains(err.Error(), "line 10") {
		t.Errorf("tab error %v, want one naming line 10", err)
	}
}

// BenchmarkChunkParseManyDocuments parses every document of a stream of
// 20,000 small ones, as the kubeadm patcher does: "shifted" is Chunk.Parse,
// "prefixed" the former way, each body prefixed with its line count in
// newlines, whose cost grew with the square of the stream's length.
func BenchmarkChunkParseManyDocuments(b *testing.B) {
	src := []byte(strings.Repeat("---\na: 1\n", 20000))
	chunks, err := Split(src)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("shifted", func(b *testing.B) {
		for range b.N {
			for _, c := range chunks {
				if _, err := c.Parse(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("prefixed", func(b *testing.B) {
		for range b.N {
			for _, c := range chunks {
				if _, err := ParseOne([]byte(strings.Repeat("\n", c.Line-1) + c.Body)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
