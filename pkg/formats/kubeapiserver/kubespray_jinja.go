package kubeapiserver

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// kubesprayDefaults are the role defaults that the templates of kubespray's
// sample inventory refer to (kube_oidc_ca_file: "{{ kube_cert_dir }}/ca.pem"),
// from kubespray roles/kubespray_defaults/defaults/main/main.yml. A variable
// of the file wins over them, as group_vars win over role defaults.
var kubesprayDefaults = map[string]any{
	"kube_config_dir": "/etc/kubernetes",
	"kube_cert_dir":   "{{ kube_config_dir }}/ssl",
}

// jinjaVar is a plain variable reference, {{ name }}, with the optional
// whitespace control dashes.
var jinjaVar = regexp.MustCompile(`\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}`)

// IsJinja reports whether s holds a Jinja expression, statement or comment,
// which Ansible renders before kubespray uses the value.
func IsJinja(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// ExpandKubesprayVars returns vars with the Jinja templates in the variables
// KubesprayFlags and KubesprayAuthConfig read rendered as Ansible renders
// them, when they are made of text and plain {{ name }} references to other
// variables of the file (or to the role defaults above). Anything else (a
// filter, a lookup, a variable defined in another group_vars file, host_vars
// or extra vars) cannot be evaluated from the file: it is an error naming
// the variable, rather than a template taken for the value, which would be
// compared as a URL, a prefix or a claim. Other variables are returned as
// they are; vars is not modified.
func ExpandKubesprayVars(vars map[string]any) (map[string]any, error) {
	names := []string{KubesprayOIDC, KubesprayJWT}
	for _, o := range Options {
		if o.Kubespray != "" {
			names = append(names, o.Kubespray)
		}
	}
	sort.Strings(names)
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	seen := map[string]bool{}
	for _, name := range names {
		v, ok := vars[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		x, err := expandValue(vars, v, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = x
	}
	return out, nil
}

const maxJinjaDepth = 10

// expandValue renders the strings of v, walking lists and maps.
func expandValue(vars map[string]any, v any, depth int) (any, error) {
	switch x := v.(type) {
	case string:
		return expandString(vars, x, depth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			y, err := expandValue(vars, e, depth)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			y, err := expandValue(vars, e, depth)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = y
		}
		return out, nil
	}
	return v, nil
}

func expandString(vars map[string]any, s string, depth int) (any, error) {
	if !IsJinja(s) {
		return s, nil
	}
	if depth >= maxJinjaDepth {
		return nil, fmt.Errorf("%q: the Jinja references go %d levels deep (a variable that refers to itself?)", s, maxJinjaDepth)
	}
	lookup := func(name string) (any, error) {
		v, ok := vars[name]
		if !ok {
			v, ok = kubesprayDefaults[name]
		}
		if !ok || v == nil {
			return nil, fmt.Errorf("%q is a Jinja expression authstack cannot evaluate: %s is not defined in this file (Ansible takes it from other group_vars, host_vars, extra vars or role defaults); write the value itself, or give the API server's manifest (--apiserver-manifest /etc/kubernetes/manifests/kube-apiserver.yaml) instead", s, name)
		}
		return expandValue(vars, v, depth+1)
	}
	// A lone reference keeps the type of what it names, as Ansible turns
	// "{{ flag }}" of a boolean back into a boolean.
	if m := jinjaVar.FindStringSubmatchIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
		return lookup(s[m[2]:m[3]])
	}
	var firstErr error
	rendered := jinjaVar.ReplaceAllStringFunc(s, func(ref string) string {
		v, err := lookup(jinjaVar.FindStringSubmatch(ref)[1])
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return ref
		}
		switch v.(type) {
		case []any, map[string]any:
			if firstErr == nil {
				firstErr = fmt.Errorf("%q: %s is a list or map, which authstack does not render into text", s, ref)
			}
			return ref
		}
		return fmt.Sprint(v)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if IsJinja(rendered) {
		return nil, fmt.Errorf("%q is a Jinja expression authstack cannot evaluate (only plain {{ variable }} references to this file's variables are); write the value itself, or give the API server's manifest (--apiserver-manifest /etc/kubernetes/manifests/kube-apiserver.yaml) instead", s)
	}
	return rendered, nil
}
