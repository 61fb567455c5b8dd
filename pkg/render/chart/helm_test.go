package chart

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/authstack/authstack/templates"
)

// renderWithHelm renders the embedded chart with helm's own engine, as
// authstack did before it executed the templates itself, and splits the
// output the way Render does.
func renderWithHelm(t *testing.T, v Values) []string {
	t.Helper()
	var files []*loader.BufferedFile
	err := fs.WalkDir(templates.Chart, templates.ChartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.Chart, p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, templates.ChartDir+"/"), Data: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(c, m, chartutil.ReleaseOptions{Name: v.Instance, Namespace: "default"}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(c, vals)
	if err != nil {
		t.Fatalf("helm's engine: %v", err)
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
	return docs
}

// valueCases cover every branch of the chart's templates: no dex and no
// proxies, dex with and without kubernetes storage, cert-manager issuers of
// both kinds, a path prefix, host-network CIDRs, proxies with and without an
// issuer CA, annotations and a pod selector, and strings that need quoting.
func valueCases() map[string]Values {
	dex := func(mod func(*DexValues)) *DexValues {
		d := &DexValues{
			Namespace: "dex", Image: "ghcr.io/dexidp/dex:v2.45.0", Replicas: 2,
			Host: "dex.127.0.0.1.nip.io", IngressClassName: "nginx", TLSSecret: "dex-tls",
			ConfigSecret: "dex-config", EnvSecret: "dex-env", ConfigChecksum: "sha256:abc",
		}
		if mod != nil {
			mod(d)
		}
		return d
	}
	proxy := func(app string, mod func(*ProxyValues)) ProxyValues {
		p := ProxyValues{
			App: app, Namespace: "apps", Image: "quay.io/oauth2-proxy/oauth2-proxy:v7.12.0",
			Host: app + ".127.0.0.1.nip.io", IngressClassName: "nginx", TLSSecret: app + "-tls",
			Secret: "oauth2-proxy-" + app, Config: "provider = \"oidc\"\n", ConfigChecksum: "sha256:def",
			ProxyBufferSize: "16k",
			Annotations:     map[string]string{"nginx.ingress.kubernetes.io/auth-url": "http://oauth2-proxy-" + app + ".apps.svc.cluster.local/oauth2/auth"},
			Upstream:        Upstream{Service: app, Port: 8080},
		}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	return map[string]Values{
		"empty":                     {Instance: "authstack"},
		"values.yaml defaults only": {},
		"dex only":                  {Instance: "authstack", Dex: dex(nil), IngressFrom: IngressFrom{Namespace: "ingress-nginx"}},
		"dex with kubernetes storage and a path": {Instance: "prod", Dex: dex(func(d *DexValues) {
			d.KubernetesStorage = true
			d.Path = "/dex"
			d.StorageResources = []string{"authcodes", "refreshtokens"}
			d.StorageVerbs = []string{"get", "list", "create"}
		}), IngressFrom: IngressFrom{Namespace: "kube-system", CIDRs: []string{"10.0.0.0/8", "192.168.1.0/24"}}},
		"cert-manager issuer": {Instance: "authstack", Dex: dex(func(d *DexValues) {
			d.CertManager = &CertManager{Issuer: "letsencrypt", Kind: "Issuer"}
		})},
		"cert-manager cluster issuer": {Instance: "authstack", Dex: dex(func(d *DexValues) {
			d.CertManager = &CertManager{Issuer: "letsencrypt", Kind: "ClusterIssuer"}
		})},
		"whole stack": {Instance: "authstack", Dex: dex(nil), IngressFrom: IngressFrom{Namespace: "ingress-nginx"}, Proxies: []ProxyValues{
			proxy("grafana", nil),
			proxy("dashboard", func(p *ProxyValues) {
				p.IssuerCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
				p.Upstream.PodSelector = map[string]string{"app": "dashboard", "tier": "web"}
				p.Annotations["nginx.ingress.kubernetes.io/auth-response-headers"] = "Authorization, X-Auth-Request-User"
			}),
		}},
		"strings that need quoting": {Instance: "a\"b", Dex: dex(func(d *DexValues) {
			d.Host = "h\"ost\\x.example.com"
			d.ConfigChecksum = "tab\there ünï <no value>"
		}), Proxies: []ProxyValues{proxy("q", func(p *ProxyValues) {
			p.Config = "a = \"b\"\n# comment\n---\nc = 'd'\n"
			p.Annotations = map[string]string{}
		})}},
		"proxies without annotations": {Instance: "authstack", Proxies: []ProxyValues{proxy("x", func(p *ProxyValues) { p.Annotations = nil })}},
	}
}

// The templates executed by authstack produce, byte for byte, what helm's
// own engine produces from the same chart and values.
func TestRenderMatchesHelm(t *testing.T) {
	for name, v := range valueCases() {
		t.Run(name, func(t *testing.T) {
			got, err := Render(v)
			if err != nil {
				t.Fatal(err)
			}
			want := renderWithHelm(t, v)
			if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
				t.Errorf("authstack's output differs from helm's engine:\n--- authstack\n%s\n--- helm\n%s", strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
			}
			if len(got) == 0 && name == "whole stack" {
				t.Error("the whole stack rendered no objects")
			}
		})
	}
}

// The template functions behave as sprig's and helm's of the same name on
// the kinds of values a chart passes them: everything JSON values decode
// to, and the Go values templates build (dict results, printf strings).
func TestFuncsMatchSprigAndHelm(t *testing.T) {
	ours := funcs(nil)
	theirs := sprig.TxtFuncMap()
	call := func(f any, args ...any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		in := make([]reflect.Value, len(args))
		fv := reflect.ValueOf(f)
		for i, a := range args {
			if a == nil {
				var pt reflect.Type
				if fv.Type().IsVariadic() && i >= fv.Type().NumIn()-1 {
					pt = fv.Type().In(fv.Type().NumIn() - 1).Elem()
				} else {
					pt = fv.Type().In(i)
				}
				in[i] = reflect.Zero(pt)
			} else {
				in[i] = reflect.ValueOf(a)
			}
		}
		res := fv.Call(in)
		if len(res) == 2 && !res[1].IsNil() {
			return res[0].Interface(), res[1].Interface().(error)
		}
		return res[0].Interface(), nil
	}
	samples := []any{nil, "", "plain", "with \"quotes\" and \\ and\nnewline", "ünïcödé\t", 0.0, 2.0, -1.5, 1e21, true, false,
		[]any{}, []any{"a", 1.0}, map[string]any{}, map[string]any{"k": "v"}, []string{}, []string{"x"}, 0, 7, fmt.Errorf("an error")}
	for _, a := range samples {
		for _, b := range samples {
			for _, name := range []string{"default", "quote", "dict"} {
				want, werr := call(theirs[name], a, b)
				got, gerr := call(ours[name], a, b)
				if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s(%#v, %#v) = %#v, %v; sprig: %#v, %v", name, a, b, got, gerr, want, werr)
				}
			}
		}
		for _, name := range []string{"quote", "dict"} {
			want, _ := call(theirs[name], a)
			got, _ := call(ours[name], a)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s(%#v) = %#v; sprig: %#v", name, a, got, want)
			}
		}
		// helm's toJson is json.Marshal with errors swallowed.
		if want, err := json.Marshal(a); err == nil {
			got, gerr := call(ours["toJson"], a)
			if gerr != nil || got != string(want) {
				t.Errorf("toJson(%#v) = %#v, %v; helm: %s", a, got, gerr, want)
			}
		}
	}
	for _, s := range []string{"", "one", "a\nb", "a\n\nb\n", "  x\n y"} {
		for _, n := range []int{0, 2, 4, 8} {
			want, _ := call(theirs["nindent"], n, s)
			got, _ := call(ours["nindent"], n, s)
			if got != want {
				t.Errorf("nindent(%d, %q) = %q; sprig: %q", n, s, got, want)
			}
		}
	}
	// Random string values through the whole chart: the quoting must agree
	// for any input, not only the hand-picked ones.
	rng := rand.New(rand.NewSource(12))
	alphabet := []rune("aZ09-._/:\"'\\ \t\n#{}<>|&*!%@`$ü\u2028\x00")
	randStr := func() string {
		r := make([]rune, 1+rng.Intn(12))
		for i := range r {
			r[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return string(r)
	}
	for i := 0; i < 20; i++ {
		v := valueCases()["whole stack"]
		v.Instance = randStr()
		v.Dex.Host = randStr()
		v.Dex.ConfigChecksum = randStr()
		v.Proxies[0].Host = randStr()
		v.Proxies[0].Annotations = map[string]string{randStr(): randStr()}
		got, err := Render(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := renderWithHelm(t, v); !reflect.DeepEqual(got, want) {
			t.Fatalf("random values %#v: authstack's output differs from helm's engine", v)
		}
	}
}

// Rendering twice from the cached, parsed chart gives the same output, and
// a render does not leak values into the next one through the cached
// values.yaml defaults.
func TestRenderDoesNotShareStateBetweenCalls(t *testing.T) {
	first, err := Render(valueCases()["dex with kubernetes storage and a path"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(valueCases()["whole stack"]); err != nil {
		t.Fatal(err)
	}
	again, err := Render(valueCases()["dex with kubernetes storage and a path"])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Error("the same values rendered differently after another render")
	}
	c, err := loadChart()
	if err != nil {
		t.Fatal(err)
	}
	if cidrs := c.defaults["ingressFrom"].(map[string]any)["cidrs"]; !reflect.DeepEqual(cidrs, []any{}) {
		t.Errorf("values.yaml defaults changed by a render: ingressFrom.cidrs = %#v", cidrs)
	}
}

// A template that includes itself fails with an error instead of
// exhausting the stack, as in helm.
func TestIncludeRecursionFails(t *testing.T) {
	set := template.New("chart").Funcs(funcs(nil))
	if _, err := set.New("loop").Parse(`{{ include "loop" . }}`); err != nil {
		t.Fatal(err)
	}
	set.Funcs(funcs(set))
	err := set.ExecuteTemplate(io.Discard, "loop", nil)
	if err == nil || !strings.Contains(err.Error(), "nested more than 1000 times") {
		t.Fatalf("err = %v, want the recursion limit", err)
	}
}

// A template function helm has and authstack does not is a parse error, so
// a chart change needing one cannot render differently from helm.
func TestUnknownFunctionIsAParseError(t *testing.T) {
	_, err := template.New("x").Funcs(funcs(nil)).Parse(`{{ "a" | upper }}`)
	if err == nil || !strings.Contains(err.Error(), `function "upper" not defined`) {
		t.Fatalf("err = %v, want an undefined function", err)
	}
}

// values.yaml fills what the caller leaves out, a null from the caller
// removes a default, and maps merge key by key (chartutil.CoalesceValues).
func TestCoalesce(t *testing.T) {
	got := coalesce(
		map[string]any{"dex": nil, "ingressFrom": map[string]any{"namespace": "kube-system"}, "extra": 1.0},
		map[string]any{"instance": "authstack", "dex": nil, "proxies": []any{}, "ingressFrom": map[string]any{"namespace": "ingress-nginx", "cidrs": []any{}}},
	)
	want := map[string]any{"instance": "authstack", "proxies": []any{}, "ingressFrom": map[string]any{"namespace": "kube-system", "cidrs": []any{}}, "extra": 1.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coalesce = %#v, want %#v", got, want)
	}
}
