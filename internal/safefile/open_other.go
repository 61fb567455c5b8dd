//go:build !unix

package safefile

// Other systems have neither flag; Open still checks the file type on the
// open handle, and Write checks for links with Lstat.
const (
	nonBlock = 0
	noFollow = 0
)

func isLinkErr(error) bool { return false }
