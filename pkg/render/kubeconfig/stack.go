package kubeconfig

import (
	"bytes"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render/dex"
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
	if in.ClusterCA, err = readPEM(stack, stack.Spec.Cluster.CertificateAuthority, "spec.cluster.certificateAuthority"); err != nil {
		return Input{}, err
	}
	if in.IssuerCA, err = readPEM(stack, stack.Spec.IssuerCAFile(), "the issuer caFile"); err != nil {
		return Input{}, err
	}
	if p := stack.Spec.Kubectl.Public; p != nil && !*p {
		name := dex.ClientSecretName(stack.Spec.Kubectl.ClientID)
		data, err := os.ReadFile(opts.SecretsFile)
		if err != nil {
			return Input{}, fmt.Errorf("kubectl client %q is confidential and its secret comes from authstack render: %w (run authstack render first, or pass --secrets-file)", stack.Spec.Kubectl.ClientID, err)
		}
		var values map[string]string
		if err := yaml.Unmarshal(data, &values); err != nil {
			return Input{}, fmt.Errorf("secrets file %s: %w", opts.SecretsFile, err)
		}
		if in.ClientSecret = values[name]; in.ClientSecret == "" {
			return Input{}, fmt.Errorf("secrets file %s has no %s: run authstack render first", opts.SecretsFile, name)
		}
	}
	return in, nil
}

func readPEM(stack *config.Stack, path, what string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(stack.Path(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in the file", what, path)
	}
	return data, nil
}
