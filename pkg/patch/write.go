package patch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BackupSuffix is appended to a file's path to name its backup copy.
const BackupSuffix = ".authstack.bak"

// WriteFileAtomic replaces the file at path with data so that readers see
// either the old or the new content, never a mix: data goes to a temporary
// file in the same directory, is synced, and is renamed over path. The
// file's mode (and, where permitted, its owner) is kept; a new file gets
// 0600 because these files often hold client secrets.
//
// When path already exists with other content, a copy of it is first kept
// at path + BackupSuffix (replacing an older backup) and its name is
// returned. When path already holds exactly data, nothing is written and
// backup is "", so that the backup of the real original is not overwritten
// by a copy of an already patched file.
func WriteFileAtomic(path string, data []byte) (backup string, err error) {
	// Write through symlinks: renaming over a link would turn it into a file.
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}

	mode := fs.FileMode(0o600)
	var owner *fileOwner
	switch fi, err := os.Stat(target); {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("write %s: not a regular file", path)
		}
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		owner = ownerOf(fi)
		old, err := os.ReadFile(target)
		if err != nil {
			return "", fmt.Errorf("write %s: read current content: %w", path, err)
		}
		if bytes.Equal(old, data) {
			return "", nil
		}
		backup = path + BackupSuffix
		if err := replace(backup, old, mode, owner); err != nil {
			return "", fmt.Errorf("write %s: keep backup: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return "", fmt.Errorf("write %s: %w", path, err)
	}

	if err := replace(target, data, mode, owner); err != nil {
		return backup, fmt.Errorf("write %s: %w", path, err)
	}
	return backup, nil
}

// replace atomically puts data at path via a synced temporary file.
func replace(path string, data []byte, mode fs.FileMode, owner *fileOwner) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	// CreateTemp makes 0600 files; chmod explicitly so the umask plays no part.
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	owner.apply(tmp)
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable. Some filesystems refuse to sync a
// directory; the rename has happened regardless, so failures are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
