//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func write(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// A FIFO as input must be refused at once, not wait for a writer.
func TestReadRefusesANamedPipeWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("err = %v, want a refusal of the named pipe", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked on a named pipe")
	}
}

func TestReadRefusesDevicesAndDirectories(t *testing.T) {
	for path, want := range map[string]string{"/dev/zero": "a device", t.TempDir(): "a directory"} {
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read(%s) err = %v, want %q", path, err, want)
		}
	}
}

func TestReadCapsTheSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "larger than 8 MiB") {
		t.Fatalf("err = %v, want the size cap", err)
	}
	if err := os.Truncate(path, MaxSize); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(path); err != nil || len(data) != MaxSize {
		t.Fatalf("a file of exactly MaxSize: %d bytes, %v", len(data), err)
	}
}

func TestReadNoFollowRefusesLinksReadFollows(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real.yaml"), "a: 1\n", 0o644)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(link); err != nil || string(data) != "a: 1\n" {
		t.Errorf("Read through a link = %q, %v", data, err)
	}
	_, err := ReadNoFollow(link)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "real.yaml") {
		t.Errorf("ReadNoFollow err = %v, want a refusal naming the link's target", err)
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestReadPrivateTightensAWideMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	write(t, path, "a: b\n", 0o644)
	var warned string
	data, err := ReadPrivate(path, func(m string) { warned = m })
	if err != nil || string(data) != "a: b\n" {
		t.Fatalf("ReadPrivate = %q, %v", data, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(warned, path) || !strings.Contains(warned, "0644") {
		t.Errorf("warning = %q, want one naming the file and its old mode", warned)
	}
	warned = ""
	if _, err := ReadPrivate(path, func(m string) { warned = m }); err != nil || warned != "" {
		t.Errorf("a 0600 file: err %v, warning %q", err, warned)
	}
}

// asOtherUser gives path to another uid; only root can.
func asOtherUser(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
}

func TestPrivateFilesOfAnotherUserAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	write(t, path, "a: b\n", 0o600)
	asOtherUser(t, path)
	if _, err := ReadPrivate(path, nil); err == nil || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Errorf("ReadPrivate err = %v, want a refusal naming the owner", err)
	}
	if _, err := Write(path, []byte("c: d\n"), Options{Private: true}); err == nil || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Errorf("Write err = %v, want a refusal naming the owner", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "a: b\n" {
		t.Errorf("the other user's file was changed: %q", data)
	}
}

// A private file is never chowned to the owner of the file it replaces, as
// in-place edits of other files are.
func TestWriteKeepsOwnersOnlyForNonPrivateFiles(t *testing.T) {
	dir := t.TempDir()
	edited := filepath.Join(dir, "k8s-cluster.yml")
	write(t, edited, "a: 1\n", 0o640)
	asOtherUser(t, edited)
	if _, err := Write(edited, []byte("a: 2\n"), Options{KeepMode: true}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(edited)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4242 || fi.Mode().Perm() != 0o640 {
		t.Errorf("edited file: uid %d mode %v, want 4242 and 0640 kept", st.Uid, fi.Mode().Perm())
	}
}

func TestWriteRefusesSymlinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	decoy := filepath.Join(t.TempDir(), "decoy")
	write(t, decoy, "keep\n", 0o644)
	for _, name := range []string{"dangling", "link"} {
		target := decoy
		if name == "dangling" {
			target = filepath.Join(filepath.Dir(decoy), "nothing")
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, {Private: true}, {KeepMode: true, Backup: true}} {
			if _, err := Write(filepath.Join(dir, name), []byte("x"), opts); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("%s %+v: err = %v, want a refusal", name, opts, err)
			}
		}
	}
	if data, _ := os.ReadFile(decoy); string(data) != "keep\n" {
		t.Errorf("decoy changed: %q", data)
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(decoy), "nothing")); err == nil {
		t.Error("a file was created at the dangling link's target")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(fifo, []byte("x"), Options{}); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("fifo: err = %v", err)
	}
}

func TestWriteReplacesALinkAtTheBackupName(t *testing.T) {
	dir := t.TempDir()
	decoy := filepath.Join(t.TempDir(), "decoy")
	write(t, decoy, "keep\n", 0o644)
	path := filepath.Join(dir, "vars.yml")
	write(t, path, "a: 1\n", 0o644)
	if err := os.Symlink(decoy, path+BackupSuffix); err != nil {
		t.Fatal(err)
	}
	backup, err := Write(path, []byte("a: 2\n"), Options{KeepMode: true, Backup: true})
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(decoy); string(data) != "keep\n" {
		t.Errorf("the backup was written through a link: decoy %q", data)
	}
	if fi, err := os.Lstat(backup); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("backup %s is not a regular file (%v)", backup, err)
	}
}

func TestBackupName(t *testing.T) {
	pod := []byte("apiVersion: v1\nkind: Pod\n")
	podJSON := []byte(`{"apiVersion":"v1","kind":"Pod"}`)
	tests := []struct {
		dir, base string
		old       []byte
		want      string
	}{
		{"/etc/kubernetes/manifests", "etcd.yaml", []byte("x: y\n"), ".etcd.yaml.authstack.bak"},
		{"/etc/kubernetes/manifests/", "kube-apiserver.yaml", nil, ".kube-apiserver.yaml.authstack.bak"},
		{"/srv/pods", "kube-apiserver.yaml", pod, ".kube-apiserver.yaml.authstack.bak"},
		{"/srv/pods", "kube-apiserver.json", podJSON, ".kube-apiserver.json.authstack.bak"},
		{"/etc/kubernetes", "kubeadm.yaml", []byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"), "kubeadm.yaml.authstack.bak"},
		{"inventory/group_vars/k8s_cluster", "k8s-cluster.yml", []byte("kube_version: v1.33.0\n"), "k8s-cluster.yml.authstack.bak"},
	}
	for _, tt := range tests {
		if got := BackupName(tt.dir, tt.base, tt.old); got != tt.want {
			t.Errorf("BackupName(%s, %s) = %s, want %s", tt.dir, tt.base, got, tt.want)
		}
	}
}

func TestMkdirUnderRefusesLinks(t *testing.T) {
	base := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(base, "manifests")); err != nil {
		t.Fatal(err)
	}
	if err := MkdirUnder(base, "manifests", 0o755); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("err = %v, want a refusal of the link", err)
	}
	if err := MkdirUnder(base, "a/b", 0o755); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(base, "a", "b")); err != nil || !fi.IsDir() {
		t.Errorf("a/b not created: %v", err)
	}
	if err := MkdirUnder(base, "../x", 0o755); err == nil {
		t.Error("a path leaving base was accepted")
	}
}
