package doctor

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

func edgeModel(t *testing.T, example string) *Model {
	t.Helper()
	t.Setenv("GITHUB_CLIENT_SECRET", "x")
	t.Setenv("LDAP_BIND_PASSWORD", "y")
	m, err := Load(Inputs{Spec: "../../examples/" + example + "/authstack.yaml", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func edgeCodes(m *Model) []string {
	var codes []string
	for _, f := range Diagnose(m).Findings {
		if strings.HasPrefix(f.Code, "AS-14") {
			codes = append(codes, f.Code+" "+f.Message)
		}
	}
	return codes
}

// The rendered Envoy Gateway and Traefik objects are read and pass the edge
// checks; each fault the checks know is then named.
func TestEdgeObjectsAreCheckedAgainstOAuth2Proxy(t *testing.T) {
	for _, example := range []string{"gateway-api", "traefik"} {
		t.Run(example, func(t *testing.T) {
			m := edgeModel(t, example)
			if len(m.EdgeAuths) != 2 {
				t.Fatalf("read %d edge auth objects, want one per app (2)", len(m.EdgeAuths))
			}
			for _, e := range m.EdgeAuths {
				if m.proxyForEdge(e) == nil {
					t.Errorf("%s: no oauth2-proxy found for Service %s/%s", e.ref(), e.ServiceNamespace, e.Service)
				}
			}
			if c := edgeCodes(m); len(c) > 0 {
				t.Errorf("healthy %s: %v", example, c)
			}
		})
	}
	faults := []struct {
		name, example, code string
		edit                func(m *Model)
	}{
		{"202 upstream behind Envoy", "gateway-api", "AS-140", func(m *Model) {
			for _, p := range m.Proxies {
				p.Upstreams = []string{"static://202"}
			}
		}},
		{"auth path prefix", "gateway-api", "AS-140", func(m *Model) { m.EdgeAuths[0].Path = "/oauth2/auth" }},
		{"no cookie", "gateway-api", "AS-141", func(m *Model) { m.EdgeAuths[0].RequestHeaders = []string{"Accept"} }},
		{"token not copied", "traefik", "AS-142", func(m *Model) {
			for _, e := range m.EdgeAuths {
				e.ResponseHeaders = []string{"X-Auth-Request-User"}
			}
		}},
		{"headers not sent", "gateway-api", "AS-142", func(m *Model) {
			for _, p := range m.Proxies {
				// Legacy options, or an alpha config without the headers.
				p.Config.SetXAuthRequest = false
				if p.Config.InjectResponseHeaders != nil {
					p.Config.InjectResponseHeaders = p.Config.InjectResponseHeaders[:0]
				}
			}
		}},
		{"fail open", "gateway-api", "AS-143", func(m *Model) { m.EdgeAuths[0].FailOpen = true }},
		{"trust forward header", "traefik", "AS-143", func(m *Model) { m.EdgeAuths[0].TrustForwardHeader = true }},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			m := edgeModel(t, f.example)
			f.edit(m)
			codes := edgeCodes(m)
			if !slices.ContainsFunc(codes, func(c string) bool { return strings.HasPrefix(c, f.code+" ") }) {
				t.Errorf("findings %v, want %s", codes, f.code)
			}
		})
	}
}

// --live reads the edge objects authstack applied, and checks them.
func TestCollectLiveReadsEdgeObjects(t *testing.T) {
	spec := edgeModel(t, "gateway-api")
	m := &Model{Now: testNow, Proxies: spec.Proxies}
	var objs []runtime.Object
	for _, e := range []string{"grafana", "headlamp"} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("gateway.envoyproxy.io/v1alpha1")
		u.SetKind("SecurityPolicy")
		u.SetNamespace(map[string]string{"grafana": "monitoring", "headlamp": "headlamp"}[e])
		u.SetName("oauth2-proxy-" + e)
		u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "authstack"})
		_ = unstructured.SetNestedMap(u.Object, map[string]any{
			"failOpen": true,
			"http":     map[string]any{"backendRefs": []any{map[string]any{"name": "oauth2-proxy-" + e, "port": int64(4180)}}},
		}, "spec", "extAuth")
		objs = append(objs, u)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		edgeResources[0]: "SecurityPolicyList", edgeResources[1]: "HTTPRouteList", edgeResources[2]: "MiddlewareList",
	}, objs...)
	if err := CollectLive(context.Background(), m, LiveOptions{Config: &rest.Config{Host: "https://cluster.invalid"}, Client: fake.NewClientset(), Dynamic: dyn}); err != nil {
		t.Fatal(err)
	}
	if len(m.EdgeAuths) != 2 || !strings.HasPrefix(m.EdgeAuths[0].Source, "live: SecurityPolicy ") {
		t.Fatalf("edge objects read: %+v", m.EdgeAuths)
	}
	codes := strings.Join(edgeCodes(m), "\n")
	for _, want := range []string{"AS-141 ", "AS-142 ", "AS-143 "} {
		if !strings.Contains(codes, want) {
			t.Errorf("no %s finding on the live objects; got:\n%s", want, codes)
		}
	}
}
