package kubeconfig

import (
	"fmt"
	"os"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render/dex"
	"github.com/authstack/authstack/pkg/secrets"
)

// StackOptions say what a user's kubeconfig needs besides the spec.
type StackOptions struct {
	// User names the user entry and hints the login form.
	User string
	// SecretsFile is the secrets file of `authstack render`; it is read
	// only when the kubectl client is confidential.
	SecretsFile string
}

// ForStack builds the Input of a loaded spec: the CA files it names, and
// the kubectl client secret that `authstack render` generated for a
// confidential client. It never generates a secret: one that dex does not
// know would only fail at login.
func ForStack(stack *config.Stack, opts StackOptions) (Input, error) {
	in := Input{Spec: &stack.Spec, User: opts.User}
	var err error
	if in.ClusterCA, err = stack.ReadCA(stack.Spec.Cluster.CertificateAuthority, "spec.cluster.certificateAuthority"); err != nil {
		return Input{}, err
	}
	if in.IssuerCA, err = stack.ReadCA(stack.Spec.IssuerCAFile(), "the issuer caFile"); err != nil {
		return Input{}, err
	}
	if p := stack.Spec.Kubectl.Public; p != nil && !*p {
		name := dex.ClientSecretName(stack.Spec.Kubectl.ClientID)
		if _, err := os.Stat(opts.SecretsFile); err != nil {
			return Input{}, fmt.Errorf("kubectl client %q is confidential and its secret comes from authstack render: %w (run authstack render first, or pass --secrets-file)", stack.Spec.Kubectl.ClientID, err)
		}
		v, ok, err := (&secrets.FileStore{Path: opts.SecretsFile}).Lookup(name)
		if err != nil {
			return Input{}, err
		}
		if !ok || v == "" {
			return Input{}, fmt.Errorf("secrets file %s has no %s: run authstack render first", opts.SecretsFile, name)
		}
		in.ClientSecret = v
	}
	return in, nil
}
