package doctor

import (
	"slices"
	"strings"
	"testing"
)

// The table is in code order however the files register their checks, as
// docs/doctor.md and the report list them.
func TestChecksAreSortedByCode(t *testing.T) {
	cs := Checks()
	if len(cs) < 10 {
		t.Fatalf("only %d checks", len(cs))
	}
	if !slices.IsSortedFunc(cs, func(a, b Check) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("checks are not sorted by code")
	}
}
