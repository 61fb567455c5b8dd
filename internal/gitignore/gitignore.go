// Package gitignore tells whether Git would ignore a file, and lists a file
// in a .gitignore when none covers it: generated secrets must stay out of
// version control. It reads the .gitignore files from the file's directory
// up to the repository's top (the directory holding .git); of Git's pattern
// syntax it knows what such files hold in practice: comments, negation,
// anchored and unanchored names with globs, "**/" prefixes and
// directory-only patterns. Global excludes and .git/info/exclude are not
// read, so Ignored may say false where Git ignores: the safe side for
// Ensure, which then writes a line that is merely redundant.
package gitignore

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/authstack/authstack/internal/safefile"
)

// Ignored reports whether a .gitignore covers the file at p.
func Ignored(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	// Directories from the top down: deeper .gitignore files take
	// precedence, and within one file the last matching pattern wins.
	var dirs []string
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		dirs = append([]string{dir}, dirs...)
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil || dir == filepath.Dir(dir) {
			break
		}
	}
	ignored := false
	for _, dir := range dirs {
		data, err := safefile.Read(filepath.Join(dir, ".gitignore"))
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if neg, ok := match(strings.TrimRight(line, "\r"), filepath.ToSlash(rel)); ok {
				ignored = !neg
			}
		}
	}
	return ignored
}

// match tells whether the pattern line matches the file rel (slash-separated,
// relative to the .gitignore's directory), and whether it is a negation.
func match(line, rel string) (neg, ok bool) {
	line = strings.TrimRight(line, " \t")
	if line == "" || strings.HasPrefix(line, "#") {
		return false, false
	}
	if strings.HasPrefix(line, "!") {
		neg, line = true, line[1:]
	}
	line = strings.TrimPrefix(line, `\`)
	dirOnly := strings.HasSuffix(line, "/")
	line = strings.TrimSuffix(line, "/")
	line = strings.TrimPrefix(line, "**/")
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	parts := strings.Split(rel, "/")
	for i := range parts {
		isDir := i < len(parts)-1
		if dirOnly && !isDir {
			continue
		}
		candidate := parts[i]
		if anchored {
			candidate = strings.Join(parts[:i+1], "/")
		}
		if m, _ := path.Match(line, candidate); m {
			return neg, true
		}
	}
	return false, false
}

// Ensure lists the file at p in the .gitignore of its directory unless a
// .gitignore already covers it; it reports whether it wrote.
func Ensure(p, why string) (bool, error) {
	if Ignored(p) {
		return false, nil
	}
	gi := filepath.Join(filepath.Dir(p), ".gitignore")
	old, err := safefile.ReadNoFollow(gi)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	text := string(old)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += "# " + why + "\n/" + escape(filepath.Base(p)) + "\n"
	_, err = safefile.Write(gi, []byte(text), safefile.Options{Mode: 0o644, KeepMode: true})
	return err == nil, err
}

// escape quotes what Git would read as a pattern in a file name.
func escape(name string) string {
	var b strings.Builder
	if strings.HasPrefix(name, "#") || strings.HasPrefix(name, "!") {
		b.WriteByte('\\')
	}
	for _, r := range name {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Merge returns the .gitignore text existing with every line of add that
// it lacks appended, so a .gitignore a user already has in an output
// directory keeps its own rules when authstack adds its own.
func Merge(existing, add []byte) []byte {
	if len(existing) == 0 {
		return add
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(existing), "\n") {
		have[strings.TrimRight(l, "\r")] = true
	}
	out := string(existing)
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	for _, l := range strings.Split(strings.TrimRight(string(add), "\n"), "\n") {
		if !have[l] || l == "" {
			out += l + "\n"
			have[l] = true
		}
	}
	return []byte(out)
}
