package safefile

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// BackupSuffix is appended to a file's name to name its backup copy.
const BackupSuffix = ".authstack.bak"

// Options say how Write treats the file it replaces.
type Options struct {
	// Mode is the mode of the written file (0600 when zero).
	Mode fs.FileMode
	// KeepMode keeps the mode (and, where permitted, the owner) of an
	// existing file instead of Mode: for the user's files edited in place.
	KeepMode bool
	// Private marks a file of secrets: it is always 0600, never given to
	// another owner, and an existing one owned by another user is refused.
	Private bool
	// Backup keeps a copy of the replaced content (see BackupName).
	Backup bool
}

// Write replaces the file at path with data so that readers see either the
// old or the new content, never a mix: data goes to a new temporary file
// in the same directory (created exclusively, so no existing file or link is
// opened), is synced, and is renamed over path. The directory is opened once
// and every step works inside it, so a directory swapped midway cannot
// redirect the write.
//
// path itself must not be a symbolic link or a special file: a link would
// let whoever placed it choose which file authstack overwrites.
//
// With Backup, the old content is first kept under BackupName (replacing an
// older backup) and that path is returned. When path already holds exactly
// data, nothing is written and backup is "", so that the backup of the real
// original is not overwritten by a copy of an already patched file.
func Write(path string, data []byte, opts Options) (backup string, err error) {
	dir, base := filepath.Split(path)
	if base == "" || base == "." || base == ".." {
		return "", fmt.Errorf("write %s: not a file name", path)
	}
	rootDir := dir
	if rootDir == "" {
		rootDir = "."
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer root.Close()

	mode := opts.Mode
	if mode == 0 {
		mode = PrivateMode
	}
	if opts.Private {
		mode = PrivateMode
	}
	var owner *fileOwner
	fi, err := root.Lstat(base)
	switch {
	case err == nil:
		old, curMode, err := readExisting(root, path, base, fi, opts.Private)
		if err != nil {
			return "", err
		}
		if opts.KeepMode && !opts.Private {
			mode = curMode
			owner = ownerOf(fi)
		}
		if bytes.Equal(old, data) && curMode == mode {
			return "", nil
		}
		if opts.Backup && !bytes.Equal(old, data) {
			name := BackupName(rootDir, base, old)
			if err := replace(root, name, old, mode, owner); err != nil {
				return "", fmt.Errorf("write %s: keep backup: %w", path, err)
			}
			backup = dir + name
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return "", fmt.Errorf("write %s: %w", path, err)
	}

	if err := replace(root, base, data, mode, owner); err != nil {
		return backup, fmt.Errorf("write %s: %w", path, err)
	}
	return backup, nil
}

// readExisting returns the content and mode bits of the file base in root,
// which Lstat described as fi.
func readExisting(root *os.Root, path, base string, fi fs.FileInfo, private bool) ([]byte, fs.FileMode, error) {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, 0, linkError(path)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, notRegular(path, fi.Mode())
	}
	if private {
		if err := checkOwner(path, fi); err != nil {
			return nil, 0, err
		}
	}
	f, err := root.OpenFile(base, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	// The file opened must be the one checked: a link swapped in after
	// Lstat would have been followed.
	if cur, err := f.Stat(); err != nil {
		return nil, 0, err
	} else if !os.SameFile(fi, cur) {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: errors.New("the file changed while authstack was reading it; try again")}
	}
	old, err := ReadAll(f, path)
	if err != nil {
		return nil, 0, err
	}
	return old, fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), nil
}

// staticPodDir is where kubeadm (its default staticPodPath) and kubespray
// (kube_manifest_dir) put the control plane's static pod manifests.
const staticPodDir = "/etc/kubernetes/manifests"

// BackupName is the name of the backup of the file base in dir whose
// content is old: base + BackupSuffix beside it, so the user finds it next
// to the file; but a dot-file, "." + base + BackupSuffix, when dir may be a
// kubelet static pod directory: it is the default one, or old is itself a
// Pod manifest (staticPodPath is configurable, so any Pod manifest may sit
// in one). The kubelet runs every file in that directory whose name does not
// start with a dot, whatever its extension (kubernetes
// pkg/kubelet/config/file.go, extractFromDir globs "[^.]*"), so a plain
// backup there would start a second, stale kube-apiserver. The backup stays
// in the same directory so that it is on the same filesystem and is written
// by an atomic rename like the file itself; kubeadm's own backups under
// /etc/kubernetes/tmp may be on another filesystem and would need a
// directory authstack creates.
func BackupName(dir, base string, old []byte) string {
	if abs, err := filepath.Abs(dir); (err == nil && abs == staticPodDir) || isPod(old) {
		return "." + base + BackupSuffix
	}
	return base + BackupSuffix
}

// isPod reports whether data is a manifest the kubelet would run: a YAML or
// JSON document of kind Pod in apiVersion v1.
func isPod(data []byte) bool {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return false
	}
	return tm.APIVersion == "v1" && tm.Kind == "Pod"
}

// replace atomically puts data at name in root via a synced temporary file.
// The temporary name starts with a dot for the same reason as BackupName's.
func replace(root *os.Root, name string, data []byte, mode fs.FileMode, owner *fileOwner) (err error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmpName := "." + name + ".tmp-" + hex.EncodeToString(rnd[:])
	// O_EXCL: a file or link already at the random name fails the open
	// instead of being written through.
	tmp, err := root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			root.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	// Chmod the descriptor explicitly so the umask plays no part.
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
	// rename(2) replaces a link at name with the file; it never writes
	// through it.
	if err := root.Rename(tmpName, name); err != nil {
		return err
	}
	syncDir(root)
	return nil
}

// syncDir makes the rename durable. Some filesystems refuse to sync a
// directory; the rename has happened regardless, so failures are ignored.
func syncDir(root *os.Root) {
	d, err := root.Open(".")
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// MkdirUnder creates the directory rel (slash-separated, relative) under
// base, one component at a time, refusing a component that exists as a
// symbolic link or as anything but a directory: base is the user's choice,
// what lies under it is what authstack writes, and a link there (one
// committed to a Git repository, say) would carry rendered files anywhere.
func MkdirUnder(base, rel string, perm fs.FileMode) error {
	if err := os.MkdirAll(base, perm); err != nil {
		return err
	}
	rel = path.Clean(rel)
	if rel == "." {
		return nil
	}
	if path.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%s: not a path inside %s", rel, base)
	}
	cur := base
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(cur, perm); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			fi, err = os.Lstat(cur)
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link: authstack writes only into real directories under %s; remove the link", cur, base)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", cur)
		}
	}
	return nil
}
