package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/gitignore"
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
	dst := t.TempDir()
	copyExample(t, filepath.Join("..", "..", "examples", name), dst)
	return filepath.Join(dst, "authstack.yaml")
}

// copyExample copies the files of the example folder src that belong to
// it: not the ones Git ignores, such as the authstack.secrets.yaml that
// following the README's quick start leaves there (issue #13, item 16).
// Modes are kept, so a test sees the files as a checkout has them.
func copyExample(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(src, e.Name())
		if !e.Type().IsRegular() || gitignore.Ignored(p) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCopyExampleLeavesIgnoredFilesBehind(t *testing.T) {
	repo := t.TempDir()
	src := filepath.Join(repo, "examples", "kind")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		filepath.Join(repo, ".gitignore"):            "authstack.secrets.yaml\n",
		filepath.Join(src, "authstack.yaml"):         "spec\n",
		filepath.Join(src, "authstack.secrets.yaml"): "left by a quick start\n",
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := t.TempDir()
	copyExample(t, src, dst)
	entries, _ := os.ReadDir(dst)
	if len(entries) != 1 || entries[0].Name() != "authstack.yaml" {
		t.Errorf("copied %v, want only authstack.yaml", entries)
	}
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

func TestWarningsGoToStderrWithoutFailing(t *testing.T) {
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "x")
	file := example(t, "prometheus-headers")
	for _, cmd := range []string{"validate", "render"} {
		out, errOut, code := run(t, cmd, "-f", file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cmd, code, errOut)
		}
		want := "warning: " + file + ": line 42: spec.apps[1]: app grafana admits every user the issuer https://keycloak.example.com/realms/ops accepts"
		if !strings.Contains(errOut, want) {
			t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, errOut)
		}
		if strings.Contains(out, "warning:") {
			t.Errorf("%s: a warning on stdout", cmd)
		}
	}
}

// The reproduction of issue #13 (7) through the command: merging into
// dex's LDAP example config names every setting it will not change, and
// once they agree it says which environment variables dex must now have.
func TestRenderMergesIntoADexConfigWithoutChangingItsSettings(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	upstream, err := os.ReadFile(filepath.Join("..", "..", "pkg", "patch", "dexconfig", "testdata", "upstream", "config-ldap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dexConfig := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(dexConfig, upstream, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "render", "-f", spec, "--dex-config", dexConfig)
	if code == 0 {
		t.Fatal("merged into a dex config with another issuer")
	}
	for _, want := range []string{dexConfig, "issuer (line 1): the dex config serves http://127.0.0.1:5556/dex, the spec's issuer is https://dex.example.com", "connectors[0] (ldap)", "expiry.idTokens", "expiry.refreshTokens.absoluteLifetime"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
	if after, err := os.ReadFile(dexConfig); err != nil || string(after) != string(upstream) {
		t.Errorf("the refused merge changed %s (%v)", dexConfig, err)
	}

	// The same config once its owner agreed to authstack's issuer and token
	// lifetimes, with its own LDAP connector under another id.
	adjusted := strings.Replace(string(upstream), "issuer: http://127.0.0.1:5556/dex", "issuer: https://dex.example.com\nexpiry:\n  idTokens: 1h\n  refreshTokens:\n    absoluteLifetime: 720h", 1)
	adjusted = strings.Replace(adjusted, "id: ldap", "id: openldap", 1)
	if err := os.WriteFile(dexConfig, []byte(adjusted), 0o644); err != nil {
		t.Fatal(err)
	}
	diff, stderr, code := run(t, "render", "-f", spec, "--dex-config", dexConfig)
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "must now have these environment variables: LDAP_BIND_PW_LDAP") {
		t.Errorf("stderr does not list the new environment variables:\n%s", stderr)
	}
	if strings.Contains(diff, "skipApprovalScreen") || strings.Contains(diff, "-  secret:") {
		t.Errorf("the merge changed a global setting or a secret:\n%s", diff)
	}
}
