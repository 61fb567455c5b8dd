package doctor

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// EdgeAuth is how an edge other than ingress-nginx asks oauth2-proxy about
// an app's requests: an Envoy Gateway SecurityPolicy's extAuth.http, a
// Gateway API HTTPRoute's ExternalAuth filter, or a Traefik ForwardAuth
// Middleware, normalized.
type EdgeAuth struct {
	Source string
	// Kind is SecurityPolicy, HTTPRoute or Middleware; Field is the path of
	// the auth settings in it.
	Kind, Namespace, Name, Field string
	// Envoy is set for Envoy's HTTP ext_authz (SecurityPolicy, ExternalAuth
	// filter), which allows only a 200 answer and sends the original path.
	Envoy bool
	// Service, ServiceNamespace and Port are the auth server (for Traefik,
	// parsed from the address); Path is the path (prefix for Envoy).
	Service, ServiceNamespace string
	Port                      int64
	Path                      string
	// RequestHeaders are the client headers listed for the auth server;
	// ResponseHeaders those copied from the answer onto the app request.
	RequestHeaders, ResponseHeaders []string
	// FailOpen is SecurityPolicy extAuth.failOpen; TrustForwardHeader is
	// Traefik's trustForwardHeader.
	FailOpen, TrustForwardHeader bool
}

func (e *EdgeAuth) ref() string { return fmt.Sprintf("%s %s/%s", e.Kind, e.Namespace, e.Name) }

func (e *EdgeAuth) at(field string) string {
	return fmt.Sprintf("%s: %s %s.%s", e.Source, e.ref(), e.Field, field)
}

// addEdgeObject reads the auth settings of an edge object; an object
// without any (an HTTPRoute with no ExternalAuth filter) adds nothing.
func (m *Model) addEdgeObject(source string, u *unstructured.Unstructured) {
	obj := u.Object
	base := EdgeAuth{Source: source, Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
	switch u.GetKind() {
	case "SecurityPolicy":
		ext, ok, _ := unstructured.NestedMap(obj, "spec", "extAuth")
		if !ok {
			return
		}
		http, ok, _ := unstructured.NestedMap(ext, "http")
		if !ok {
			return
		}
		e := base
		e.Field, e.Envoy = "spec.extAuth", true
		e.RequestHeaders, _, _ = unstructured.NestedStringSlice(ext, "headersToExtAuth")
		e.ResponseHeaders, _, _ = unstructured.NestedStringSlice(http, "headersToBackend")
		e.FailOpen, _, _ = unstructured.NestedBool(ext, "failOpen")
		e.Path, _, _ = unstructured.NestedString(http, "path")
		refs, _, _ := unstructured.NestedSlice(http, "backendRefs")
		if len(refs) == 0 {
			if r, ok, _ := unstructured.NestedMap(http, "backendRef"); ok {
				refs = []any{r}
			}
		}
		if len(refs) > 0 {
			r, _ := refs[0].(map[string]any)
			e.Service, _, _ = unstructured.NestedString(r, "name")
			e.ServiceNamespace, _, _ = unstructured.NestedString(r, "namespace")
			e.Port, _, _ = unstructured.NestedInt64(r, "port")
		}
		if e.ServiceNamespace == "" {
			e.ServiceNamespace = e.Namespace
		}
		m.EdgeAuths = append(m.EdgeAuths, &e)
	case "HTTPRoute":
		rules, _, _ := unstructured.NestedSlice(obj, "spec", "rules")
		for i, r := range rules {
			filters, _, _ := unstructured.NestedSlice(r.(map[string]any), "filters")
			for j, f := range filters {
				fm, _ := f.(map[string]any)
				if fm["type"] != "ExternalAuth" {
					continue
				}
				e := base
				e.Field, e.Envoy = fmt.Sprintf("spec.rules[%d].filters[%d].externalAuth", i, j), true
				e.Service, _, _ = unstructured.NestedString(fm, "externalAuth", "backendRef", "name")
				e.ServiceNamespace, _, _ = unstructured.NestedString(fm, "externalAuth", "backendRef", "namespace")
				e.Port, _, _ = unstructured.NestedInt64(fm, "externalAuth", "backendRef", "port")
				e.Path, _, _ = unstructured.NestedString(fm, "externalAuth", "http", "path")
				e.RequestHeaders, _, _ = unstructured.NestedStringSlice(fm, "externalAuth", "http", "allowedHeaders")
				e.ResponseHeaders, _, _ = unstructured.NestedStringSlice(fm, "externalAuth", "http", "allowedResponseHeaders")
				if e.ServiceNamespace == "" {
					e.ServiceNamespace = e.Namespace
				}
				m.EdgeAuths = append(m.EdgeAuths, &e)
			}
		}
	case "Middleware":
		fa, ok, _ := unstructured.NestedMap(obj, "spec", "forwardAuth")
		if !ok {
			return
		}
		e := base
		e.Field = "spec.forwardAuth"
		addr, _, _ := unstructured.NestedString(fa, "address")
		e.TrustForwardHeader, _, _ = unstructured.NestedBool(fa, "trustForwardHeader")
		e.ResponseHeaders, _, _ = unstructured.NestedStringSlice(fa, "authResponseHeaders")
		e.Service, e.ServiceNamespace, e.Path = serviceOfURL(addr)
		m.EdgeAuths = append(m.EdgeAuths, &e)
	}
}

// serviceOfURL splits http://<service>.<namespace>.svc[.cluster.local]:port/path.
func serviceOfURL(raw string) (service, namespace, path string) {
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		rest, _ = strings.CutPrefix(raw, "https://")
	}
	host, p, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, ":")
	parts := strings.Split(host, ".")
	if len(parts) >= 2 {
		service, namespace = parts[0], parts[1]
	}
	return service, namespace, "/" + p
}

// proxyForEdge finds the oauth2-proxy an edge object asks: the Service
// oauth2-proxy-<app> (or <app>) in the config's namespace.
func (m *Model) proxyForEdge(e *EdgeAuth) *Proxy {
	for _, p := range m.Proxies {
		if p.Namespace != "" && e.ServiceNamespace != "" && p.Namespace != e.ServiceNamespace {
			continue
		}
		if e.Service == "oauth2-proxy-"+p.App || e.Service == p.App {
			return p
		}
	}
	return nil
}
