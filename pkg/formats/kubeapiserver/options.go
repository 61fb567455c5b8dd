package kubeapiserver

import (
	"sort"
	"strings"
)

// Kind says how kube-apiserver reads a flag given more than once.
type Kind int

const (
	// Single is a string flag: the last occurrence wins.
	Single Kind = iota
	// List is a pflag StringSlice: each occurrence is a comma-separated
	// list, and occurrences add up (spf13/pflag string_slice.go Set).
	List
	// Pairs is a component-base MapStringString with NoSplit: one
	// key=value per occurrence, and occurrences add up
	// (k8s.io/component-base/cli/flag map_string_string.go Set).
	Pairs
)

// Option is one API server authentication option and the installer
// settings that carry it. Kubeadm needs no column: its extraArgs name the
// flag itself.
type Option struct {
	Flag string
	Kind Kind
	// Kubespray is the inventory variable kubespray's kubeadm-config
	// templates turn into this flag (roles/kubernetes/control-plane/templates
	// kubeadm-config.v1beta3.yaml.j2 and .v1beta4.yaml.j2, v2.24 to v2.31),
	// or "" when kubespray has none and cannot set the option.
	Kubespray string
	// KubesprayToggle marks a variable that is a boolean switching the
	// option on, with a value kubespray chooses itself (the path of the
	// AuthenticationConfiguration it writes).
	KubesprayToggle bool
}

// Kubespray variables that gate the others.
const (
	// KubesprayOIDC must be true for kubespray to write any --oidc-* flag;
	// it also needs kube_oidc_url and kube_oidc_client_id.
	KubesprayOIDC = "kube_oidc_auth"
	// KubesprayJWT holds the jwt authenticators kubespray v2.31 writes into
	// its AuthenticationConfiguration file.
	KubesprayJWT = "kube_apiserver_authentication_config_jwt"
)

// AuthConfigFlag points the API server at an AuthenticationConfiguration file.
const AuthConfigFlag = "authentication-config"

// Options is the one table of which installer setting carries which API
// server option (kubernetes pkg/kubeapiserver/options/authentication.go
// declares the flags and their types).
var Options = []Option{
	{Flag: "oidc-issuer-url", Kubespray: "kube_oidc_url"},
	{Flag: "oidc-client-id", Kubespray: "kube_oidc_client_id"},
	{Flag: "oidc-ca-file", Kubespray: "kube_oidc_ca_file"},
	{Flag: "oidc-username-claim", Kubespray: "kube_oidc_username_claim"},
	{Flag: "oidc-username-prefix", Kubespray: "kube_oidc_username_prefix"},
	{Flag: "oidc-groups-claim", Kubespray: "kube_oidc_groups_claim"},
	{Flag: "oidc-groups-prefix", Kubespray: "kube_oidc_groups_prefix"},
	// Neither has a kube_oidc_* variable: kubespray's templates never
	// write them, whatever the inventory says.
	{Flag: "oidc-required-claim", Kind: Pairs},
	{Flag: "oidc-signing-algs", Kind: List},
	{Flag: AuthConfigFlag, Kubespray: "kube_apiserver_use_authentication_config_file", KubesprayToggle: true},
}

// Lookup returns the option of a flag, and whether authstack knows it.
func Lookup(flag string) (Option, bool) {
	for _, o := range Options {
		if o.Flag == flag {
			return o, true
		}
	}
	return Option{}, false
}

// OIDCFlags are the names of every --oidc-* option; kube-apiserver refuses
// them together with --authentication-config.
func OIDCFlags() []string {
	var out []string
	for _, o := range Options {
		if strings.HasPrefix(o.Flag, "oidc-") {
			out = append(out, o.Flag)
		}
	}
	return out
}

// Values returns the values of every occurrence of flag, in order.
func Values(flags []Flag, name string) []string {
	var out []string
	for _, f := range flags {
		if f.Name == name {
			out = append(out, f.Value)
		}
	}
	return out
}

// Effective is the value kube-apiserver ends up with for each flag given:
// the last one of a Single flag, every occurrence joined by commas for a
// List or Pairs flag (and for a flag authstack does not know, the last).
func Effective(flags []Flag) map[string]string {
	out := map[string]string{}
	for _, f := range flags {
		o, _ := Lookup(f.Name)
		if old, ok := out[f.Name]; ok && o.Kind != Single {
			out[f.Name] = old + "," + f.Value
			continue
		}
		out[f.Name] = f.Value
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
