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
	// Without autojunk: frequent lines (blank ones, "- name:") must still
	// match, or large files get needlessly large hunks.
	m := difflib.NewMatcherWithJunk(a, b, false, nil)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", name, name)
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
