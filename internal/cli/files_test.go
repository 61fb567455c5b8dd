//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWithin fails t when the command does not finish in time: reading a
// named pipe used to block forever.
func runWithin(t *testing.T, d time.Duration, args ...string) (string, string, int) {
	t.Helper()
	type result struct {
		out, err string
		code     int
	}
	done := make(chan result, 1)
	go func() {
		o, e, c := run(t, args...)
		done <- result{o, e, c}
	}()
	select {
	case r := <-done:
		return r.out, r.err, r.code
	case <-time.After(d):
		t.Fatalf("authstack %v did not return within %s", args, d)
		return "", "", 0
	}
}

func decoyFile(t *testing.T) string {
	t.Helper()
	decoy := filepath.Join(t.TempDir(), "system-file")
	if err := os.WriteFile(decoy, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return decoy
}

func assertUnchanged(t *testing.T, decoy string) {
	t.Helper()
	if data, _ := os.ReadFile(decoy); string(data) != "keep\n" {
		t.Errorf("%s was written through a link: %q", decoy, data)
	}
}

// Issue #13, item 9: outputs followed symlinks.
func TestOutputsDoNotFollowSymlinks(t *testing.T) {
	t.Run("init --force", func(t *testing.T) {
		decoy := decoyFile(t)
		path := filepath.Join(t.TempDir(), "authstack.yaml")
		if err := os.Symlink(decoy, path); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, append(issueLine(t), "-o", path, "--force")...)
		if code == ExitOK || !strings.Contains(stderr, "symbolic link") {
			t.Errorf("exit %d, want a refusal of the link: %s", code, stderr)
		}
		assertUnchanged(t, decoy)
	})
	t.Run("init without --force, dangling link", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "created-elsewhere")
		path := filepath.Join(t.TempDir(), "authstack.yaml")
		if err := os.Symlink(missing, path); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := run(t, append(issueLine(t), "-o", path)...); code == ExitOK {
			t.Errorf("exit 0 writing over a dangling link: %s", stderr)
		}
		if _, err := os.Lstat(missing); err == nil {
			t.Error("a file was created where the link points")
		}
	})
	t.Run("render -o", func(t *testing.T) {
		decoy := decoyFile(t)
		out := t.TempDir()
		if err := os.Symlink(decoy, filepath.Join(out, "kubeconfig.yaml")); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, "render", "-f", example(t, "kind"), "-o", out)
		if code == ExitOK || !strings.Contains(stderr, "symbolic link") {
			t.Errorf("exit %d, want a refusal of the link: %s", code, stderr)
		}
		assertUnchanged(t, decoy)
	})
	t.Run("render --in-place", func(t *testing.T) {
		decoy := decoyFile(t)
		vars := filepath.Join(t.TempDir(), "k8s-cluster.yml")
		if err := os.Symlink(decoy, vars); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, "render", "-f", example(t, "dex-ldap-kubespray"), "--kubespray-vars", vars, "--in-place")
		if code == ExitOK || !strings.Contains(stderr, "symbolic link") || !strings.Contains(stderr, decoy) {
			t.Errorf("exit %d, want a refusal naming the link's target: %s", code, stderr)
		}
		assertUnchanged(t, decoy)
	})
	t.Run("secrets file", func(t *testing.T) {
		decoy := decoyFile(t)
		spec := example(t, "kind")
		if err := os.Symlink(decoy, filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml")); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, "render", "-f", spec)
		if code == ExitOK || !strings.Contains(stderr, "symbolic link") {
			t.Errorf("exit %d, want a refusal of the link: %s", code, stderr)
		}
		assertUnchanged(t, decoy)
	})
}

