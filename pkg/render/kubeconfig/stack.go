package kubeconfig

import (
	"errors"
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
	// Private says the kubeconfig goes only to the user running authstack
	// (their own kubeconfig, mode 0600), so it may hold a confidential
	// kubectl client's secret. Any other kubeconfig is meant to be handed
	// out, and a confidential client gets none.
	Private bool
}

// ErrSharedClientSecret is why a kubeconfig meant to be handed out cannot
// serve a confidential kubectl client: kubelogin takes a client secret
// only as the --oidc-client-secret argument, which the kubeconfig holds;
// it has no option to read it from a file or the environment
// (int128/kubelogin pkg/cmd/get_token.go).
var ErrSharedClientSecret = errors.New("spec.kubectl.public is false, and kubelogin reads a confidential client's secret only from the kubeconfig (--oidc-client-secret), so every copy of this kubeconfig would carry it: set spec.kubectl.public: true (the default: kubelogin then proves the login with PKCE, no secret), or merge into your own kubeconfig with --merge")

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
	if p := stack.Spec.Proxy; p != nil && stack.Spec.ProxyMode() {
		if in.ProxyCA, err = stack.ReadCA(p.TLS.CAFile, "spec.proxy.tls.caFile"); err != nil {
			return Input{}, err
		}
	}
	if p := stack.Spec.Kubectl.Public; p != nil && !*p {
		if !opts.Private {
			return Input{}, ErrSharedClientSecret
		}
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
