//go:build e2e

package local

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/authstack/authstack/internal/testenv"
)

// RenderedFile renders the current spec and returns one of its files.
func (s *Stack) RenderedFile(t testing.TB, path string) []byte {
	t.Helper()
	data := fileOf(s.render(t), path)
	if data == nil {
		t.Fatalf("render produced no %s", path)
	}
	return data
}

// UserKubeconfig is the rendered kubeconfig, its kubelogin exec plugin
// switched to the password grant (there is no person at a browser) with a
// fresh token cache.
func (s *Stack) UserKubeconfig(t testing.TB, u ldapUser) string {
	t.Helper()
	cfg, err := clientcmd.Load(s.RenderedFile(t, "kubeconfig.yaml"))
	if err != nil {
		t.Fatalf("rendered kubeconfig: %v", err)
	}
	cache := t.TempDir()
	for name, ai := range cfg.AuthInfos {
		if ai.Exec == nil {
			t.Fatalf("user %s of the rendered kubeconfig has no exec plugin", name)
		}
		ai.Exec.Args = append(ai.Exec.Args, "--grant-type=password", "--username="+u.UID, "--password="+u.Password, "--token-cache-dir="+cache)
	}
	p := filepath.Join(s.Dir, "kubeconfig-"+u.UID)
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Kubectl runs kubectl with a user's kubeconfig; kubectl and its
// oidc-login plugin come from the binary cache.
func (s *Stack) Kubectl(t testing.TB, kubeconfig string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	testenv.Bin(t, "kubectl-oidc_login")
	binDir := filepath.Dir(testenv.Bin(t, "kubectl"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "kubectl"), append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECACHEDIR="+filepath.Join(s.Dir, "kubectl-cache"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// forbidden says whether kubectl's error is the API server's 403 (kubectl
// prints "(Forbidden)" for most verbs, "... is forbidden: User ..." for create).
func forbidden(stderr string) bool {
	return strings.Contains(stderr, "(Forbidden)") || strings.Contains(stderr, " is forbidden: User ")
}
