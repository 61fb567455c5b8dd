// Package kubeconfig renders the kubeconfig users log in with: the cluster,
// and a user whose credentials come from kubelogin (kubectl-oidc_login) as a
// client-go exec credential plugin.
package kubeconfig

import (
	"encoding/base64"
	"errors"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Input is what a kubeconfig needs besides the spec.
type Input struct {
	Spec *v1alpha1.Spec
	// ClusterCA is the API server's CA bundle (PEM), if known.
	ClusterCA []byte
	// IssuerCA is the issuer's CA bundle (PEM) for a private issuer.
	IssuerCA []byte
	// ProxyCA is the CA bundle of the proxy's certificate (mode proxy), if private.
	ProxyCA []byte
	// User, when set, names the user entry and hints dex's login form.
	User string
	// ClientSecret of a confidential kubectl client; empty for public
	// clients, and for kubeconfigs meant to be handed out (see
	// ErrSharedClientSecret).
	ClientSecret string
}

// FileMode is the mode of every kubeconfig authstack writes or merges
// into: it holds credentials, and kubectl writes its own kubeconfigs 0600
// too (client-go clientcmd.WriteToFile).
const FileMode = 0o600

// ExecCommand is the credential plugin the kubeconfig runs: kubelogin's
// binary, under the name krew, Homebrew and its releases install it
// (int128/kubelogin README). Running it directly rather than as
// "kubectl oidc-login" lets a kuberc allowlist name kubelogin alone:
// allowing "kubectl" would allow every kubectl plugin on PATH.
const ExecCommand = "kubectl-oidc_login"

// ExecArgs are kubelogin's arguments: `kubectl-oidc_login get-token ...`.
func ExecArgs(in Input) []string {
	spec := in.Spec
	args := []string{
		"get-token",
		"--oidc-issuer-url=" + spec.IssuerURL(),
		"--oidc-client-id=" + spec.Kubectl.ClientID,
	}
	if in.ClientSecret != "" {
		args = append(args, "--oidc-client-secret="+in.ClientSecret)
	} else {
		// A public client has no secret to prove who it is; PKCE binds the
		// code to this login.
		args = append(args, "--oidc-pkce-method=S256")
	}
	for _, s := range spec.Kubectl.ExtraScopes {
		args = append(args, "--oidc-extra-scope="+s)
	}
	if len(in.IssuerCA) > 0 {
		args = append(args, "--certificate-authority-data="+base64.StdEncoding.EncodeToString(in.IssuerCA))
	}
	if in.User != "" {
		args = append(args, "--oidc-auth-request-extra-params=login_hint="+in.User)
	}
	return args
}

// UserName is the kubeconfig user entry of a person (or "" for anyone) on
// the spec's cluster: distinct per cluster, issuer and kubectl client, so
// that merging the kubeconfigs of several clusters into one file keeps a
// login for each, such as oidc-alice-example-com@prod/dex.example.com/kubernetes.
func UserName(spec *v1alpha1.Spec, person string) string {
	return loginName(person) + "@" + spec.Cluster.Name + "/" + strings.TrimPrefix(spec.IssuerURL(), "https://") + "/" + spec.Kubectl.ClientID
}

// loginName is oidc, or oidc-<person as a DNS label>; the context is
// <cluster>-<loginName>.
func loginName(person string) string {
	if person == "" {
		return "oidc"
	}
	return "oidc-" + v1alpha1.DNSLabel(person)
}

// ErrNoServer is Render's error for a spec without spec.cluster.server: a
// kubeconfig with a made-up server works for nobody.
var ErrNoServer = errors.New("spec.cluster.server is empty: set it to the API server URL users reach " +
	"(what kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' prints for an admin of the cluster)")

// execConfig runs kubelogin for the user entry.
func execConfig(in Input) *clientcmdv1.ExecConfig {
	return &clientcmdv1.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         ExecCommand,
		Args:            ExecArgs(in),
		InteractiveMode: clientcmdv1.IfAvailableExecInteractiveMode,
		InstallHint:     "kubelogin is needed to log in, as kubectl-oidc_login on PATH: https://github.com/int128/kubelogin (kubectl krew install oidc-login)",
	}
}

// Render returns the kubeconfig YAML.
func Render(in Input) ([]byte, error) {
	if in.Spec.ProxyMode() {
		return renderProxy(in)
	}
	spec := in.Spec
	name := spec.Cluster.Name
	login := loginName(in.User)
	user := UserName(spec, in.User)
	server := spec.Cluster.Server
	if server == "" {
		return nil, ErrNoServer
	}
	cfg := clientcmdv1.Config{
		Kind:       "Config",
		APIVersion: "v1",
		Clusters: []clientcmdv1.NamedCluster{{
			Name:    name,
			Cluster: clientcmdv1.Cluster{Server: server, CertificateAuthorityData: in.ClusterCA},
		}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{
			Name:     user,
			AuthInfo: clientcmdv1.AuthInfo{Exec: execConfig(in)},
		}},
		Contexts: []clientcmdv1.NamedContext{{
			Name:    name + "-" + login,
			Context: clientcmdv1.Context{Cluster: name, AuthInfo: user},
		}},
		CurrentContext: name + "-" + login,
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	head := []byte("# kubeconfig rendered by authstack: kubectl logs in through kubelogin (" + ExecCommand + ").\n")
	if p := spec.Kubectl.Public; p != nil && !*p && in.ClientSecret == "" {
		head = append(head, "# The kubectl client is confidential and this kubeconfig, meant to be handed out, has no secret:\n"+
			"# each user runs authstack kubeconfig --merge, or set spec.kubectl.public: true.\n"...)
	}
	return append(head, out...), nil
}
