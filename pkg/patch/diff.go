package patch

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// UnifiedDiff returns the changes from before to after as a unified diff
// with three lines of context, headed "--- a/<path>" and "+++ b/<path>" like
// git's, or "" when they are equal. A last line without a newline is marked
// "\ No newline at end of file".
func UnifiedDiff(path string, before, after []byte) string {
	if string(before) == string(after) {
		return ""
	}
	name := strings.TrimPrefix(filepath.ToSlash(path), "/")
	a, b := diffLines(string(before)), diffLines(string(after))
	// The lines before the first change and after the last are left out
	// of the matching but for the context the hunks show: the matcher,
	// without autojunk, costs the square of what it is given when lines
	// repeat, and a patch changes a few lines of a file that may be long
	// (a stream of 40,000 short lines took minutes).
	const context = 3
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	lo := max(0, head-context)
	aw, bw := a[lo:len(a)-tail+min(tail, context)], b[lo:len(b)-tail+min(tail, context)]
	// Without autojunk: frequent lines (blank ones, "- name:") must still
	// match, or large files get needlessly large hunks.
	m := difflib.NewMatcherWithJunk(aw, bw, false, nil)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", name, name)
	for _, g := range m.GetGroupedOpCodes(context) {
		for i := range g {
			g[i].I1, g[i].I2, g[i].J1, g[i].J2 = g[i].I1+lo, g[i].I2+lo, g[i].J1+lo, g[i].J2+lo
		}
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

// diffLines splits s into lines that keep their "\n". A last line without
// one gets the "no newline" marker, which also makes it differ from the
// same text with a newline.
func diffLines(s string) []string {
	if s == "" {
		return nil
	}
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		return ls[:len(ls)-1]
	}
	ls[len(ls)-1] += "\n\\ No newline at end of file\n"
	return ls
}

func writeLines(sb *strings.Builder, prefix byte, ls []string) {
	for _, l := range ls {
		sb.WriteByte(prefix)
		sb.WriteString(l)
	}
}

// hunkRange formats a 0-based half-open line range as unified diff does:
// 1-based start, and the length only when it is not 1.
func hunkRange(start, stop int) string {
	n := stop - start
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
