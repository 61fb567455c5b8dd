package importer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/authstack/authstack/internal/gitignore"
	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/initspec"
	"github.com/authstack/authstack/pkg/secrets"
)

// Header starts every spec import writes.
const Header = `# authstack.yaml written by authstack import from an existing setup.
# Read the import report (what could not be expressed) before applying.
# Check it with:  authstack validate -f authstack.yaml
# Compare it with: authstack apply -f authstack.yaml --diff --dry-run=server
`

// Marshal writes the spec as init does and checks that it loads exactly as
// authstack validate loads it.
func Marshal(res *Result, name string) ([]byte, error) {
	data, err := initspec.MarshalWithHeader(res.Spec, Header)
	if err != nil {
		return nil, err
	}
	if _, err := config.Parse(name, data); err != nil {
		return nil, fmt.Errorf("import produced a spec that does not validate, please report this: %w", err)
	}
	return data, nil
}

// WriteOptions say where the spec and its secrets go.
type WriteOptions struct {
	// SpecPath is the authstack.yaml to write.
	SpecPath string
	// SecretsPath is authstack's secrets file (default
	// authstack.secrets.yaml beside the spec, where render and apply look).
	SecretsPath string
	// Force replaces an existing spec (a backup is kept).
	Force bool
	// Warn receives warnings about the secrets files (nil: os.Stderr).
	Warn io.Writer
}

// Write writes the spec, keeps the imported secret values in authstack's
// secrets file and the provided ones in private files beside the spec. No
// secret goes into the spec. It returns the paths written.
func Write(res *Result, opts WriteOptions) ([]string, error) {
	data, err := Marshal(res, opts.SpecPath)
	if err != nil {
		return nil, err
	}
	if !opts.Force {
		if _, err := os.Lstat(opts.SpecPath); err == nil {
			return nil, fmt.Errorf("%s already exists: pass --force to replace it (a backup is kept), or -o to write elsewhere", opts.SpecPath)
		}
	}
	dir := filepath.Dir(opts.SpecPath)
	if opts.SecretsPath == "" {
		opts.SecretsPath = filepath.Join(dir, "authstack.secrets.yaml")
	}
	var written []string
	// Secrets first: a spec without them would render new ones.
	if len(res.Generated) > 0 {
		store := &secrets.FileStore{Path: opts.SecretsPath, Dir: dir, Warn: opts.Warn}
		for _, k := range sortedKeys(res.Generated) {
			if err := store.Keep(k, res.Generated[k]); err != nil {
				return nil, fmt.Errorf("import: %w", err)
			}
		}
		wrote, err := store.Save()
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		if wrote {
			written = append(written, opts.SecretsPath)
		}
	}
	for _, name := range sortedKeys(res.Provided) {
		p := filepath.Join(dir, name)
		if old, err := safefile.Read(p); err == nil && string(old) != res.Provided[name]+"\n" {
			return nil, fmt.Errorf("import: %s already exists with another value; move it away to import this setup's value", p)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("import: %w", err)
		}
		if _, err := safefile.Write(p, []byte(res.Provided[name]+"\n"), safefile.Options{Private: true}); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		if _, err := gitignore.Ensure(p, "Secrets imported by authstack: keep them out of version control."); err != nil {
			w := opts.Warn
			if w == nil {
				w = os.Stderr
			}
			fmt.Fprintf(w, "warning: could not list %s in a .gitignore (%v): keep it out of version control\n", p, err)
		}
		written = append(written, p)
	}
	if _, err := safefile.Write(opts.SpecPath, data, safefile.Options{Mode: 0o644, Backup: true}); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return append(written, opts.SpecPath), nil
}
