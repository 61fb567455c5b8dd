package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// ClusterSecretName is the Secret that holds every value authstack generated
// for a stack, so that a re-apply from any machine reuses them.
const ClusterSecretName = "authstack-generated"

// ClusterNamespace is where the stack's generated Secret lives: the dex
// namespace, or the first app's namespace when the issuer is external.
func ClusterNamespace(spec *v1alpha1.Spec) string {
	if spec.Issuer.Dex != nil && spec.Issuer.Dex.Namespace != "" {
		return spec.Issuer.Dex.Namespace
	}
	for _, a := range spec.Apps {
		if a.Namespace != "" {
			return a.Namespace
		}
	}
	return "default"
}

// Cluster is a Source whose generated values live in the Secret
// authstack-generated: values found there are reused and never rotated; new
// ones are generated and kept in memory until the caller applies Secret().
type Cluster struct {
	Namespace string
	// Dir resolves relative paths of user-provided secret files.
	Dir string
	// Warn receives warnings about the local secrets file SeedFromFile
	// reads; nil means os.Stderr.
	Warn io.Writer

	mu      sync.Mutex
	values  map[string]string // by Secret key
	changed bool
}

// LoadCluster reads the generated values of the stack from the cluster. A
// missing Secret is not an error: everything is generated on first use.
func LoadCluster(ctx context.Context, client corev1client.SecretsGetter, namespace, dir string) (*Cluster, error) {
	c := &Cluster{Namespace: namespace, Dir: dir, values: map[string]string{}}
	s, err := client.Secrets(namespace).Get(ctx, ClusterSecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("read generated secrets from Secret %s/%s: %w", namespace, ClusterSecretName, err)
	}
	for k, v := range s.Data {
		c.values[k] = string(v)
	}
	return c, nil
}

// NewCluster is a Cluster that starts from values (keys as in the Secret).
func NewCluster(namespace, dir string, values map[string]string) *Cluster {
	c := &Cluster{Namespace: namespace, Dir: dir, values: map[string]string{}}
	for k, v := range values {
		c.values[k] = v
	}
	return c
}

// SeedFromFile fills in values the cluster does not have yet from a local
// secrets file (as `authstack render` keeps them), so that moving from
// render-and-kubectl to apply does not rotate them. Values already in the
// cluster always win; a missing file is not an error. It returns how many
// values it took.
func (c *Cluster) SeedFromFile(path string) (int, error) {
	data, err := safefile.ReadPrivate(path, func(msg string) {
		w := c.Warn
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintln(w, msg)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read secrets file: %w", err)
	}
	local := map[string]string{}
	if err := yaml.UnmarshalStrict(data, &local); err != nil {
		return 0, fmt.Errorf("secrets file %s: %w", path, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for name, v := range local {
		key := ClusterKey(name)
		if _, ok := c.values[key]; ok || v == "" {
			continue
		}
		c.values[key] = v
		c.changed = true
		n++
	}
	return n, nil
}

var invalidKeyChars = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// ClusterKey is the Secret key of a generated value's name: "/" becomes "."
// and any other character a Secret key cannot hold becomes "_".
func ClusterKey(name string) string {
	return invalidKeyChars.ReplaceAllString(strings.ReplaceAll(name, "/", "."), "_")
}

// Generated implements Source.
func (c *Cluster) Generated(name string, size int) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := ClusterKey(name)
	if v, ok := c.values[key]; ok {
		return v, nil
	}
	v, err := Random(size)
	if err != nil {
		return "", err
	}
	c.values[key] = v
	c.changed = true
	return v, nil
}

// Provided implements Source.
func (c *Cluster) Provided(ref *v1alpha1.SecretRef) (string, error) {
	return Resolve(ref, c.Dir)
}

// Changed reports whether a value was generated that the cluster does not
// have yet.
func (c *Cluster) Changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Keys lists the Secret keys held, sorted; never the values.
func (c *Cluster) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Secret is the desired authstack-generated Secret with every value held,
// including values the current spec no longer uses, so nothing is lost.
func (c *Cluster) Secret(labels map[string]string) *corev1.Secret {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterSecretName, Namespace: c.Namespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data:       make(map[string][]byte, len(c.values)),
	}
	for k, v := range c.values {
		s.Data[k] = []byte(v)
	}
	return s
}
