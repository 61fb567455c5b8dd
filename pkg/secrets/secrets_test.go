package secrets

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

func TestFileStoreGeneratesOnceAndKeeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	s := &FileStore{Path: path}
	a, err := s.Generated("cookie-secret/app", 32)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.URLEncoding.DecodeString(a); err != nil || len(raw) != 32 {
		t.Fatalf("value decodes to %d bytes (%v), want 32", len(raw), err)
	}
	if again, _ := s.Generated("cookie-secret/app", 32); again != a {
		t.Fatal("the same store returned a new value for the same name")
	}
	other, _ := s.Generated("cookie-secret/other", 32)
	if other == a {
		t.Fatal("two names share a value")
	}
	saved, err := s.Save()
	if err != nil || !saved {
		t.Fatalf("Save = %v, %v; want a write", saved, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", info.Mode().Perm())
	}

	reloaded := &FileStore{Path: path}
	if v, _ := reloaded.Generated("cookie-secret/app", 32); v != a {
		t.Error("a new store over the same file generated a new value")
	}
	if saved, _ := reloaded.Save(); saved {
		t.Error("nothing changed, yet Save wrote the file")
	}
}

func TestFileStoreRejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("a: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := (&FileStore{Path: path}).Generated("x", 16)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTHSTACK_TEST_SECRET", "from-env")
	tests := []struct {
		ref     *v1alpha1.SecretRef
		want    string
		wantErr string
	}{
		{&v1alpha1.SecretRef{Env: "AUTHSTACK_TEST_SECRET"}, "from-env", ""},
		{&v1alpha1.SecretRef{File: "pw"}, "from-file", ""},
		{&v1alpha1.SecretRef{Env: "AUTHSTACK_TEST_UNSET"}, "", "AUTHSTACK_TEST_UNSET is not set"},
		{&v1alpha1.SecretRef{File: "missing"}, "", "no such file"},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.ref, dir)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%+v) err = %v, want %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%+v) = %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
}

// Issue #13, item 16: a secrets file others could read was used silently.
func TestFileStoreTightensAReadableFileWithAWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	path := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	if err := os.WriteFile(path, []byte("cookie-secret/app: abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	v, ok, err := (&FileStore{Path: path, Warn: &warn}).Lookup("cookie-secret/app")
	if err != nil || !ok || v != "abc" {
		t.Fatalf("Lookup = %q, %v, %v", v, ok, err)
	}
	if !strings.Contains(warn.String(), path) || !strings.Contains(warn.String(), "0644") {
		t.Errorf("warning = %q, want one naming the file and its mode", warn.String())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestFileStoreListsANewFileInGitignoreOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authstack.secrets.yaml")
	var warn bytes.Buffer
	s := &FileStore{Path: path, Warn: &warn}
	if _, err := s.Generated("a", 16); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(); err != nil {
		t.Fatal(err)
	}
	gi, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || !strings.Contains(string(gi), "/authstack.secrets.yaml\n") {
		t.Fatalf(".gitignore = %q, %v", gi, err)
	}
	// The user may drop the line on purpose: a later save of the existing
	// file does not add it back.
	if err := os.Remove(filepath.Join(dir, ".gitignore")); err != nil {
		t.Fatal(err)
	}
	s2 := &FileStore{Path: path, Warn: &warn}
	if _, err := s2.Generated("b", 16); err != nil {
		t.Fatal(err)
	}
	if saved, err := s2.Save(); err != nil || !saved {
		t.Fatalf("Save = %v, %v", saved, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err == nil {
		t.Error("a .gitignore was written for a file that already existed")
	}
}
