package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Formats of an output directory.
const (
	FormatYAML      = "yaml"
	FormatKustomize = "kustomize"
)

// WriteDir writes every file under dir. With FormatKustomize it also writes
// a kustomization.yaml listing the manifests, so a GitOps repository can
// use the directory as a base. Secrets are written with mode 0600.
func (res *Result) WriteDir(dir, format string) ([]string, error) {
	files, err := res.AllFiles()
	if err != nil {
		return nil, err
	}
	if format == FormatKustomize {
		var b strings.Builder
		b.WriteString("# Rendered by authstack.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
		for _, f := range files {
			if strings.HasPrefix(f.Path, "manifests/") {
				fmt.Fprintf(&b, "- %s\n", f.Path)
			}
		}
		files = append(files, File{Path: "kustomization.yaml", Data: []byte(b.String())})
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, err
		}
		mode := os.FileMode(0o644)
		if f.Path == secretsFile || f.Path == "kubeconfig.yaml" {
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
