package patch

import "github.com/authstack/authstack/internal/safefile"

// BackupSuffix is appended to a file's name to name its backup copy.
const BackupSuffix = safefile.BackupSuffix

// WriteFileAtomic replaces the user's file at path with data, the way every
// file authstack edits in place is written (see safefile.Write): atomically,
// never through a symbolic link, keeping the file's mode (and, where
// permitted, its owner); a new file gets 0600 because these files often hold
// client secrets.
//
// When path already exists with other content, a copy of it is first kept
// (replacing an older backup) and its name is returned: path + BackupSuffix,
// or a dot-file for a static pod manifest (see safefile.BackupName). When
// path already holds exactly data, nothing is written and backup is "".
func WriteFileAtomic(path string, data []byte) (backup string, err error) {
	return safefile.Write(path, data, safefile.Options{Mode: 0o600, KeepMode: true, Backup: true})
}
