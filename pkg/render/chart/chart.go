// Package chart renders the embedded Helm chart from a typed Values struct.
// It is the only package that imports helm, and only in its tests: the
// binary executes the chart's templates itself (engine.go), the way helm's
// engine does, with the few template functions the chart uses. Linking
// helm's engine would link its chartutil package and with it a JSON Schema
// library whose initialisation every authstack command paid for (issue 12).
// TestRenderMatchesHelm pins the output to helm's engine byte for byte, so
// the chart still renders the same with plain `helm template`.
package chart

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Values is everything the chart reads; field names are the chart's value keys.
type Values struct {
	Instance string        `json:"instance"`
	Dex      *DexValues    `json:"dex"`
	Proxies  []ProxyValues `json:"proxies"`
	// IngressFrom is who may reach dex, the proxies and the apps.
	IngressFrom IngressFrom `json:"ingressFrom"`
}

// IngressFrom names the ingress controller in the NetworkPolicies: its
// namespace and, for a controller on the host network, node CIDRs.
type IngressFrom struct {
	Namespace string   `json:"namespace"`
	CIDRs     []string `json:"cidrs,omitempty"`
}

// DexValues configure the dex Deployment, Service, Ingress and RBAC.
type DexValues struct {
	Namespace         string       `json:"namespace"`
	Image             string       `json:"image"`
	Replicas          int32        `json:"replicas"`
	Host              string       `json:"host"`
	Path              string       `json:"path,omitempty"`
	IngressClassName  string       `json:"ingressClassName"`
	TLSSecret         string       `json:"tlsSecret"`
	CertManager       *CertManager `json:"certManager,omitempty"`
	ConfigSecret      string       `json:"configSecret"`
	EnvSecret         string       `json:"envSecret"`
	ConfigChecksum    string       `json:"configChecksum"`
	KubernetesStorage bool         `json:"kubernetesStorage"`
	// StorageResources and StorageVerbs are what dex's Role allows.
	StorageResources []string `json:"storageResources,omitempty"`
	StorageVerbs     []string `json:"storageVerbs,omitempty"`
}

// CertManager names the issuer that signs the dex certificate.
type CertManager struct {
	Issuer string `json:"issuer"`
	Kind   string `json:"kind"`
}

// ProxyValues configure one app's oauth2-proxy and its Ingresses, or,
// with a shared sign-in host, one of the shared proxies (ProxyOnly) or one
// app's Ingress and NetworkPolicy (AppOnly).
type ProxyValues struct {
	// Name of the proxy's Deployment, Service and ConfigMap.
	Name string `json:"name,omitempty"`
	// ProxyOnly renders the proxy without an app; AppOnly the app without a proxy.
	ProxyOnly bool `json:"proxyOnly,omitempty"`
	AppOnly   bool `json:"appOnly,omitempty"`
	// SignIn renders the Ingress of /oauth2 on host to this proxy.
	SignIn bool `json:"signIn,omitempty"`
	// ClientSecret is a Secret key the user provides for the client
	// secret, instead of client-secret in Secret.
	ClientSecret     *SecretKey        `json:"clientSecret,omitempty"`
	App              string            `json:"app"`
	Namespace        string            `json:"namespace"`
	Image            string            `json:"image"`
	Host             string            `json:"host"`
	IngressClassName string            `json:"ingressClassName"`
	TLSSecret        string            `json:"tlsSecret"`
	Secret           string            `json:"secret"`
	Config           string            `json:"config"`
	ConfigChecksum   string            `json:"configChecksum"`
	IssuerCA         string            `json:"issuerCA,omitempty"`
	ProxyBufferSize  string            `json:"proxyBufferSize"`
	Annotations      map[string]string `json:"annotations"`
	Upstream         Upstream          `json:"upstream"`

	// AlphaConfig, when set, is given as --alpha-config (a headers-mode
	// proxy's identity headers).
	AlphaConfig string `json:"alphaConfig,omitempty"`
}

// SecretKey is one key of a Secret.
type SecretKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Upstream is the app's Service.
type Upstream struct {
	Service string `json:"service"`
	Port    int32  `json:"port"`
	// PodSelector selects the app's Pods for their NetworkPolicy; empty
	// renders none.
	PodSelector map[string]string `json:"podSelector,omitempty"`
}

// Render returns the chart's manifests, one YAML document per object, in a
// stable order (by template file, then by position in it).
func Render(v Values) ([]string, error) {
	c, err := loadChart()
	if err != nil {
		return nil, fmt.Errorf("load embedded chart: %w", err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	values := coalesce(m, deepCopy(c.defaults).(map[string]any))
	out, err := c.execute(values, release{Name: v.Instance, Namespace: "default", Service: "Helm", IsInstall: true, Revision: 1})
	if err != nil {
		return nil, fmt.Errorf("render chart: %w", err)
	}
	names := make([]string, 0, len(out))
	for name := range out {
		if path.Ext(name) == ".yaml" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []string
	for _, name := range names {
		for _, doc := range strings.Split(out[name], "\n---") {
			if strings.TrimSpace(stripComments(doc)) != "" {
				docs = append(docs, strings.TrimPrefix(doc, "\n"))
			}
		}
	}
	return docs, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
