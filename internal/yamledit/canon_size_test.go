package yamledit

import (
	"fmt"
	"strings"
	"testing"
)

func mapOf(keys int) string {
	var b strings.Builder
	b.WriteString("top:\n")
	for i := range keys {
		fmt.Fprintf(&b, "  k%d: %d\n", i, i)
	}
	return b.String()
}

// A map of more keys than any config authstack edits is refused, naming
// its line, before the YAML library compares every key with every other
// (a kubespray file of 300,000 variables hung render --kubespray-vars).
func TestCanonicalRefusesAHugeMap(t *testing.T) {
	doc, err := ParseOne([]byte(mapOf(MaxMapKeys + 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Canonical(doc); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("line 2: a map of %d keys", MaxMapKeys+1)) {
		t.Errorf("Canonical: %v", err)
	}
	doc, err = ParseOne([]byte(mapOf(MaxMapKeys)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Canonical(doc); err != nil {
		t.Errorf("a map of %d keys: %v", MaxMapKeys, err)
	}
}
