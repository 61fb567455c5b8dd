package render

import (
	"path"
	"path/filepath"

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
		opts := safefile.Options{Mode: 0o644}
		if f.Private || f.Path == secretsFile || f.Path == "kubeconfig.yaml" {
			opts.Private = true
		}
		if _, err := safefile.Write(p, f.Data, opts); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}
