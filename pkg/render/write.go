package render

import (
	"os"
	"path/filepath"
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
// are written with mode 0600.
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
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, err
		}
		mode := os.FileMode(0o644)
		if f.Private || f.Path == secretsFile || f.Path == "kubeconfig.yaml" {
			mode = 0o600
		}
		if err := os.WriteFile(p, f.Data, mode); err != nil {
			return written, err
		}
		// WriteFile keeps the mode of an existing file; tighten it.
		if err := os.Chmod(p, mode); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}
