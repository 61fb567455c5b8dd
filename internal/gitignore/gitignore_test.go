package gitignore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIgnored(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(rel, data string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".gitignore", "# top\n/_output/\nauthstack.secrets.yaml\n*.bak\n")
	write("examples/kind/.gitignore", "!keep.bak\n")
	write("deep/a/.gitignore", "/local.yaml\n")
	tests := map[string]bool{
		"examples/kind/authstack.secrets.yaml": true,
		"examples/kind/authstack.yaml":         false,
		"_output/manifests/dex.yaml":           true,
		"x/_output/dex.yaml":                   false,
		"examples/kind/old.bak":                true,
		"examples/kind/keep.bak":               false,
		"deep/a/local.yaml":                    true,
		"deep/a/b/local.yaml":                  false,
		"_output":                              false,
	}
	for rel, want := range tests {
		if got := Ignored(filepath.Join(root, rel)); got != want {
			t.Errorf("Ignored(%s) = %v, want %v", rel, got, want)
		}
	}
}

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(dir, "authstack.secrets.yaml")
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("/bin"), 0o644); err != nil {
		t.Fatal(err)
	}
	wrote, err := Ensure(secrets, "why")
	if err != nil || !wrote {
		t.Fatalf("Ensure = %v, %v", wrote, err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if string(data) != "/bin\n# why\n/authstack.secrets.yaml\n" {
		t.Errorf(".gitignore = %q", data)
	}
	if !Ignored(secrets) {
		t.Error("the file Ensure listed is not ignored")
	}
	if wrote, err := Ensure(secrets, "why"); err != nil || wrote {
		t.Errorf("second Ensure = %v, %v; want nothing written", wrote, err)
	}
	if got := escape("#a*b"); !strings.HasPrefix(got, `\#a\*b`) {
		t.Errorf("escape = %q", got)
	}
}

func TestMergeKeepsTheUsersRules(t *testing.T) {
	for _, c := range []struct{ existing, add, want string }{
		{"", "/secrets/\n", "/secrets/\n"},
		{"/notes.txt", "/secrets/\n", "/notes.txt\n/secrets/\n"},
		{"/secrets/\r\n*.log\n", "# why\n/secrets/\n/kubeconfig.yaml\n", "/secrets/\r\n*.log\n# why\n/kubeconfig.yaml\n"},
	} {
		if got := string(Merge([]byte(c.existing), []byte(c.add))); got != c.want {
			t.Errorf("Merge(%q, %q) = %q, want %q", c.existing, c.add, got, c.want)
		}
	}
}