// Issue #13, item 9: inputs had no size or type limit.
func TestInputsMustBeSmallRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.yml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 9<<20); err != nil {
		t.Fatal(err)
	}
	spec := example(t, "dex-ldap-kubespray")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"device as patch target", []string{"render", "-f", spec, "--kubespray-vars", "/dev/zero"}, "open /dev/zero: is a device"},
		{"named pipe as patch target", []string{"render", "-f", spec, "--kubeadm-config", fifo}, "is a named pipe"},
		{"huge patch target", []string{"render", "-f", spec, "--kubespray-vars", big}, "larger than 8 MiB"},
		{"named pipe as spec", []string{"validate", "-f", fifo}, "is a named pipe"},
		{"device as spec", []string{"validate", "-f", "/dev/zero"}, "is a device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runWithin(t, 20*time.Second, tt.args...)
			if code == ExitOK || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want an error with %q: %s", code, tt.want, stderr)
			}
		})
	}
}

// Issue #13, item 10: a patch target must be the kind of file its flag names.
func TestPatchTargetsMustBeTheRightKindOfFile(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	specData, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	deployment := filepath.Join(dir, "deployment.yaml")
	deploymentData := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
	if err := os.WriteFile(deployment, []byte(deploymentData), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flag, path, want string
	}{
		{"--kubeadm-config", spec, "not a kubeadm config"},
		{"--kubeadm-config", deployment, "not a kubeadm config"},
		{"--kubespray-vars", spec, "not a kubespray group_vars file"},
		{"--kubespray-vars", deployment, "not a kubespray group_vars file"},
		{"--dex-config", spec, "not a dex config"},
		{"--dex-config", deployment, "not a dex config"},
	}
	for _, tt := range tests {
		t.Run(tt.flag+" "+filepath.Base(tt.path), func(t *testing.T) {
			_, stderr, code := run(t, "render", "-f", spec, tt.flag, tt.path, "--in-place")
			if code == ExitOK || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, tt.path) {
				t.Errorf("exit %d, want an error naming %s and saying %q: %s", code, tt.path, tt.want, stderr)
			}
		})
	}
	if now, _ := os.ReadFile(spec); string(now) != string(specData) {
		t.Error("the spec was patched")
	}
	if now, _ := os.ReadFile(deployment); string(now) != deploymentData {
		t.Error("the Deployment was patched")
	}
}

// Issue #13, item 16: a secrets file others can read was used silently.
func TestRenderTightensAReadableSecretsFile(t *testing.T) {
	spec := example(t, "kind")
	if _, stderr, code := run(t, "render", "-f", spec); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	secretsFile := filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml")
	if err := os.Chmod(secretsFile, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "render", "-f", spec)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: "+secretsFile) || !strings.Contains(stderr, "0644") {
		t.Errorf("no warning about the file's mode: %s", stderr)
	}
	if fi, _ := os.Stat(secretsFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestRenderRefusesAnotherUsersSecretsFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	spec := example(t, "kind")
	secretsFile := filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml")
	if err := os.WriteFile(secretsFile, []byte("a: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(secretsFile, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "render", "-f", spec)
	if code == ExitOK || !strings.Contains(stderr, "owned by uid 4242") {
		t.Errorf("exit %d, want a refusal naming the owner: %s", code, stderr)
	}
}

// The secrets file render creates is listed in a .gitignore beside it,
// unless one already covers it.
func TestRenderKeepsTheSecretsFileOutOfGit(t *testing.T) {
	spec := example(t, "kind")
	dir := filepath.Dir(spec)
	if _, stderr, code := run(t, "render", "-f", spec); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || !strings.Contains(string(data), "\n/authstack.secrets.yaml\n") {
		t.Fatalf(".gitignore = %q, %v; want one listing the secrets file", data, err)
	}

	// A .gitignore that already covers it is left alone.
	spec2 := example(t, "kind")
	dir2 := filepath.Dir(spec2)
	if err := os.WriteFile(filepath.Join(dir2, ".gitignore"), []byte("*.secrets.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "render", "-f", spec2); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir2, ".gitignore")); string(data) != "*.secrets.yaml\n" {
		t.Errorf("a covering .gitignore was changed: %q", data)
	}
}
