package apiproxy

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// ClustersConfig is the --clusters-config file: the clusters one proxy
// serves, each under /<name>/.
type ClustersConfig struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Clusters   []Cluster `json:"clusters"`
}

// Cluster is one API server behind the proxy.
type Cluster struct {
	// Name is the first path segment the cluster is served under.
	Name string `json:"name"`
	// Server is the API server's https URL.
	Server string `json:"server"`
	// CertificateAuthority is a PEM file of the CAs that sign the API
	// server's serving certificate.
	CertificateAuthority string `json:"certificateAuthority"`
	// TokenFile holds the bearer token of the proxy's impersonating
	// identity in that cluster; client-go re-reads it when it changes.
	TokenFile string `json:"tokenFile"`
}

const (
	clustersAPIVersion = "authstack.dev/v1alpha1"
	clustersKind       = "ProxyClusters"
)

// LoadClusters reads and checks a --clusters-config file. Every error names
// the file and the field.
func LoadClusters(path string) ([]Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--clusters-config: %w", err)
	}
	var cfg ClustersConfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("--clusters-config %s: %w", path, err)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("--clusters-config %s: %w", path, err)
	}
	return cfg.Clusters, nil
}

func (c *ClustersConfig) validate() error {
	var errs []string
	if c.APIVersion != clustersAPIVersion {
		errs = append(errs, fmt.Sprintf("apiVersion: %q, want %q", c.APIVersion, clustersAPIVersion))
	}
	if c.Kind != clustersKind {
		errs = append(errs, fmt.Sprintf("kind: %q, want %q", c.Kind, clustersKind))
	}
	if len(c.Clusters) == 0 {
		errs = append(errs, "clusters: lists no cluster")
	}
	seen := map[string]bool{}
	for i, cl := range c.Clusters {
		f := fmt.Sprintf("clusters[%d]", i)
		for _, m := range validation.IsDNS1123Label(cl.Name) {
			errs = append(errs, fmt.Sprintf("%s.name: %q: %s", f, cl.Name, m))
		}
		// The first path segment of a request picks the cluster; one named
		// like a Kubernetes API root would shadow it for every cluster.
		switch cl.Name {
		case "api", "apis", "healthz", "readyz", "livez", "version", "openapi", "metrics":
			errs = append(errs, fmt.Sprintf("%s.name: %q is a Kubernetes API path; choose another name", f, cl.Name))
		}
		if seen[cl.Name] {
			errs = append(errs, fmt.Sprintf("%s.name: %q is listed twice", f, cl.Name))
		}
		seen[cl.Name] = true
		u, err := url.Parse(cl.Server)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("%s.server: %v", f, err))
		case u.Scheme != "https" || u.Host == "":
			errs = append(errs, fmt.Sprintf("%s.server: %q must be an https:// URL (the proxy sends its credential there)", f, cl.Server))
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			errs = append(errs, fmt.Sprintf("%s.server: %q must have no user, query or fragment", f, cl.Server))
		}
		if cl.CertificateAuthority == "" {
			errs = append(errs, f+".certificateAuthority: required (the API server's CA file)")
		}
		if cl.TokenFile == "" {
			errs = append(errs, f+".tokenFile: required (the impersonator's token file)")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// restConfig is the proxy's own credential for the cluster.
func (c Cluster) restConfig() (*rest.Config, error) {
	for _, f := range []string{c.CertificateAuthority, c.TokenFile} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	return &rest.Config{
		Host:            c.Server,
		BearerTokenFile: c.TokenFile,
		TLSClientConfig: rest.TLSClientConfig{CAFile: c.CertificateAuthority},
	}, nil
}

// defaultCluster is the single cluster served at / without
// --clusters-config: the one of --kubeconfig, else the in-cluster service
// account (whose token file client-go re-reads).
func defaultCluster(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no --clusters-config and no --kubeconfig, and not in a cluster: %w", err)
	}
	return cfg, nil
}
