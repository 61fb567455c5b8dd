package yamledit

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// RestoreBlankLines puts back into out the blank lines of orig that the YAML
// encoder dropped (it keeps comments but not empty lines). Each run of lost
// blank lines goes after the line that preceded it in orig, or before the
// one that followed it, when that line is still in out. The caller must
// check that the result still means what out means.
func RestoreBlankLines(orig, out string) string {
	a := lines(orig)
	b := lines(out)
	m := difflib.NewMatcherWithJunk(trimCR(a), trimCR(b), false, nil)
	aToB := make([]int, len(a))
	for i := range aToB {
		aToB[i] = -1
	}
	for _, blk := range m.GetMatchingBlocks() {
		for k := 0; k < blk.Size; k++ {
			aToB[blk.A+k] = blk.B + k
		}
	}
	// insert[j] holds the blank lines to write just before b[j].
	insert := make(map[int][]string)
	for i := 0; i < len(a); {
		if aToB[i] >= 0 || TrimSpace(a[i]) != "" {
			i++
			continue
		}
		s := i
		for i < len(a) && aToB[i] < 0 && TrimSpace(a[i]) == "" {
			i++
		}
		run := append([]string(nil), a[s:i]...)
		switch {
		case i == len(a) && s > 0:
			// Blank lines closing a document stay at its end.
			insert[len(b)] = append(insert[len(b)], run...)
		case s > 0 && aToB[s-1] >= 0:
			j := aToB[s-1] + 1
			insert[j] = append(insert[j], run...)
		case i < len(a) && aToB[i] >= 0:
			j := aToB[i]
			insert[j] = append(run, insert[j]...)
		case s == 0 && i == len(a):
			insert[0] = run
		}
	}
	if len(insert) == 0 {
		return out
	}
	var sb strings.Builder
	for j := 0; j <= len(b); j++ {
		for _, l := range insert[j] {
			sb.WriteString(strings.TrimRight(l, "\r"))
			sb.WriteByte('\n')
		}
		if j < len(b) {
			sb.WriteString(b[j])
			sb.WriteByte('\n')
		}
	}
	res := sb.String()
	if !strings.HasSuffix(out, "\n") {
		res = strings.TrimSuffix(res, "\n")
	}
	return res
}

// lines splits s into lines without their "\n"; a final line ending does
// not make an extra empty line.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func trimCR(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = strings.TrimRight(l, "\r")
	}
	return out
}
