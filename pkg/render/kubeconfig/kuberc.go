package kubeconfig

import (
	"sigs.k8s.io/yaml"
)

// The kuberc types mirror kubectl's kubectl.config.k8s.io/v1beta1
// Preference (k8s.io/kubectl/pkg/config/v1beta1), with only the credential
// plugin fields; authstack does not depend on k8s.io/kubectl for four fields.
const (
	KubercAPIVersion = "kubectl.config.k8s.io/v1beta1"
	KubercKind       = "Preference"
	// PluginPolicyAllowlist lets only the listed credential plugins run.
	PluginPolicyAllowlist = "Allowlist"
)

// Preference is a kuberc file (~/.kube/kuberc).
type Preference struct {
	APIVersion                string           `json:"apiVersion"`
	Kind                      string           `json:"kind"`
	CredentialPluginPolicy    string           `json:"credentialPluginPolicy,omitempty"`
	CredentialPluginAllowlist []AllowlistEntry `json:"credentialPluginAllowlist,omitempty"`
}

// AllowlistEntry allows one credential plugin, matched by its resolved
// path. command replaces the deprecated name in kubectl 1.36+
// (k8s.io/kubectl/pkg/config/v1beta1 AllowlistEntry).
type AllowlistEntry struct {
	Command string `json:"command,omitempty"`
}

// Kuberc returns a kuberc that allows exactly the credential plugin of the
// rendered kubeconfig, kubelogin, and no other. kubectl compares
// exec.LookPath of both sides, so the entry names the command the same
// way the kubeconfig does.
func Kuberc() ([]byte, error) {
	p := Preference{
		APIVersion:                KubercAPIVersion,
		Kind:                      KubercKind,
		CredentialPluginPolicy:    PluginPolicyAllowlist,
		CredentialPluginAllowlist: []AllowlistEntry{{Command: ExecCommand}},
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	head := []byte("# kuberc (~/.kube/kuberc, or KUBERC=FILE): kubectl runs only the credential plugins listed here.\n" +
		"# The kubeconfig from authstack runs \"" + ExecCommand + " get-token\" (kubelogin); a full path here narrows it further.\n")
	return append(head, out...), nil
}
