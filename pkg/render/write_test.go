//go:build unix

package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func renderKind(t *testing.T) *Result {
	t.Helper()
	exampleEnv(t)
	return renderExample(t, "kind")
}

// render -o must not write through a link planted in the output directory,
// at a file or at a directory authstack creates (issue #13, item 9).
func TestWriteDirRefusesSymlinks(t *testing.T) {
	res := renderKind(t)
	for _, link := range []string{"kubeconfig.yaml", "manifests/secrets.yaml", "manifests"} {
		t.Run(link, func(t *testing.T) {
			out := t.TempDir()
			elsewhere := t.TempDir()
			decoy := filepath.Join(elsewhere, "decoy")
			if err := os.WriteFile(decoy, []byte("keep\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			target := decoy
			if link == "manifests" {
				target = elsewhere
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(out, link)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(out, link)); err != nil {
				t.Fatal(err)
			}
			_, err := res.WriteDir(out, FormatYAML)
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Fatalf("err = %v, want a refusal of the link", err)
			}
			if data, _ := os.ReadFile(decoy); string(data) != "keep\n" {
				t.Errorf("the decoy was overwritten: %q", data)
			}
			if entries, _ := os.ReadDir(elsewhere); len(entries) != 1 {
				t.Errorf("files appeared outside the output directory: %v", entries)
			}
		})
	}
}

func TestWriteDirModes(t *testing.T) {
	res := renderKind(t)
	out := t.TempDir()
	// An existing private file made readable must be tightened again.
	if err := os.WriteFile(filepath.Join(out, "kubeconfig.yaml"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := res.WriteDir(out, FormatYAML); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{"kubeconfig.yaml": 0o600, "manifests/secrets.yaml": 0o600, "manifests/dex.yaml": 0o644} {
		fi, err := os.Stat(filepath.Join(out, path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}
