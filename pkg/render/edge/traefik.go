package edge

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/meta"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// Traefik asks oauth2-proxy with a ForwardAuth Middleware, as oauth2-proxy's
// Traefik guide's "ForwardAuth with static upstreams configuration" does
// (oauth2-proxy docs, configuration/integrations/traefik): the address is
// oauth2-proxy's root, served by its static upstream (202 with the identity
// headers for a signed-in user; any 2xx lets Traefik through), and a browser
// without a session gets oauth2-proxy's 302 to dex, which Traefik returns as
// it is ("Otherwise, the response from the authentication server is
// returned", Traefik docs, middlewares/http/forwardauth), so no errors
// middleware is needed. Traefik sends the original request in
// X-Forwarded-Method/-Proto/-Host/-Uri, from which oauth2-proxy (with
// reverse_proxy) builds the page to return to; trustForwardHeader false
// makes Traefik write them itself rather than pass on a client's.
// authResponseHeaders: Traefik deletes each listed header from the request
// and sets it only from the auth answer (traefik v3.7
// pkg/middlewares/auth/forward.go, "req.Header.Del(headerKey)"), so a client
// cannot send its own X-Auth-Request-Groups past it.

const traefikAPIVersion = "traefik.io/v1alpha1"

// Middleware is traefik.io/v1alpha1 Middleware with forwardAuth only; JSON
// names as in Traefik v3.7's CRDs
// (docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml).
type Middleware struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              MiddlewareSpec `json:"spec"`
}

// MiddlewareSpec holds the forwardAuth middleware.
type MiddlewareSpec struct {
	ForwardAuth *ForwardAuth `json:"forwardAuth,omitempty"`
}

// ForwardAuth is Traefik's forwardAuth middleware.
type ForwardAuth struct {
	Address             string   `json:"address"`
	TrustForwardHeader  bool     `json:"trustForwardHeader"`
	AuthResponseHeaders []string `json:"authResponseHeaders,omitempty"`
}

// IngressRoute is traefik.io/v1alpha1 IngressRoute.
type IngressRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              IngressRouteSpec `json:"spec"`
}

// IngressRouteSpec holds the routes of an IngressRoute.
type IngressRouteSpec struct {
	IngressClassName string         `json:"ingressClassName,omitempty"`
	EntryPoints      []string       `json:"entryPoints,omitempty"`
	Routes           []TraefikRoute `json:"routes"`
	TLS              *TraefikTLS    `json:"tls,omitempty"`
}

// TraefikRoute is one rule of an IngressRoute.
type TraefikRoute struct {
	Kind        string              `json:"kind"`
	Match       string              `json:"match"`
	Middlewares []MiddlewareRef     `json:"middlewares,omitempty"`
	Services    []TraefikServiceRef `json:"services"`
}

// MiddlewareRef names a Middleware.
type MiddlewareRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// TraefikServiceRef is a Kubernetes Service port.
type TraefikServiceRef struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
}

// TraefikTLS names the certificate Secret of an IngressRoute.
type TraefikTLS struct {
	SecretName string `json:"secretName,omitempty"`
}

// MiddlewareAnnotation is how a Traefik Ingress names its middlewares
// (Traefik docs, routing/providers/kubernetes-ingress: router.middlewares,
// <namespace>-<name>@kubernetescrd).
const MiddlewareAnnotation = "traefik.ingress.kubernetes.io/router.middlewares"

// Traefik routes match by rule; backticks quote the host. Validation keeps
// hosts to DNS names, so nothing in them can end the quote.
func hostRule(host string) string { return fmt.Sprintf("Host(`%s`)", hostOnly(host)) }

