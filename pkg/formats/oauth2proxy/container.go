package oauth2proxy

import (
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Objects gives the content of the Secrets and ConfigMaps a Pod refers
// to, when they are known (the same manifests, or the live cluster).
type Objects interface {
	// Secret returns the data of a Secret of the Pod's namespace.
	Secret(name string) (map[string]string, bool)
	// ConfigMap returns the data of a ConfigMap of the Pod's namespace.
	ConfigMap(name string) (map[string]string, bool)
}

// IsContainer reports whether a container runs oauth2-proxy: its image
// or its command names it.
func IsContainer(c *corev1.Container) bool {
	s := c.Image + " " + strings.Join(c.Command, " ")
	return strings.Contains(s, "oauth2-proxy") || strings.Contains(s, "oauth2_proxy")
}

// ParseContainer reads the configuration of an oauth2-proxy container of
// a Pod template: its flags, its OAUTH2_PROXY_* environment (literal,
// from a Secret or ConfigMap key, or envFrom), and the --config and
// --alpha-config files when they are mounted from a ConfigMap or Secret
// that objs holds. A file it cannot read is an error naming the flag.
// Secret values are known only when objs holds the Secret.
func ParseContainer(spec *corev1.PodSpec, c *corev1.Container, objs Objects) (*Config, error) {
	env := containerEnv(c, objs)
	var args []string
	if len(c.Command) > 1 {
		args = append(args, c.Command[1:]...)
	}
	for _, a := range c.Args {
		args = append(args, expandEnv(a, env))
	}
	fl, err := ParseArgs(args)
	if err != nil {
		return nil, err
	}
	var file *Config
	if fl.Config != "" {
		data, where, err := mounted(spec, c, fl.Config, objs)
		if err != nil {
			return nil, fmt.Errorf("--config=%s: %w", fl.Config, err)
		}
		l, other, err := tomlLayer(data, where+": ")
		if err != nil {
			return nil, fmt.Errorf("--config=%s (%s): %w", fl.Config, where, err)
		}
		if file, err = decode(l); err != nil {
			return nil, err
		}
		file.Other = other
	}
	cfg, err := Merge(file, env, fl)
	if err != nil {
		return nil, err
	}
	if fl.AlphaConfig != "" {
		if err := alphaConflicts(file, fl); err != nil {
			return nil, err
		}
		data, where, err := mounted(spec, c, fl.AlphaConfig, objs)
		if err != nil {
			return nil, fmt.Errorf("--alpha-config=%s: %w", fl.AlphaConfig, err)
		}
		alpha, err := ParseAlpha(data, env)
		if err != nil {
			return nil, fmt.Errorf("--alpha-config=%s (%s): %w", fl.AlphaConfig, where, err)
		}
		for k, w := range alpha.Given {
			alpha.Given[k] = strings.Replace(w, "alpha config", where+":", 1)
		}
		cfg = withAlpha(cfg, alpha)
	}
	return cfg, nil
}

// alphaConflicts refuses, beside --alpha-config, the options the alpha
// config replaces when the config file or a flag gives them: oauth2-proxy
// does not start then (the config file is read with UnmarshalExact into
// options.Options, the flags with options.NewFlagSet; main.go
// loadOptions). From the environment they are ignored.
func alphaConflicts(file *Config, fl *Args) error {
	var bad []string
	if file != nil {
		for k, w := range file.Given {
			if alphaOnly[k] {
				bad = append(bad, w)
			}
		}
	}
	for k, v := range fl.layer {
		if alphaOnly[k] {
			bad = append(bad, v.where)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s: oauth2-proxy refuses these options beside --alpha-config, which must give them instead (\"'options.Options' has invalid keys\")", strings.Join(bad, ", "))
}

// containerEnv resolves the container's environment: literal values,
// Secret and ConfigMap key references, and envFrom sources (whose
// variables a later env entry overrides, as the kubelet does).
func containerEnv(c *corev1.Container, objs Objects) []Env {
	var env []Env
	for _, src := range c.EnvFrom {
		var data map[string]string
		var ok bool
		var from string
		switch {
		case src.SecretRef != nil:
			from = "Secret " + src.SecretRef.Name
			data, ok = objs.Secret(src.SecretRef.Name)
		case src.ConfigMapRef != nil:
			from = "ConfigMap " + src.ConfigMapRef.Name
			data, ok = objs.ConfigMap(src.ConfigMapRef.Name)
		}
		if !ok {
			continue // which variables it sets is unknown
		}
		for k, v := range data {
			env = append(env, Env{Name: src.Prefix + k, Value: v, Known: true, From: from + " key " + k})
		}
	}
	for _, e := range c.Env {
		v := Env{Name: e.Name}
		switch {
		case e.ValueFrom == nil:
			v.Value, v.Known = expandEnv(e.Value, env), true
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v.From = fmt.Sprintf("Secret %s key %s", ref.Name, ref.Key)
			if data, ok := objs.Secret(ref.Name); ok {
				v.Value, v.Known = data[ref.Key]
			}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			v.From = fmt.Sprintf("ConfigMap %s key %s", ref.Name, ref.Key)
			if data, ok := objs.ConfigMap(ref.Name); ok {
				v.Value, v.Known = data[ref.Key]
			}
		default:
			v.From = "the downward API"
		}
		env = append(env, v)
	}
	// The last definition of a name wins.
	seen := map[string]int{}
	var out []Env
	for _, e := range env {
		if i, ok := seen[e.Name]; ok {
			out[i] = e
			continue
		}
		seen[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}

// expandEnv replaces $(NAME) by a known variable's value, as the kubelet
// does in args and env values; other references stay as written.
func expandEnv(s string, env []Env) string {
	if !strings.Contains(s, "$(") {
		return s
	}
	for _, e := range env {
		if e.Known {
			s = strings.ReplaceAll(s, "$("+e.Name+")", e.Value)
		}
	}
	return s
}

// mounted reads a file of the container from the ConfigMap or Secret
// volume mounted at its directory (or at the file itself with subPath).
func mounted(spec *corev1.PodSpec, c *corev1.Container, file string, objs Objects) ([]byte, string, error) {
	for _, m := range c.VolumeMounts {
		key := ""
		switch {
		case m.SubPath != "" && path.Clean(m.MountPath) == path.Clean(file):
			key = m.SubPath
		case m.SubPath == "" && path.Dir(path.Clean(file)) == path.Clean(m.MountPath):
			key = path.Base(file)
		default:
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != m.Name {
				continue
			}
			var data map[string]string
			var ok bool
			var what string
			switch {
			case v.ConfigMap != nil:
				what = "ConfigMap " + v.ConfigMap.Name
				data, ok = objs.ConfigMap(v.ConfigMap.Name)
				key = itemKey(v.ConfigMap.Items, key)
			case v.Secret != nil:
				what = "Secret " + v.Secret.SecretName
				data, ok = objs.Secret(v.Secret.SecretName)
				key = itemKey(v.Secret.Items, key)
			default:
				return nil, "", fmt.Errorf("volume %s is neither a ConfigMap nor a Secret", v.Name)
			}
			if !ok {
				return nil, "", fmt.Errorf("%s (volume %s) is not among the given objects", what, v.Name)
			}
			d, ok := data[key]
			if !ok {
				return nil, "", fmt.Errorf("%s has no key %s", what, key)
			}
			return []byte(d), what + " " + key, nil
		}
	}
	return nil, "", fmt.Errorf("no ConfigMap or Secret volume is mounted there")
}

// itemKey maps a file name back to its key when a volume lists items.
func itemKey(items []corev1.KeyToPath, file string) string {
	for _, it := range items {
		if it.Path == file {
			return it.Key
		}
	}
	return file
}
