// Package secrets provides the secret values a rendered stack needs: values
// authstack generates once and keeps (client secrets, cookie secrets), and
// values the user provides through an environment variable or a file.
package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/gitignore"
	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Source hands out secret values. Implementations never log them.
type Source interface {
	// Generated returns the kept value named name, creating a random one of
	// size bytes the first time.
	Generated(name string, size int) (string, error)
	// Provided resolves a value the user supplies.
	Provided(ref *v1alpha1.SecretRef) (string, error)
}

// Random returns size random bytes, base64url encoded with padding: it
// decodes back to exactly size bytes, which is what oauth2-proxy checks for
// its cookie secret.
func Random(size int) (string, error) {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// Resolve reads a user-provided secret; relative files are resolved from dir.
func Resolve(ref *v1alpha1.SecretRef, dir string) (string, error) {
	switch {
	case ref == nil:
		return "", nil
	case ref.Env != "":
		v, ok := os.LookupEnv(ref.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", ref.Env)
		}
		return v, nil
	case ref.File != "":
		p := ref.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := safefile.Read(p)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	return "", fmt.Errorf("secret reference names neither env nor file")
}

// FileStore keeps generated secrets in a local YAML file (mode 0600), so
// rendering twice gives the same values and nothing is rotated silently.
// The file must be a regular file (not a link) of the user running
// authstack; one that group or others may read is set to 0600 with a
// warning. A new file is listed in a .gitignore beside it unless one
// already covers it.
type FileStore struct {
	Path string
	// Dir resolves relative paths of user-provided secret files.
	Dir string
	// Warn receives warnings about the file, such as a mode that let others
	// read it; nil means os.Stderr, since such a warning must not be lost.
	Warn io.Writer

	mu      sync.Mutex
	values  map[string]string
	loaded  bool
	changed bool
	created bool // the file did not exist when it was loaded
}

func (s *FileStore) warn(msg string) {
	w := s.Warn
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintln(w, msg)
}

// Generated implements Source.
func (s *FileStore) Generated(name string, size int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return "", err
	}
	if v, ok := s.values[name]; ok {
		return v, nil
	}
	v, err := Random(size)
	if err != nil {
		return "", err
	}
	s.values[name] = v
	s.changed = true
	return v, nil
}

// Lookup returns a kept value without generating one.
func (s *FileStore) Lookup(name string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return "", false, err
	}
	v, ok := s.values[name]
	return v, ok, nil
}

// Keep stores a value that already exists elsewhere (import takes over the
// secrets of a running setup), so that render uses it instead of generating
// one. A different value already kept under name is an error: replacing it
// would rotate a secret that a deployed stack uses.
func (s *FileStore) Keep(name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	if v, ok := s.values[name]; ok {
		if v != value {
			return fmt.Errorf("secrets file %s already keeps another value for %s; move the file away to import this setup's value", s.Path, name)
		}
		return nil
	}
	s.values[name] = value
	s.changed = true
	return nil
}

// Provided implements Source.
func (s *FileStore) Provided(ref *v1alpha1.SecretRef) (string, error) {
	return Resolve(ref, s.Dir)
}

func (s *FileStore) load() error {
	if s.loaded {
		return nil
	}
	s.values = map[string]string{}
	data, err := safefile.ReadPrivate(s.Path, s.warn)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.created = true
	case err != nil:
		return fmt.Errorf("read secrets file: %w", err)
	default:
		if err := yaml.UnmarshalStrict(data, &s.values); err != nil {
			return fmt.Errorf("secrets file %s: %w", s.Path, err)
		}
	}
	s.loaded = true
	return nil
}

// Save writes the file when a value was generated; it reports whether it did.
func (s *FileStore) Save() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.changed {
		return false, nil
	}
	body, err := yaml.Marshal(s.values)
	if err != nil {
		return false, err
	}
	data := append([]byte("# Secrets generated by authstack. Keep this file private and out of version control.\n"), body...)
	if _, err := safefile.Write(s.Path, data, safefile.Options{Private: true}); err != nil {
		return false, fmt.Errorf("write secrets file: %w", err)
	}
	s.changed = false
	if s.created {
		s.created = false
		if wrote, err := gitignore.Ensure(s.Path, "Secrets generated by authstack: keep them out of version control."); err != nil {
			s.warn(fmt.Sprintf("warning: could not list %s in a .gitignore (%v): keep it out of version control", s.Path, err))
		} else if wrote {
			s.warn(fmt.Sprintf("listed %s in %s", filepath.Base(s.Path), filepath.Join(filepath.Dir(s.Path), ".gitignore")))
		}
	}
	return true, nil
}

// Fixed is a deterministic Source for tests and examples: generated values
// are derived from their names, user values from the reference.
type Fixed struct{}

// Generated implements Source.
func (Fixed) Generated(name string, size int) (string, error) {
	seed := sha256.Sum256([]byte("fixed:" + name))
	b := make([]byte, size)
	for i := range b {
		b[i] = seed[i%len(seed)] ^ byte(i/len(seed))
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// Provided implements Source.
func (Fixed) Provided(ref *v1alpha1.SecretRef) (string, error) {
	if ref == nil {
		return "", nil
	}
	return "provided:" + ref.Env + ref.File, nil
}
