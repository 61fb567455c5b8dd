package patch

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/safefile/safefiletest"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// onlyFiles fails when dir holds anything but names, such as a temporary
// file left behind.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("unexpected file %s in %s", e.Name(), dir)
		}
	}
	if len(entries) != len(names) {
		t.Errorf("%s holds %d files, want %v", dir, len(entries), names)
	}
}

func TestWriteFileAtomicCreatesAPrivateFileWithoutBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dex.yaml")
	backup, err := WriteFileAtomic(path, []byte("issuer: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if backup != "" {
		t.Errorf("backup = %q for a new file", backup)
	}
	if got := readFile(t, path); got != "issuer: x\n" {
		t.Errorf("content = %q", got)
	}
	if runtime.GOOS != "windows" && mode(t, path) != 0o600 {
		t.Errorf("mode = %v, want 0600", mode(t, path))
	}
	onlyFiles(t, dir, "dex.yaml")
}

func TestWriteFileAtomicKeepsModeAndBacksUpTheOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k8s-cluster.yml")
	if err := os.WriteFile(path, []byte("v1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := os.WriteFile(path+BackupSuffix, []byte("older backup\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	backup, err := WriteFileAtomic(path, []byte("v2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if backup != path+BackupSuffix {
		t.Errorf("backup = %q, want %q", backup, path+BackupSuffix)
	}
	if got := readFile(t, path); got != "v2\n" {
		t.Errorf("content = %q", got)
	}
	if got := readFile(t, backup); got != "v1\n" {
		t.Errorf("backup content = %q, want the original", got)
	}
	if runtime.GOOS != "windows" {
		if m := mode(t, path); m != 0o640 {
			t.Errorf("mode = %v, want 0640", m)
		}
		if m := mode(t, backup); m != 0o640 {
			t.Errorf("backup mode = %v, want 0640", m)
		}
	}
	onlyFiles(t, dir, "k8s-cluster.yml", "k8s-cluster.yml"+BackupSuffix)
}

func TestWriteFileAtomicLeavesAnUnchangedFileAndItsBackupAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeadm.yaml")
	if _, err := WriteFileAtomic(path, []byte("original\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFileAtomic(path, []byte("patched\n")); err != nil {
		t.Fatal(err)
	}
	backup, err := WriteFileAtomic(path, []byte("patched\n"))
	if err != nil {
		t.Fatal(err)
	}
	if backup != "" {
		t.Errorf("backup = %q for an unchanged file", backup)
	}
	if got := readFile(t, path+BackupSuffix); got != "original\n" {
		t.Errorf("backup content = %q, want the original kept", got)
	}
}

// A link at the target would let whoever placed it choose the file that
// authstack overwrites (issue #13, item 9).
func TestWriteFileAtomicRefusesSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on windows")
	}
	outside := t.TempDir()
	decoy := filepath.Join(outside, "passwd")
	if err := os.WriteFile(decoy, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "authstack.yaml")
	if err := os.Symlink(decoy, link); err != nil {
		t.Fatal(err)
	}
	_, err := WriteFileAtomic(link, []byte("new\n"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v, want a refusal naming the symbolic link", err)
	}
	if got := readFile(t, decoy); got != "root:x:0:0\n" {
		t.Errorf("the link's target was written: %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced (%v)", err)
	}
	onlyFiles(t, dir, "authstack.yaml")
	onlyFiles(t, outside, "passwd")
}

// The kubelet runs every file of its static pod directory whose name does
// not start with a dot, so a backup named kube-apiserver.yaml.authstack.bak
// there is a second, stale API server (issue #13, item 8).
func TestWriteFileAtomicHidesTheBackupOfAPodManifest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kube-apiserver.yaml")
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n"
	if err := os.WriteFile(path, []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	backup, err := WriteFileAtomic(path, []byte(pod+"spec: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, ".kube-apiserver.yaml"+BackupSuffix)
	if backup != want {
		t.Errorf("backup = %q, want %q", backup, want)
	}
	if got := readFile(t, want); got != pod {
		t.Errorf("backup content = %q", got)
	}
	for _, e := range safefiletest.List(t, dir) {
		if !strings.HasPrefix(e, ".") && e != "kube-apiserver.yaml" {
			t.Errorf("%s in the static pod directory would be run by the kubelet", e)
		}
	}
}

func TestWriteFileAtomicRefusesSpecialFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/null on windows")
	}
	if _, err := WriteFileAtomic("/dev/null", []byte("x")); err == nil || !strings.Contains(err.Error(), "device") {
		t.Fatalf("err = %v, want a refusal of the device", err)
	}
}

func TestWriteFileAtomicFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
	}{
		{"into a missing directory", filepath.Join(dir, "missing", "x.yaml")},
		{"over a directory", dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := WriteFileAtomic(tt.path, []byte("x")); err == nil {
				t.Fatal("no error")
			}
			onlyFiles(t, dir)
		})
	}
}
