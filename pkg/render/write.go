package render

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/authstack/authstack/internal/safefile"
)

// Formats of an output directory.
const (
	FormatYAML      = "yaml"
	FormatKustomize = "kustomize"
)

// WriteDir writes every file under dir. With FormatKustomize it also writes
// a kustomization.yaml listing the manifests, so a GitOps repository can
// use the directory as a base. Secrets are written with mode 0600. Files
// are written atomically, never through a symbolic link, and only into real
// directories under dir (see safefile).
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
		if err := safefile.MkdirUnder(dir, path.Dir(f.Path), 0o755); err != nil {
			return written, err
		}
		opts := safefile.Options{Mode: 0o644}
		if f.Path == secretsFile || f.Path == "kubeconfig.yaml" {
			opts.Private = true
		}
		if _, err := safefile.Write(p, f.Data, opts); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}
