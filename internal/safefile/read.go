package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxSize is the largest file authstack reads. Specs, configs and manifests
// are kilobytes; the cap keeps a wrong path (a device, a log, a disk image)
// from filling memory.
const MaxSize = 8 << 20

// Follow says whether opening a path may follow a symbolic link.
type Follow bool

const (
	// FollowLinks is for files authstack only reads (spec, CA bundles).
	FollowLinks Follow = true
	// NoFollow is for files authstack reads in order to write them back:
	// the write would not go through the link, so the read must not either.
	NoFollow Follow = false
)

// Open opens path for reading and returns it with its metadata, taken from
// the open descriptor so that what was checked is what is read. Anything but
// a regular file is refused; a named pipe is opened without blocking so the
// refusal comes at once instead of a hang.
func Open(path string, follow Follow) (*os.File, fs.FileInfo, error) {
	flag := os.O_RDONLY | nonBlock
	if follow == NoFollow {
		flag |= noFollow
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		if follow == NoFollow && isLinkErr(err) {
			return nil, nil, linkError(path)
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, fi.Mode())
	}
	return f, fi, nil
}

// ReadAll reads f, named name in errors, up to MaxSize.
func ReadAll(f *os.File, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("file is larger than %d MiB, more than any file authstack reads; check the path", MaxSize>>20)}
	}
	return data, nil
}

// Read returns the content of the regular file at path, following links.
// A missing file gives an error that matches fs.ErrNotExist.
func Read(path string) ([]byte, error) { return read(path, FollowLinks) }

// ReadNoFollow is Read for a file that is to be written back: a symbolic
// link is refused, as Write refuses it.
func ReadNoFollow(path string) ([]byte, error) { return read(path, NoFollow) }

func read(path string, follow Follow) ([]byte, error) {
	f, _, err := Open(path, follow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path)
}

// ReadPrivate reads a file of secrets that authstack keeps (it follows no
// link). A file owned by another user is refused: its values are not ours to
// use, and writing it back would hand our secrets to its owner or take the
// file from them. A file that group or others may read is set to 0600 on the
// open descriptor, and warn is told so, since its values may have leaked.
func ReadPrivate(path string, warn func(msg string)) ([]byte, error) {
	f, fi, err := Open(path, NoFollow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(PrivateMode); err != nil {
			return nil, &fs.PathError{Op: "chmod", Path: path, Err: fmt.Errorf("the file holds secrets but has mode %04o (group or others may read it), and setting it to 0600 failed: %w; fix its mode or remove it", perm, err)}
		}
		if warn != nil {
			warn(fmt.Sprintf("warning: %s holds secrets but had mode %04o (group or others could read it); it is now 0600. If others may have read it, delete it and render again to generate new secrets", path, perm))
		}
	}
	return ReadAll(f, path)
}

// PrivateMode is the mode of files that hold secrets.
const PrivateMode fs.FileMode = 0o600

// The errors below are *fs.PathError, as os's are, so that callers that
// print the path themselves can unwrap the reason.

func linkError(path string) error {
	msg := "is a symbolic link: authstack does not write through links, so that a link cannot redirect a write to another file"
	if target, err := filepath.EvalSymlinks(path); err == nil {
		msg += fmt.Sprintf("; give the file it points to (%s) instead", target)
	}
	return &fs.PathError{Op: "open", Path: path, Err: errors.New(msg)}
}

func notRegular(path string, m fs.FileMode) error {
	what := "not a regular file"
	switch {
	case m.IsDir():
		what = "is a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "is a named pipe"
	case m&fs.ModeSocket != 0:
		what = "is a socket"
	case m&fs.ModeDevice != 0:
		what = "is a device"
	}
	return &fs.PathError{Op: "open", Path: path, Err: errors.New(what + ": authstack reads and writes regular files only")}
}
