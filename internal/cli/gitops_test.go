package cli

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Every file of render --format kustomize (or kustomize-external) that Git would track is free of
// secret values, raw or base64: the directory is meant for a GitOps
// repository.
func TestRenderKustomizeKeepsSecretValuesOutOfGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to check what a repository would track")
	}
	for _, tc := range []struct{ name, format, example, extra, gitignore string }{
		{"generated secrets", "kustomize", "kind", "", ""},
		{"provided secret and a confidential kubectl client", "kustomize", "dex-ldap-kubespray", "  kubectl:\n    public: false\n", ""},
		{"external secrets", "kustomize-external", "dex-ldap-kubespray", "  kubectl:\n    public: false\n", ""},
		// The plain format holds the Secrets themselves.
		{"plain YAML", "yaml", "dex-ldap-kubespray", "  kubectl:\n    public: false\n", ""},
		// An output directory in the user's repository keeps its own rules.
		{"a .gitignore of the user's", "kustomize", "kind", "", "# mine\n/notes.txt\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := example(t, tc.example)
			if tc.extra != "" {
				appendToSpec(t, spec, tc.extra)
			}
			out := t.TempDir()
			if tc.gitignore != "" {
				if err := os.WriteFile(filepath.Join(out, ".gitignore"), []byte(tc.gitignore), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, stderr, code := run(t, "render", "-f", spec, "-o", out, "--format", tc.format); code != 0 {
				t.Fatalf("exit code %d: %s", code, stderr)
			}
			values := secretValues(t, spec)
			if len(values) == 0 {
				t.Fatal("the example has no secret value; the test would prove nothing")
			}
			git(t, out, "init", "-q")
			git(t, out, "add", "-A")
			tracked := strings.Fields(git(t, out, "ls-files"))
			if len(tracked) == 0 || (tc.format != "yaml" && (!contains(tracked, ".gitignore") || !contains(tracked, "kustomization.yaml"))) {
				t.Errorf("tracked files = %v, want .gitignore and kustomization.yaml among them", tracked)
			}
			if tc.format == "yaml" && (!contains(tracked, "manifests/rbac.yaml") || contains(tracked, "manifests/secrets.yaml")) {
				t.Errorf("tracked files = %v, want the manifests without secrets.yaml", tracked)
			}
			if tc.gitignore != "" {
				data, err := os.ReadFile(filepath.Join(out, ".gitignore"))
				if err != nil || !strings.HasPrefix(string(data), tc.gitignore) || !strings.Contains(string(data), "/secrets/") {
					t.Errorf("the user's .gitignore became %q (%v), want their rules kept and authstack's added", data, err)
				}
			}
			for _, f := range tracked {
				data, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				for name, v := range values {
					if strings.Contains(string(data), v) || strings.Contains(string(data), base64.StdEncoding.EncodeToString([]byte(v))) {
						t.Errorf("%s, which Git tracks, holds the value of secret %s", f, name)
					}
				}
			}
		})
	}
}

func appendToSpec(t *testing.T, spec, extra string) {
	t.Helper()
	f, err := os.OpenFile(spec, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
}

// secretValues are the generated values render kept next to spec, and the
// provided values the examples take from the environment.
func secretValues(t *testing.T, spec string) map[string]string {
	t.Helper()
	values := map[string]string{}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv("LDAP_BIND_PASSWORD"); v != "" && strings.Contains(mustRead(t, spec), "LDAP_BIND_PASSWORD") {
		values["LDAP_BIND_PASSWORD"] = v
	}
	return values
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return string(out)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
