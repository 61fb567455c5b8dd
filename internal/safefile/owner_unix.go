//go:build unix

package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

type fileOwner struct{ uid, gid int }

func ownerOf(fi fs.FileInfo) *fileOwner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &fileOwner{uid: int(st.Uid), gid: int(st.Gid)}
}

// apply gives f the original owner. Only root may do that for other users;
// a failure leaves the file owned by whoever runs authstack, which is what
// any editor would do too.
func (o *fileOwner) apply(f *os.File) {
	if o == nil {
		return
	}
	_ = f.Chown(o.uid, o.gid)
}

// checkOwner refuses a file of secrets that another user owns.
func checkOwner(path string, fi fs.FileInfo) error {
	o := ownerOf(fi)
	if o == nil || o.uid == os.Geteuid() {
		return nil
	}
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("the file holds secrets and is owned by uid %d, not by you (uid %d): authstack neither uses nor rewrites another user's secrets file; run as its owner, or name another file with --secrets-file", o.uid, os.Geteuid())}
}