func (r *renderer) traefik() error {
	spec, t := r.Spec, r.Spec.Edge.Traefik
	if t == nil {
		t = &v1alpha1.TraefikEdge{Kind: v1alpha1.TraefikIngressRoute, EntryPoints: []string{v1alpha1.DefaultTraefikEntryPoint}}
	}
	if d := spec.Issuer.Dex; d != nil {
		path := dexPath(d)
		match := hostRule(d.Host)
		if path != "/" {
			// Validation keeps the path to plain characters; a backtick
			// would end the quote and add matchers of its own.
			if strings.ContainsRune(path, '`') {
				return fmt.Errorf("spec.issuer.dex.path %q: a backtick cannot be quoted in a Traefik rule", path)
			}
			match += fmt.Sprintf(" && PathPrefix(`%s`)", path)
		}
		var err error
		if t.Kind == v1alpha1.TraefikIngress {
			err = r.add(r.DexFile, r.ingress(t, "dex", d.Namespace, "dex", d.IngressClassName, d.Host, d.TLS.SecretName, path, dexService, dexPort, ""))
		} else {
			err = r.add(r.DexFile, r.ingressRoute(t, "dex", d.Namespace, "dex", d.IngressClassName, d.TLS.SecretName,
				TraefikRoute{Kind: "Rule", Match: match, Services: []TraefikServiceRef{{Name: dexService, Port: dexPort}}}))
		}
		if err != nil {
			return err
		}
	}
	for i := range spec.Apps {
		app := &spec.Apps[i]
		file := r.AppFile(app.Name)
		proxy := oauth2proxy.Name(app)
		mw := &Middleware{
			TypeMeta:   metav1.TypeMeta{APIVersion: traefikAPIVersion, Kind: "Middleware"},
			ObjectMeta: metav1.ObjectMeta{Name: proxy, Namespace: app.Namespace, Labels: meta.Copy(r.Labels(proxy))},
			Spec: MiddlewareSpec{ForwardAuth: &ForwardAuth{
				Address:             proxyURL(app, "/"),
				TrustForwardHeader:  false,
				AuthResponseHeaders: traefikResponseHeaders(app),
			}},
		}
		if err := r.add(file, mw); err != nil {
			return err
		}
		var objs []any
		if t.Kind == v1alpha1.TraefikIngress {
			objs = append(objs,
				r.ingress(t, proxy, app.Namespace, proxy, app.IngressClassName, app.Host, app.TLSSecretName, "/oauth2/", proxy, oauth2proxy.Port, ""),
				r.ingress(t, app.Name, app.Namespace, app.Name, app.IngressClassName, app.Host, app.TLSSecretName, "/", app.Upstream.Service, app.Upstream.Port,
					app.Namespace+"-"+proxy+"@kubernetescrd"))
		} else {
			// Traefik orders routes by rule length (the longer first), so
			// /oauth2/ goes to oauth2-proxy and everything else through
			// the middleware (Traefik docs, routing/routers: priority).
			objs = append(objs, r.ingressRoute(t, app.Name, app.Namespace, app.Name, app.IngressClassName, app.TLSSecretName,
				TraefikRoute{Kind: "Rule", Match: hostRule(app.Host) + " && PathPrefix(`/oauth2/`)",
					Services: []TraefikServiceRef{{Name: proxy, Port: oauth2proxy.Port}}},
				TraefikRoute{Kind: "Rule", Match: hostRule(app.Host),
					Middlewares: []MiddlewareRef{{Name: proxy, Namespace: app.Namespace}},
					Services:    []TraefikServiceRef{{Name: app.Upstream.Service, Port: app.Upstream.Port}}}))
		}
		for _, o := range objs {
			if err := r.add(file, o); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *renderer) ingressRoute(t *v1alpha1.TraefikEdge, name, namespace, component, class, tlsSecret string, routes ...TraefikRoute) *IngressRoute {
	return &IngressRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: traefikAPIVersion, Kind: "IngressRoute"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: meta.Copy(r.Labels(component))},
		Spec: IngressRouteSpec{
			IngressClassName: class,
			EntryPoints:      append([]string(nil), t.EntryPoints...),
			Routes:           routes,
			TLS:              &TraefikTLS{SecretName: tlsSecret},
		},
	}
}

// ingress is a Traefik Ingress: TLS on the listed entry points, and the
// middleware when one is named (annotations from Traefik docs,
// routing/providers/kubernetes-ingress).
func (r *renderer) ingress(t *v1alpha1.TraefikEdge, name, namespace, component, class, host, tlsSecret, path, service string, port int32, middleware string) *networkingv1.Ingress {
	annotations := map[string]string{
		"traefik.ingress.kubernetes.io/router.entrypoints": strings.Join(t.EntryPoints, ","),
		"traefik.ingress.kubernetes.io/router.tls":         "true",
	}
	if middleware != "" {
		annotations[MiddlewareAnnotation] = middleware
	}
	h := hostOnly(host)
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: meta.Copy(r.Labels(component)), Annotations: annotations},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To(class),
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{h}, SecretName: tlsSecret}},
			Rules: []networkingv1.IngressRule{{Host: h, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{
					Path: path, PathType: ptr.To(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: service, Port: networkingv1.ServiceBackendPort{Number: port},
					}},
				}},
			}}}},
		},
	}
}

// traefikResponseHeaders adds Authorization for a headers app: Traefik
// clears every listed header before copying it from the auth answer, and
// oauth2-proxy sends none to a headers app, so a bearer token the client
// sent does not reach an app that trusts the X-Auth-Request-* headers
// (Grafana would read it as an API key), as with ingress-nginx.
func traefikResponseHeaders(app *v1alpha1.App) []string {
	h := responseHeaders(app)
	if app.Identity != v1alpha1.IdentityToken {
		h = append(h, "Authorization")
	}
	return h
}
