//go:build unix

package patch

import (
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
