// Package safefiletest checks, for tests and fuzz targets, that a write of a
// user's file stays in the file's directory and goes through no link.
package safefiletest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/authstack/authstack/internal/safefile"
)

// WriteFunc writes data to the file at path as authstack writes a user's
// file, and returns the backup it kept ("" for none).
type WriteFunc func(path string, data []byte) (backup string, err error)

const decoyContent = "decoy: must stay as it is\n"

// CheckContained runs write in two directories laid out with decoys,
// symbolic links to files outside:
//
//   - the target name itself is a link: the write must fail;
//   - the target holds old, and links sit at both names a backup may take:
//     the write must succeed, leaving data in the target and old in the
//     backup, both regular files, and no temporary file.
//
// Either way no decoy may change and no file may appear outside the
// directory. name is the target's file name.
func CheckContained(t testing.TB, name string, old, data []byte, write WriteFunc) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // symlinks need privileges there
	}
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	mkdir(t, outside)
	decoy := func(n string) string {
		p := filepath.Join(outside, n)
		if err := os.WriteFile(p, []byte(decoyContent), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target, at string) {
		if err := os.Symlink(target, at); err != nil {
			t.Fatal(err)
		}
	}

	// The target is a link.
	dir1 := filepath.Join(base, "link-at-target")
	mkdir(t, dir1)
	link(decoy("target"), filepath.Join(dir1, name))
	link(filepath.Join(outside, "missing"), filepath.Join(dir1, "dangling-"+name))
	if _, err := write(filepath.Join(dir1, name), data); err == nil {
		t.Fatalf("writing %s through a link succeeded", name)
	}
	if _, err := write(filepath.Join(dir1, "dangling-"+name), data); err == nil {
		t.Fatalf("writing %s through a dangling link succeeded", name)
	}

	// Links at the backup names.
	dir2 := filepath.Join(base, "links-at-backups")
	mkdir(t, dir2)
	target := filepath.Join(dir2, name)
	if err := os.WriteFile(target, old, 0o600); err != nil {
		t.Fatal(err)
	}
	links := []string{name + safefile.BackupSuffix, "." + name + safefile.BackupSuffix}
	for i, l := range links {
		link(decoy("backup"+string(rune('0'+i))), filepath.Join(dir2, l))
	}
	backup, err := write(target, data)
	if err != nil {
		t.Fatalf("write with links at the backup names: %v", err)
	}
	if got := readRegular(t, target); !bytes.Equal(got, data) {
		t.Fatalf("target holds %q, want %q", got, data)
	}
	want := map[string]bool{name: true}
	for _, l := range links {
		want[l] = true // still a link, or replaced by the backup
	}
	if backup != "" {
		if filepath.Dir(backup) != dir2 {
			t.Fatalf("backup %s is outside %s", backup, dir2)
		}
		if got := readRegular(t, backup); !bytes.Equal(got, old) {
			t.Fatalf("backup holds %q, want the old content %q", got, old)
		}
	}
	for _, n := range List(t, dir2) {
		if !want[n] {
			t.Errorf("unexpected file %s left in %s", n, dir2)
		}
	}

	// Nothing outside changed or appeared.
	for _, n := range List(t, outside) {
		if got, err := os.ReadFile(filepath.Join(outside, n)); err != nil || string(got) != decoyContent {
			t.Errorf("decoy %s changed: %q, %v", n, got, err)
		}
	}
	if got := List(t, outside); len(got) != 3 {
		t.Errorf("files outside the target's directory: %v", got)
	}
	if got := List(t, base); len(got) != 3 {
		t.Errorf("files beside the target's directory: %v", got)
	}
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func readRegular(t testing.TB, p string) []byte {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Fatalf("%s is not a regular file: %v", p, fi.Mode())
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// List returns the names in dir, sorted.
func List(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
