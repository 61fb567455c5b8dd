package cli

import (
	"strings"
	"testing"
)

func TestApplyPruneNamespacesNeedsPrune(t *testing.T) {
	for _, flag := range []string{"--prune-namespaces", "--prune-crds"} {
		_, stderr, code := run(t, "apply", "-f", example(t, "kind"), flag)
		if code != 2 || !strings.Contains(stderr, "need --prune") {
			t.Errorf("apply %s without --prune: exit %d, stderr %q; want a usage error", flag, code, stderr)
		}
	}
}
