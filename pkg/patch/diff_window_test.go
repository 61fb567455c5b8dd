package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

// fullDiff is UnifiedDiff matching the whole files, as it did before it
// left out the unchanged head and tail: the reference for the hunks.
func fullDiff(path string, before, after []byte) string {
	if string(before) == string(after) {
		return ""
	}
	a, b := diffLines(string(before)), diffLines(string(after))
	m := difflib.NewMatcherWithJunk(a, b, false, nil)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", path, path)
	for _, g := range m.GetGroupedOpCodes(3) {
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
		for _, op := range g {
			if op.Tag == 'e' {
				writeLines(&sb, ' ', a[op.I1:op.I2])
				continue
			}
			if op.Tag == 'r' || op.Tag == 'd' {
				writeLines(&sb, '-', a[op.I1:op.I2])
			}
			if op.Tag == 'r' || op.Tag == 'i' {
				writeLines(&sb, '+', b[op.J1:op.J2])
			}
		}
	}
	return sb.String()
}

// apply applies the unified diff d to before's lines (diffLines) and
// returns the lines it makes, and the number of lines it removes and adds.
func apply(t *testing.T, before []string, d string) ([]string, int) {
	t.Helper()
	var items []string
	for _, l := range strings.SplitAfter(d, "\n") {
		if strings.HasPrefix(l, "\\ No newline") {
			items[len(items)-1] += l
		} else if l != "" {
			items = append(items, l)
		}
	}
	var out []string
	pos, changed := 0, 0
	for _, l := range items[2:] {
		if strings.HasPrefix(l, "@@ ") {
			var start, n int
			old := strings.Fields(l)[1][1:]
			if _, err := fmt.Sscanf(old, "%d,%d", &start, &n); err != nil {
				fmt.Sscanf(old, "%d", &start)
				n = 1
			}
			if n > 0 {
				start--
			}
			out = append(out, before[pos:start]...)
			pos = start
			continue
		}
		switch l[0] {
		case ' ':
			if before[pos] != l[1:] {
				t.Fatalf("context %q is not line %d %q", l[1:], pos+1, before[pos])
			}
			out = append(out, l[1:])
			pos++
		case '-':
			if before[pos] != l[1:] {
				t.Fatalf("removed %q is not line %d %q", l[1:], pos+1, before[pos])
			}
			pos++
			changed++
		case '+':
			out = append(out, l[1:])
			changed++
		}
	}
	return append(out, before[pos:]...), changed
}

// Leaving the unchanged head and tail out of the matching gives a diff
// that turns before into after, no larger than matching the whole files
// gives (on repetitive lines it can be smaller): changes at the start, the
// end, in the middle, two far apart and two close, lines added and
// removed, a last line without newline.
func TestUnifiedDiffWindowKeepsTheHunks(t *testing.T) {
	var ls []string
	for i := range 40 {
		ls = append(ls, fmt.Sprintf("l%d\n", i%7))
	}
	base := strings.Join(ls, "")
	edit := func(f func([]string) []string) string {
		c := append([]string(nil), ls...)
		return strings.Join(f(c), "")
	}
	for name, after := range map[string]string{
		"first line":     edit(func(c []string) []string { c[0] = "X\n"; return c }),
		"last line":      edit(func(c []string) []string { c[39] = "X\n"; return c }),
		"middle":         edit(func(c []string) []string { c[20] = "X\n"; return c }),
		"two far apart":  edit(func(c []string) []string { c[3], c[33] = "X\n", "Y\n"; return c }),
		"two close":      edit(func(c []string) []string { c[10], c[15] = "X\n", "Y\n"; return c }),
		"inserted":       edit(func(c []string) []string { return append(c[:12], append([]string{"a\n", "b\n"}, c[12:]...)...) }),
		"removed":        edit(func(c []string) []string { return append(c[:5], c[9:]...) }),
		"appended":       base + "more\n",
		"no newline":     strings.TrimSuffix(base, "\n"),
		"all new":        "something else\n",
		"repeat of tail": base + strings.Join(ls[35:], ""),
	} {
		t.Run(name, func(t *testing.T) {
			got := UnifiedDiff("f", []byte(base), []byte(after))
			lines, n := apply(t, diffLines(base), got)
			if strings.Join(lines, "") != strings.Join(diffLines(after), "") {
				t.Fatalf("the diff does not make after:\n%s", got)
			}
			if _, full := apply(t, diffLines(base), fullDiff("f", []byte(base), []byte(after))); n > full {
				t.Errorf("%d lines changed, matching the whole files %d:\n%s", n, full, got)
			}
		})
	}
}

// A patch of a long stream of repeated lines (a kubeadm config of 20,000
// small documents) is one small hunk; matching the whole file took minutes.
func TestUnifiedDiffOfALongRepetitiveFile(t *testing.T) {
	before := "kind: ClusterConfiguration\n" + strings.Repeat("---\na: 1\n", 20000)
	after := "kind: ClusterConfiguration\napiServer: {}\n" + strings.Repeat("---\na: 1\n", 20000)
	want := "--- a/f\n+++ b/f\n@@ -1,4 +1,5 @@\n kind: ClusterConfiguration\n+apiServer: {}\n ---\n a: 1\n ---\n"
	if got := UnifiedDiff("f", []byte(before), []byte(after)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
