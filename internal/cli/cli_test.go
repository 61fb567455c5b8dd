package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes authstack with args and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// example copies an example into a temp dir, so the generated secrets file
// lands there and not in the repository.
func example(t *testing.T, name string) string {
	t.Helper()
	t.Setenv("LDAP_BIND_PASSWORD", "test-bind-password")
	src := filepath.Join("..", "..", "examples", name)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dst, "authstack.yaml")
}

func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec:\n  clustr: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"valid spec", []string{"validate", "-f", example(t, "kind")}, 0, "is valid"},
		{"unknown field", []string{"validate", "-f", bad}, 2, `spec.clustr: unknown field, did you mean "cluster"?`},
		{"missing file", []string{"render", "-f", filepath.Join(t.TempDir(), "nope.yaml")}, 2, "no such file"},
		{"unknown flag", []string{"render", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad format", []string{"render", "-f", example(t, "kind"), "--format", "helm"}, 2, "--format must be yaml or kustomize"},
		{"positional argument", []string{"validate", "extra"}, 2, "takes no arguments"},
		{"missing provided secret", []string{"render", "-f", example(t, "dashboard-token")}, 1, "GITHUB_CLIENT_SECRET is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr: %s)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, stderr)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a panic:\n%s", stderr)
			}
		})
	}
}

func TestRenderKeepsGeneratedSecrets(t *testing.T) {
	spec := example(t, "kind")
	first, _, code := run(t, "render", "-f", spec)
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	info, err := os.Stat(filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode = %v, want 0600", info.Mode().Perm())
	}
	second, stderr, _ := run(t, "render", "-f", spec)
	if first != second {
		t.Error("a second render changed the output: generated secrets were not kept")
	}
	if strings.Contains(stderr, "generated secrets") {
		t.Error("the second render generated secrets again")
	}
}

func TestRenderKustomizeFormat(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := run(t, "render", "-f", example(t, "kind"), "-o", out, "--format", "kustomize"); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	k, err := os.ReadFile(filepath.Join(out, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- manifests/dex.yaml", "- manifests/rbac.yaml", "secretGenerator:", "- client-secret=secrets/apps/oauth2-proxy-whoami/client-secret"} {
		if !strings.Contains(string(k), want) {
			t.Errorf("kustomization.yaml lacks %q:\n%s", want, k)
		}
	}
	if strings.Contains(string(k), "apiserver/") || strings.Contains(string(k), "manifests/secrets.yaml") {
		t.Errorf("kustomization.yaml lists files that are not Kubernetes objects, or plain Secrets:\n%s", k)
	}
	info, err := os.Stat(filepath.Join(out, "secrets", "apps", "oauth2-proxy-whoami", "client-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret value file mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestRenderPatchesKubesprayInventory(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	vars := filepath.Join(t.TempDir(), "k8s-cluster.yml")
	orig, err := os.ReadFile(filepath.Join("..", "..", "pkg", "patch", "kubespray", "testdata", "k8s-cluster.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	diff, stderr, code := run(t, "render", "-f", spec, "--kubespray-vars", vars)
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if !strings.Contains(diff, "+kube_oidc_url: https://dex.example.com") {
		t.Errorf("diff lacks the issuer line:\n%s", diff)
	}
	if now, _ := os.ReadFile(vars); !bytes.Equal(now, orig) {
		t.Fatal("without --in-place the file was changed")
	}

	if _, stderr, code := run(t, "render", "-f", spec, "--kubespray-vars", vars, "--in-place"); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	backup, err := os.ReadFile(vars + ".authstack.bak")
	if err != nil || !bytes.Equal(backup, orig) {
		t.Fatalf("backup missing or different: %v", err)
	}
	patched, _ := os.ReadFile(vars)
	for _, l := range strings.Split(string(patched), "\n") {
		if strings.HasPrefix(l, "kube_oidc_") {
			continue
		}
		if strings.Contains(l, "kube_oidc") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			t.Errorf("unexpected active line %q", l)
		}
	}
	if _, stderr, _ := run(t, "render", "-f", spec, "--kubespray-vars", vars, "--in-place"); !strings.Contains(stderr, "is up to date") {
		t.Errorf("patching twice changed the file again: %s", stderr)
	}
}

func TestRenderAppliesKustomization(t *testing.T) {
	dir := t.TempDir()
	kust := "patches:\n- target:\n    kind: Deployment\n    name: dex\n  patch: |\n    - op: replace\n      path: /spec/replicas\n      value: 3\ncommonAnnotations:\n  team: platform\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, "render", "-f", example(t, "kind"), "--kustomize", dir)
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if !strings.Contains(out, "replicas: 3") {
		t.Error("the user's patch did not change dex's replicas")
	}
	if strings.Count(out, "team: platform") < 10 {
		t.Error("the user's common annotation is missing from the objects")
	}
	if !strings.Contains(out, "# Source: manifests/dex.yaml") {
		t.Error("kustomized objects lost their manifest files")
	}
}
