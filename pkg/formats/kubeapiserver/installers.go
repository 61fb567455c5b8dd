package kubeapiserver

import (
	"fmt"
	"strings"
)

// Var is one kubespray inventory variable.
type Var struct {
	Name  string
	Value any
}

// KubesprayVars returns the kube_oidc_* variables that make kubespray
// write flags, in their order. An option kubespray has no variable for, or
// one given twice, is an error: kubespray would drop it, and an API server
// without, say, its required claim lets in tokens the spec refuses.
func KubesprayVars(flags []Flag) ([]Var, error) {
	vars := []Var{{Name: KubesprayOIDC, Value: true}}
	seen := map[string]bool{}
	for _, f := range flags {
		o, ok := Lookup(f.Name)
		switch {
		case !ok || o.Kubespray == "":
			return nil, fmt.Errorf("kube-apiserver flag --%s: kubespray has no inventory variable for it (its kubeadm-config templates write only %s); set spec.apiServer.mode to authentication-config (kubespray v2.31 and later), or give the flag to kubespray by hand in kube_kubeadm_apiserver_extra_args", f.Name, strings.Join(kubesprayFlagVars(), ", "))
		case o.KubesprayToggle:
			return nil, fmt.Errorf("kube-apiserver flag --%s: kubespray sets it from %s and its own file; render the jwt authenticators into %s instead", f.Name, o.Kubespray, KubesprayJWT)
		case seen[f.Name]:
			return nil, fmt.Errorf("kube-apiserver flag --%s is given twice; kubespray's %s holds one value", f.Name, o.Kubespray)
		}
		seen[f.Name] = true
		vars = append(vars, Var{Name: o.Kubespray, Value: f.Value})
	}
	return vars, nil
}

func kubesprayFlagVars() []string {
	var out []string
	for _, o := range Options {
		if o.Kubespray != "" && !o.KubesprayToggle {
			out = append(out, o.Kubespray)
		}
	}
	return out
}

// KubesprayFlags reads the flags kubespray writes from inventory variables:
// the kube_oidc_* ones when kube_oidc_auth is true (oidc reports it), and
// structured when kube_apiserver_use_authentication_config_file is true.
// Variables kubespray ignores are not read.
func KubesprayFlags(vars map[string]any) (flags []Flag, oidc, structured bool) {
	oidc = vars[KubesprayOIDC] == true
	for _, o := range Options {
		v, ok := vars[o.Kubespray]
		switch {
		case o.Kubespray == "" || !ok || v == nil:
		case o.KubesprayToggle:
			if v == true {
				structured = true
			}
		case oidc:
			flags = append(flags, Flag{Name: o.Flag, Value: fmt.Sprint(v)})
		}
	}
	return flags, oidc, structured
}

// KubesprayVar names the inventory variable that carries flag, or "".
func KubesprayVar(flag string) string {
	o, _ := Lookup(flag)
	return o.Kubespray
}

// Kubeadm config versions and the shape of their apiServer.extraArgs.
const (
	KubeadmV1beta3 = "kubeadm.k8s.io/v1beta3" // a map: one value per flag
	KubeadmV1beta4 = "kubeadm.k8s.io/v1beta4" // a list of {name, value}
)

// KubeadmExtraArgs prints flags as apiServer.extraArgs of the kubeadm config
// version: a []map[string]string for v1beta4, a map[string]string for
// v1beta3, which cannot hold a flag twice.
func KubeadmExtraArgs(apiVersion string, flags []Flag) (any, error) {
	switch apiVersion {
	case KubeadmV1beta4:
		out := make([]map[string]string, 0, len(flags))
		for _, f := range flags {
			out = append(out, map[string]string{"name": f.Name, "value": f.Value})
		}
		return out, nil
	case KubeadmV1beta3:
		out := map[string]string{}
		for _, f := range flags {
			if _, dup := out[f.Name]; dup {
				return nil, fmt.Errorf("apiServer.extraArgs: --%s is given more than once, which %s (a map) cannot hold; use %s", f.Name, KubeadmV1beta3, KubeadmV1beta4)
			}
			out[f.Name] = f.Value
		}
		return out, nil
	}
	return nil, fmt.Errorf("kubeadm config %s is not supported; use %s or %s", apiVersion, KubeadmV1beta3, KubeadmV1beta4)
}

// ParseKubeadmExtraArgs reads apiServer.extraArgs as decoded from YAML: a
// map (v1beta3, read in name order) or a list of {name, value} (v1beta4, in
// order, repeated names kept). shape is "map" or "list", "" when absent.
func ParseKubeadmExtraArgs(v any) (flags []Flag, shape string, err error) {
	switch args := v.(type) {
	case nil:
		return nil, "", nil
	case map[string]any:
		for _, n := range sortedKeys(args) {
			flags = append(flags, Flag{Name: n, Value: scalar(args[n])})
		}
		return flags, "map", nil
	case []any:
		for i, it := range args {
			e, ok := it.(map[string]any)
			if !ok {
				return nil, "list", fmt.Errorf("apiServer.extraArgs[%d]: expected a map with name and value", i)
			}
			name, ok := e["name"].(string)
			if !ok || name == "" {
				return nil, "list", fmt.Errorf("apiServer.extraArgs[%d]: no name", i)
			}
			flags = append(flags, Flag{Name: name, Value: scalar(e["value"])})
		}
		return flags, "list", nil
	}
	return nil, "", fmt.Errorf("apiServer.extraArgs: expected a map (%s) or a list (%s)", KubeadmV1beta3, KubeadmV1beta4)
}

func scalar(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
