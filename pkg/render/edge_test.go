package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
	"github.com/authstack/authstack/pkg/secrets"
)

// edgeVariants are the providers and kinds the examples do not show.
var edgeVariants = []struct {
	name, example string
	edit          func(s *v1alpha1.Spec)
}{
	{
		// Plain Gateway API: the ExternalAuth filter, token apps only.
		name: "edge-gateway-api", example: "gateway-api",
		edit: func(s *v1alpha1.Spec) {
			s.Edge.Provider = v1alpha1.EdgeGatewayAPI
			s.Apps = s.Apps[:1]
		},
	},
	{
		name: "edge-traefik-ingress", example: "traefik",
		edit: func(s *v1alpha1.Spec) { s.Edge.Traefik.Kind = v1alpha1.TraefikIngress },
	},
	{
		// Envoy Gateway with token apps only: no ClientTrafficPolicy.
		name: "edge-envoy-gateway-token-only", example: "gateway-api",
		edit: func(s *v1alpha1.Spec) { s.Apps = s.Apps[:1] },
	},
}

func renderEdgeVariant(t *testing.T, example string, edit func(*v1alpha1.Spec)) (*config.Stack, *Result) {
	t.Helper()
	s := load(t, example)
	edit(&s.Spec)
	if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	res, err := Render(s, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	return s, res
}

func TestEdgeVariantsMatchGolden(t *testing.T) {
	exampleEnv(t)
	for _, v := range edgeVariants {
		t.Run(v.name, func(t *testing.T) {
			_, res := renderEdgeVariant(t, v.example, v.edit)
			var out bytes.Buffer
			for _, o := range res.Objects {
				if strings.HasPrefix(o.Object.GetAPIVersion(), "gateway.") || strings.HasPrefix(o.Object.GetAPIVersion(), "traefik.") ||
					o.Object.GetKind() == "Ingress" || o.Object.GetKind() == "ConfigMap" {
					if err := writeDoc(&out, o.Object); err != nil {
						t.Fatal(err)
					}
				}
			}
			golden.Assert(t, filepath.Join("..", "..", "testdata", "render", "variants", v.name+".yaml"), out.Bytes())
		})
	}
}

// edgeStacks are every rendered stack whose provider is not ingress-nginx.
func edgeStacks(t *testing.T) map[string]*Result {
	t.Helper()
	out := map[string]*Result{}
	for _, name := range []string{"gateway-api", "traefik"} {
		out[name] = renderExample(t, name)
	}
	for _, v := range edgeVariants {
		_, out[v.name] = renderEdgeVariant(t, v.example, v.edit)
	}
	return out
}

func find(res *Result, kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range res.Objects {
		if o.Object.GetKind() == kind && o.Object.GetNamespace() == namespace && o.Object.GetName() == name {
			return o.Object
		}
	}
	return nil
}

// Every app route of a provider other than ingress-nginx is behind
// oauth2-proxy: a SecurityPolicy targets it, its rule has the ExternalAuth
// filter, or its route names the ForwardAuth Middleware; and no Ingress
// with ingress-nginx's annotations is left for another controller to serve
// open.
func TestEdgeAppRoutesAskOAuth2Proxy(t *testing.T) {
	exampleEnv(t)
	for name, res := range edgeStacks(t) {
		t.Run(name, func(t *testing.T) {
			var spec *v1alpha1.Spec
			if s := specOf(t, name); s != nil {
				spec = s
			}
			routes := 0
			for _, o := range res.Objects {
				u := o.Object
				if u.GetKind() == "Ingress" {
					for k := range u.GetAnnotations() {
						if strings.HasPrefix(k, "nginx.ingress.kubernetes.io/") {
							t.Errorf("Ingress %s/%s carries %s, which the edge ignores", u.GetNamespace(), u.GetName(), k)
						}
					}
				}
			}
			for _, app := range spec.Apps {
				proxy := "oauth2-proxy-" + app.Name
				switch spec.EdgeProvider() {
				case v1alpha1.EdgeEnvoyGateway:
					route := find(res, "HTTPRoute", app.Namespace, app.Name)
					sp := find(res, "SecurityPolicy", app.Namespace, proxy)
					if route == nil || sp == nil {
						t.Fatalf("app %s: HTTPRoute %v, SecurityPolicy %v", app.Name, route != nil, sp != nil)
					}
					refs, _, _ := unstructured.NestedSlice(sp.Object, "spec", "targetRefs")
					if len(refs) != 1 || refs[0].(map[string]any)["name"] != app.Name || refs[0].(map[string]any)["kind"] != "HTTPRoute" {
						t.Errorf("app %s: SecurityPolicy targets %v", app.Name, refs)
					}
					if fo, found, _ := unstructured.NestedBool(sp.Object, "spec", "extAuth", "failOpen"); !found || fo {
						t.Errorf("app %s: extAuth.failOpen must be false, explicitly", app.Name)
					}
					routes++
				case v1alpha1.EdgeGatewayAPI:
					route := find(res, "HTTPRoute", app.Namespace, app.Name)
					rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
					for _, r := range rules {
						fs, _, _ := unstructured.NestedSlice(r.(map[string]any), "filters")
						if len(fs) != 1 || fs[0].(map[string]any)["type"] != "ExternalAuth" {
							t.Errorf("app %s: rule without ExternalAuth: %v", app.Name, r)
						}
						hs, _, _ := unstructured.NestedStringSlice(fs[0].(map[string]any), "externalAuth", "http", "allowedResponseHeaders")
						if len(hs) == 0 {
							t.Errorf("app %s: no allowedResponseHeaders: every header of the auth answer would be copied", app.Name)
						}
						routes++
					}
				case v1alpha1.EdgeTraefik:
					if spec.Edge.Traefik.Kind == v1alpha1.TraefikIngress {
						ing := find(res, "Ingress", app.Namespace, app.Name)
						if got := ing.GetAnnotations()["traefik.ingress.kubernetes.io/router.middlewares"]; got != app.Namespace+"-"+proxy+"@kubernetescrd" {
							t.Errorf("app %s: middlewares annotation %q", app.Name, got)
						}
					} else {
						ir := find(res, "IngressRoute", app.Namespace, app.Name)
						rs, _, _ := unstructured.NestedSlice(ir.Object, "spec", "routes")
						for _, r := range rs {
							m := r.(map[string]any)
							if strings.Contains(m["match"].(string), "/oauth2/") {
								continue
							}
							mws, _, _ := unstructured.NestedSlice(m, "middlewares")
							if len(mws) != 1 || mws[0].(map[string]any)["name"] != proxy {
								t.Errorf("app %s: route %v does not go through the middleware", app.Name, m["match"])
							}
						}
					}
					mw := find(res, "Middleware", app.Namespace, proxy)
					if trust, _, _ := unstructured.NestedBool(mw.Object, "spec", "forwardAuth", "trustForwardHeader"); trust {
						t.Errorf("app %s: trustForwardHeader true lets clients choose X-Forwarded-*", app.Name)
					}
					hs, _, _ := unstructured.NestedStringSlice(mw.Object, "spec", "forwardAuth", "authResponseHeaders")
					want := "Authorization"
					if app.Identity == v1alpha1.IdentityHeaders {
						want = "X-Auth-Request-Groups"
					}
					if !strings.Contains(strings.Join(hs, ","), want) {
						t.Errorf("app %s (%s): authResponseHeaders %v lack %s", app.Name, app.Identity, hs, want)
					}
					routes++
				}
				cm := find(res, "ConfigMap", app.Namespace, proxy)
				cfg, _, _ := unstructured.NestedString(cm.Object, "data", format.ConfigKey)
				alpha, _, _ := unstructured.NestedString(cm.Object, "data", format.AlphaConfigKey)
				c, err := format.ParseFiles([]byte(cfg), []byte(alpha), nil)
				if err != nil {
					t.Fatalf("app %s: %v", app.Name, err)
				}
				want := "static://202"
				if spec.GatewayEdge() {
					want = "static://200"
				}
				if !reflect.DeepEqual(c.Upstreams, []string{want}) {
					t.Errorf("app %s: oauth2-proxy upstreams %v, want %s", app.Name, c.Upstreams, want)
				}
			}
			if routes == 0 {
				t.Fatal("no app route checked")
			}
		})
	}
}

// specOf is the defaulted spec behind an edge stack name.
func specOf(t *testing.T, name string) *v1alpha1.Spec {
	t.Helper()
	for _, v := range edgeVariants {
		if v.name == name {
			s, _ := renderEdgeVariant(t, v.example, v.edit)
			return &s.Spec
		}
	}
	return &load(t, name).Spec
}

// Headers apps behind Envoy Gateway: the Gateway strips the identity
// headers clients send, before the ext_authz filter, on every listener the
// routes attach to.
func TestEnvoyGatewayStripsClientIdentityHeaders(t *testing.T) {
	exampleEnv(t)
	res := renderExample(t, "gateway-api")
	spec := load(t, "gateway-api").Spec
	for _, p := range spec.Edge.ParentRefs {
		name := fmt.Sprintf("authstack-identity-headers-%s-%s", p.Name, p.SectionName)
		ctp := find(res, "ClientTrafficPolicy", p.Namespace, name)
		if ctp == nil {
			t.Fatalf("no ClientTrafficPolicy %s/%s", p.Namespace, name)
		}
		rm, _, _ := unstructured.NestedStringSlice(ctp.Object, "spec", "headers", "earlyRequestHeaders", "remove")
		for _, h := range []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username"} {
			if !strings.Contains(strings.Join(rm, ","), h) {
				t.Errorf("%s does not remove %s", name, h)
			}
		}
	}
}
