//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

const (
	// O_NONBLOCK makes opening a named pipe return at once instead of
	// waiting for a writer; it changes nothing for regular files.
	nonBlock = syscall.O_NONBLOCK
	noFollow = syscall.O_NOFOLLOW
)

// isLinkErr reports the error open(2) gives for a symbolic link under
// O_NOFOLLOW (ELOOP on Linux, EMLINK on some BSDs).
func isLinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}
