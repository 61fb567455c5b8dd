package cli

import (
	"os"
	"path/filepath"
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

// apply says what validate says: a spec warning reaches the person applying
// it even when the cluster cannot be reached.
func TestApplyPrintsSpecWarnings(t *testing.T) {
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "x")
	file := example(t, "prometheus-headers")
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ := run(t, "apply", "-f", file, "--kubeconfig", kubeconfig, "--timeout", "1s")
	want := "warning: " + file + ": line 42: spec.apps[1]: app grafana admits every user"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}
