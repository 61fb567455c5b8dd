package dexconfig

import (
	"fmt"
	"sort"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/yamledit"
)

// Form is how a file holds dex's config.
type Form string

// The forms users keep dex's config in.
const (
	// FormFile is dex's own config file, the one passed to dex serve.
	FormFile Form = "dex config file"
	// FormHelmValues is a values file of the dex Helm chart
	// (dexidp/helm-charts, charts/dex): the chart writes its config: map
	// into the Secret dex reads, unless configSecret.create is false.
	FormHelmValues Form = "dex Helm chart values"
	// FormSecret and FormConfigMap are Kubernetes objects whose config.yaml
	// key holds the file, as the chart and authstack render deploy it.
	FormSecret    Form = "Secret"
	FormConfigMap Form = "ConfigMap"
)

// ConfigKey is the key of a Secret or ConfigMap that holds dex's config
// file (the dex Helm chart mounts config.yaml; so does authstack's dex).
const ConfigKey = "config.yaml"

// topKeys are top-level settings of dex's config (dex cmd/dex/config.go,
// type Config) of which every real config has some: issuer and storage are
// required, connectors and staticClients are what there is to log in with.
var topKeys = []string{"issuer", "storage", "connectors", "staticClients"}

// helmConfigKey is the key under which the dex Helm chart's values carry
// dex's config (charts/dex/values.yaml, "config: {}").
const helmConfigKey = "config"

// detect tells which form the root of a document is. An empty document is
// an empty dex config file. strict refuses a map that has none of dex's
// main settings (a kubespray vars file, say), which an editor must not
// write into; a reader takes it for an incomplete dex config, whose
// missing settings it then reports.
func detect(root *yaml.Node, strict bool) (Form, error) {
	if yamledit.IsNull(root) {
		return FormFile, nil
	}
	if root.Kind != yaml.MappingNode {
		return "", fmt.Errorf("line %d: expected a map, found %s", root.Line, yamledit.KindName(root))
	}
	if av, kind, ok := yamledit.TypeMeta(root); ok {
		switch kind {
		case "Secret", "ConfigMap":
			return Form(kind), nil
		}
		return "", fmt.Errorf("it is %s, not a dex config", yamledit.Describe(av, kind))
	}
	for _, k := range topKeys {
		if key, _ := yamledit.Lookup(root, k); key != nil {
			return FormFile, nil
		}
	}
	if _, v := yamledit.Lookup(root, helmConfigKey); v != nil && (yamledit.IsNull(v) || v.Kind == yaml.MappingNode) {
		return FormHelmValues, nil
	}
	if !strict {
		return FormFile, nil
	}
	return "", fmt.Errorf("none of dex's settings %v at the top level, and no %s: map as the dex Helm chart's values have", topKeys, helmConfigKey)
}

// Parse reads dex's config from data in any of its forms. Errors name the
// line and the setting that is wrong.
func Parse(data []byte) (*Config, Form, error) {
	if err := checkTemplate(data); err != nil {
		return nil, "", err
	}
	doc, err := yamledit.ParseOne(data)
	if err != nil {
		return nil, "", err
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	form, err := detect(root, false)
	if err != nil {
		return nil, "", err
	}
	switch form {
	case FormFile:
		return parseFile(data, form)
	case FormHelmValues:
		var v struct {
			Config Config `json:"config"`
		}
		var raw struct {
			Config map[string]any `json:"config"`
		}
		if err = sigsyaml.Unmarshal(data, &v); err == nil {
			err = sigsyaml.Unmarshal(data, &raw)
		}
		if err != nil {
			return nil, form, err
		}
		return withKeys(&v.Config, raw.Config), form, nil
	}
	var obj any = &corev1.Secret{}
	if form == FormConfigMap {
		obj = &corev1.ConfigMap{}
	}
	if err := sigsyaml.Unmarshal(data, obj); err != nil {
		return nil, form, err
	}
	c, err := ParseObject(obj)
	return c, form, err
}

// ParseObject reads dex's config out of a Secret or ConfigMap that is
// already decoded (from a manifest stream or the API server): the file in
// its config.yaml key.
func ParseObject(obj any) (*Config, error) {
	text, form, ok := ConfigText(obj)
	if !ok {
		if form == "" {
			return nil, fmt.Errorf("%T does not carry a dex config", obj)
		}
		return nil, fmt.Errorf("the %s has no %s key, which is where dex's config goes", form, ConfigKey)
	}
	if err := checkTemplate(text); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigKey, err)
	}
	c, _, err := parseFile(text, FormFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigKey, err)
	}
	return c, nil
}

// ConfigText is the file in a decoded Secret's or ConfigMap's config.yaml
// key, and the object's form; ok is false when there is none. A Secret's
// stringData wins over its data, as the API server merges them.
func ConfigText(obj any) (text []byte, form Form, ok bool) {
	switch o := obj.(type) {
	case *corev1.Secret:
		if s, found := o.StringData[ConfigKey]; found {
			return []byte(s), FormSecret, true
		}
		text, ok = o.Data[ConfigKey]
		return text, FormSecret, ok
	case *corev1.ConfigMap:
		s, found := o.Data[ConfigKey]
		return []byte(s), FormConfigMap, found
	}
	return nil, "", false
}

// parseFile reads dex's own config file.
func parseFile(data []byte, form Form) (*Config, Form, error) {
	var c Config
	var top map[string]any
	err := sigsyaml.Unmarshal(data, &c)
	if err == nil {
		err = sigsyaml.Unmarshal(data, &top)
	}
	if err != nil {
		return nil, form, err
	}
	return withKeys(&c, top), form, nil
}

// withKeys records the top-level settings the config sets.
func withKeys(c *Config, top map[string]any) *Config {
	for k := range top {
		c.Keys = append(c.Keys, k)
	}
	sort.Strings(c.Keys)
	return c
}
