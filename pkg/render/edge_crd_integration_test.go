package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/authstack/authstack/internal/testenv"
)

// The providers' real CRDs, read from the module cache at test time (never
// committed): the versions docs/edges.md names.
const (
	gatewayAPIModule   = "sigs.k8s.io/gateway-api@v1.6.3"
	envoyGatewayModule = "github.com/envoyproxy/gateway@v1.9.1"
	traefikModule      = "github.com/traefik/traefik/v3@v3.7.13"
)

// moduleDir downloads a module (go mod download) and returns its directory
// in the module cache. A failure fails the test: only -short skips.
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); err != nil || jerr != nil || m.Error != "" || m.Dir == "" {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go mod download %s: %v %s %s %s", module, err, m.Error, stderr, out)
	}
	return m.Dir
}

// crdFiles writes the CRD manifests of the three providers into dir and
// returns them: Gateway API's standard and experimental channels, Envoy
// Gateway's (their Helm chart's generated templates, without the chart's
// one {{- if }} wrapper), and Traefik's.
func crdFiles(t *testing.T, dir string) (standard, experimental, envoy, traefik string) {
	t.Helper()
	gw := moduleDir(t, gatewayAPIModule)
	eg := moduleDir(t, envoyGatewayModule)
	tr := moduleDir(t, traefikModule)
	standard = filepath.Join(gw, "config", "crd", "standard")
	experimental = filepath.Join(gw, "config", "crd", "experimental")

	envoy = filepath.Join(dir, "envoy-gateway-crds")
	if err := os.MkdirAll(envoy, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(eg, "charts", "gateway-crds-helm", "templates", "generated", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Envoy Gateway CRDs in %s: %v", eg, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "{{") {
				keep = append(keep, l)
			}
		}
		if err := os.WriteFile(filepath.Join(envoy, filepath.Base(f)), []byte(strings.Join(keep, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	traefik = filepath.Join(tr, "docs", "content", "reference", "dynamic-configuration", "kubernetes-crd-definition-v1.yml")
	if _, err := os.Stat(traefik); err != nil {
		t.Fatal(err)
	}
	return standard, experimental, envoy, traefik
}

type crdCluster struct {
	t      *testing.T
	env    *testenv.Env
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates (or replaces) every CRD in the files or directories
// and waits until the API server serves them.
func (c *crdCluster) installCRDs(paths ...string) {
	c.t.Helper()
	ctx := context.Background()
	var names []string
	for _, p := range paths {
		files := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(p, "*.yaml"))
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				c.t.Fatal(err)
			}
			for _, doc := range bytes.Split(data, []byte("\n---")) {
				m, err := decodeYAML(doc)
				if err != nil {
					c.t.Fatalf("%s: %v", f, err)
				}
				u := &unstructured.Unstructured{Object: m}
				if u.GetKind() != "CustomResourceDefinition" {
					continue
				}
				old, err := c.dyn.Resource(crdResource).Get(ctx, u.GetName(), metav1.GetOptions{})
				if err == nil {
					u.SetResourceVersion(old.GetResourceVersion())
					_, err = c.dyn.Resource(crdResource).Update(ctx, u, metav1.UpdateOptions{})
				} else {
					_, err = c.dyn.Resource(crdResource).Create(ctx, u, metav1.CreateOptions{})
				}
				if err != nil {
					c.t.Fatalf("CRD %s from %s: %v", u.GetName(), f, err)
				}
				names = append(names, u.GetName())
			}
		}
	}
	if len(names) == 0 {
		c.t.Fatalf("no CRD in %v", paths)
	}
	for _, n := range names {
		n := n
		established := func() error {
			u, err := c.dyn.Resource(crdResource).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, cond := range conds {
				if m := cond.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
					return nil
				}
			}
			return fmt.Errorf("CRD %s not established yet", n)
		}
		for i := 0; ; i++ {
			err := established()
			if err == nil {
				break
			}
			if i == 300 {
				c.t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.mapper.Reset()
}

// create creates u and returns what the API server stored.
func (c *crdCluster) create(u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
	if u.GetNamespace() != "" {
		ri = c.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	return ri.Create(context.Background(), u.DeepCopy(), metav1.CreateOptions{FieldValidation: "Strict"})
}

func (c *crdCluster) ensureNamespace(ns string) {
	c.t.Helper()
	if ns == "" {
		return
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Namespace")
	u.SetName(ns)
	if _, err := c.create(u); err != nil && !strings.Contains(err.Error(), "already exists") {
		c.t.Fatal(err)
	}
}

// subset reports where want has a value got lacks: the API server prunes a
// field a structural schema does not know, so a misspelt field would be
// dropped quietly; Strict field validation refuses it too.
func subset(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": missing"}
		}
		var diffs []string
		for k, v := range w {
			diffs = append(diffs, subset(v, g[k], path+"."+k)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %v, want %v", path, got, want)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return diffs
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: %v, want %v", path, got, want)}
	}
	return nil
}

// jsonValue round-trips v through JSON, so numbers compare alike (int32 in
// rendered objects, int64 from the API server).
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func isEdgeObject(u *unstructured.Unstructured) bool {
	g := u.GroupVersionKind().Group
	return g == "gateway.networking.k8s.io" || g == "gateway.envoyproxy.io" || g == "traefik.io" || u.GetKind() == "Ingress"
}

// createEdgeObjects creates every edge object of res and checks the stored
// object holds every rendered field.
func (c *crdCluster) createEdgeObjects(name string, res *Result) int {
	c.t.Helper()
	n := 0
	for _, o := range res.Objects {
		u := o.Object
		if !isEdgeObject(u) {
			continue
		}
		c.ensureNamespace(u.GetNamespace())
		// Each stack gets its own names: the examples share namespaces.
		u = u.DeepCopy()
		u.SetName(u.GetName() + "-" + strings.ReplaceAll(name, "edge-", "v-"))
		stored, err := c.create(u)
		if err != nil {
			c.t.Errorf("%s: %s %s/%s refused by the API server: %v", name, u.GetKind(), u.GetNamespace(), u.GetName(), err)
			continue
		}
		if diffs := subset(jsonValue(c.t, u.Object["spec"]), jsonValue(c.t, stored.Object["spec"]), "spec"); len(diffs) > 0 {
			c.t.Errorf("%s: %s %s/%s stored without what was rendered:\n%s", name, u.GetKind(), u.GetNamespace(), u.GetName(), strings.Join(diffs, "\n"))
		}
		n++
	}
	return n
}

// The rendered Gateway API, Envoy Gateway and Traefik objects are created on
// a real API server with the providers' real CRDs installed: the CRDs'
// OpenAPI schemas and CEL rules (x-kubernetes-validations) judge them.
func TestIntegrationEdgeObjectsPassTheProvidersCRDs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver and downloads the providers' modules (" +
			strings.Join([]string{gatewayAPIModule, envoyGatewayModule, traefikModule}, ", ") + "); skipped with -short")
	}
	exampleEnv(t)
	standard, experimental, envoy, traefik := crdFiles(t, t.TempDir())
	env := testenv.Start(t, testenv.Options{})
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	c := &crdCluster{t: t, env: env, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}

	// Envoy Gateway and Traefik on the standard channel, as their install
	// guides have it.
	c.installCRDs(standard, envoy, traefik)
	stacks := edgeStacks(t)
	total := 0
	for _, name := range []string{"gateway-api", "edge-envoy-gateway-token-only", "traefik", "edge-traefik-ingress"} {
		total += c.createEdgeObjects(name, stacks[name])
	}

	// What the API server refuses, so that the test can fail: a
	// SecurityPolicy whose extAuth names no backend breaks a CEL rule, and a
	// misspelt field is refused by strict field validation.
	sp := find(stacks["gateway-api"], "SecurityPolicy", "monitoring", "oauth2-proxy-grafana").DeepCopy()
	sp.SetName("broken-backend")
	unstructured.RemoveNestedField(sp.Object, "spec", "extAuth", "http", "backendRefs")
	if _, err := c.create(sp); err == nil || !strings.Contains(err.Error(), "backendRef or backendRefs needs to be set") {
		t.Errorf("SecurityPolicy without a backend: err = %v, want Envoy Gateway's CEL rule", err)
	}
	mw := find(stacks["traefik"], "Middleware", "monitoring", "oauth2-proxy-prometheus").DeepCopy()
	mw.SetName("misspelt")
	_ = unstructured.SetNestedField(mw.Object, false, "spec", "forwardAuth", "trustForwardHeaders")
	if _, err := c.create(mw); err == nil || !strings.Contains(err.Error(), "trustForwardHeaders") {
		t.Errorf("Middleware with a misspelt field: err = %v, want it refused", err)
	}

	// Plain Gateway API's ExternalAuth filter is in the experimental channel.
	c.installCRDs(experimental)
	total += c.createEdgeObjects("edge-gateway-api", stacks["edge-gateway-api"])
	route := find(stacks["edge-gateway-api"], "HTTPRoute", "headlamp", "headlamp").DeepCopy()
	route.SetName("filter-without-auth")
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	delete(rules[0].(map[string]any)["filters"].([]any)[0].(map[string]any), "externalAuth")
	_ = unstructured.SetNestedSlice(route.Object, rules, "spec", "rules")
	if _, err := c.create(route); err == nil || !strings.Contains(err.Error(), "filter.externalAuth must be specified") {
		t.Errorf("ExternalAuth filter without its settings: err = %v, want Gateway API's CEL rule", err)
	}
	if total < 20 {
		t.Fatalf("only %d edge objects created; the test would prove little", total)
	}
	t.Logf("%d edge objects created against the CRDs of %s, %s and %s", total, gatewayAPIModule, envoyGatewayModule, traefikModule)
}
