// Package edge renders the objects that make an edge other than
// ingress-nginx serve dex and the apps and ask oauth2-proxy about every app
// request: Gateway API HTTPRoutes with an Envoy Gateway SecurityPolicy or
// the ExternalAuth filter, and Traefik's ForwardAuth Middleware with an
// IngressRoute or Ingress. ingress-nginx stays in the chart
// (templates/authstack), with its annotations from package oauth2proxy.
//
// Types: Gateway API objects are sigs.k8s.io/gateway-api's own Go types.
// Envoy Gateway's and Traefik's are small structs of this package holding
// only the fields authstack writes, with the JSON names of their CRDs:
// importing github.com/envoyproxy/gateway or github.com/traefik/traefik/v3
// would pull hundreds of modules (Traefik's do not all build here: its ACME
// DNS providers are refused by the module proxy) for a few fields. The
// integration test creates every rendered object on an API server with the
// providers' real CRDs installed, so a misspelt field fails there
// (structural schemas prune or refuse unknown fields; see crd_test.go).
package edge

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// Object is one rendered object and the manifest file it belongs in.
type Object struct {
	File   string
	Object *unstructured.Unstructured
}

// Input is what the edge objects are rendered from.
type Input struct {
	Spec *v1alpha1.Spec
	// Labels returns the labels of the objects of a component.
	Labels func(component string) map[string]string
	// DexFile and AppFile name the manifest files of dex's and an app's objects.
	DexFile string
	AppFile func(app string) string
	// EdgeFile holds objects of no one app (Envoy Gateway's ClientTrafficPolicy).
	EdgeFile string
}

// Dex's Service, rendered by the chart (templates/authstack/templates/dex.yaml).
const (
	dexService = "dex"
	dexPort    = 5556
)

// Render returns the edge objects of the spec's provider; nothing for
// ingress-nginx, whose Ingresses the chart renders.
func Render(in Input) ([]Object, error) {
	r := &renderer{Input: in}
	var err error
	switch p := in.Spec.EdgeProvider(); p {
	case v1alpha1.EdgeIngressNginx:
		return nil, nil
	case v1alpha1.EdgeEnvoyGateway, v1alpha1.EdgeGatewayAPI:
		err = r.gateway()
	case v1alpha1.EdgeTraefik:
		err = r.traefik()
	default:
		// Validation refuses it too: never render routes without a login.
		return nil, fmt.Errorf("spec.edge.provider: %q is not a provider authstack can make enforce a login (one of %v)", p, v1alpha1.EdgeProviders)
	}
	if err != nil {
		return nil, err
	}
	return r.out, nil
}

// DropsChartIngresses reports whether the chart's Ingresses (dex's and the
// apps', with ingress-nginx's auth annotations) must be left out: every
// other provider gets its own objects from this package, and an Ingress
// whose auth annotations a controller ignores would serve the app open.
func DropsChartIngresses(spec *v1alpha1.Spec) bool {
	return spec.EdgeProvider() != v1alpha1.EdgeIngressNginx
}

type renderer struct {
	Input
	out []Object
}

func (r *renderer) add(file string, obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(data, &u.Object); err != nil {
		return err
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	// Typed Gateway API objects carry an empty status; the API server owns it.
	delete(u.Object, "status")
	r.out = append(r.out, Object{File: file, Object: u})
	return nil
}

// proxyURL is the in-cluster address of an app's oauth2-proxy.
func proxyURL(app *v1alpha1.App, path string) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d%s", oauth2proxy.Name(app), app.Namespace, oauth2proxy.Port, path)
}

// responseHeaders are the headers of oauth2-proxy's answer that the edge
// copies onto the app request: the id token for a token app, the identity
// for a headers app (oauth2-proxy's set_authorization_header and
// set_xauthrequest; oauth2-proxy docs, configuration/overview).
func responseHeaders(app *v1alpha1.App) []string {
	if app.Identity == v1alpha1.IdentityToken {
		return []string{"Authorization"}
	}
	return append([]string(nil), oauth2proxy.IdentityHeaders...)
}

// hostOnly drops a port: route hostnames and Traefik's Host matcher take
// the name alone.
func hostOnly(h string) string { return v1alpha1.Hostname(h) }

func dexPath(d *v1alpha1.Dex) string {
	if d.Path == "" {
		return "/"
	}
	return d.Path
}

func anyHeadersApp(spec *v1alpha1.Spec) bool {
	for _, a := range spec.Apps {
		if a.Identity == v1alpha1.IdentityHeaders {
			return true
		}
	}
	return false
}

// dnsName makes a DNS label of parts for an object name.
func dnsName(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	n := strings.ToLower(strings.Join(keep, "-"))
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-.")
	}
	return n
}
