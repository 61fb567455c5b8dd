package render

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/authstack/authstack/internal/gitignore"
	"github.com/authstack/authstack/internal/safefile"
)

// Formats of an output directory.
const (
	FormatYAML      = "yaml"
	FormatKustomize = "kustomize"
	// FormatKustomizeExternal is FormatKustomize without the Secrets, for
	// an external secret manager.
	FormatKustomizeExternal = "kustomize-external"
)

// WriteDir writes every file under dir. With FormatKustomize the directory
// is a kustomize base for a GitOps repository (see KustomizeFiles). Secrets
// are written with mode 0600. Files are written atomically, never through a
// symbolic link, and only into real directories under dir (see safefile).
func (res *Result) WriteDir(dir, format string) ([]string, error) {
	all := res.AllFiles
	switch format {
	case FormatKustomize:
		all = res.KustomizeFiles
	case FormatKustomizeExternal:
		all = res.KustomizeExternalFiles
	}
	files, err := all()
	if err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := safefile.MkdirUnder(dir, path.Dir(f.Path), 0o755); err != nil {
			return written, err
		}
		private := f.Private || f.Path == secretsFile || f.Path == "kubeconfig.yaml"
		opts := safefile.Options{Mode: 0o644, Private: private}
		data := f.Data
		if path.Base(f.Path) == ".gitignore" {
			// The directory may be in the user's repository with a
			// .gitignore of its own: add to it, never replace it.
			old, err := safefile.ReadNoFollow(p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return written, err
			}
			data = gitignore.Merge(old, data)
		}
		if _, err := safefile.Write(p, data, opts); err != nil {
			return written, err
		}
		written = append(written, p)
		// In the plain YAML format the Secrets are files of the output
		// like any other; a .gitignore beside them keeps a `git add -A`
		// of the output directory from committing their values.
		if private && format == FormatYAML {
			if _, err := gitignore.Ensure(p, "secret values rendered by authstack; keep them out of Git"); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}
