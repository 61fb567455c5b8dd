package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/secrets"
)

// The red-team of the renderer: every string of a valid example is replaced
// by (or extended with) a string that means something in one of the
// languages the renderer writes (YAML from templates, CEL, nginx annotation
// values and their variables, oauth2-proxy's TOML, Traefik rules, URLs).
// Each variant must either be refused by validation with an error naming
// the field, or render to output of the same shape as the example's: no key,
// object, file or annotation that the example does not have, nothing that
// ingress-nginx would read as a variable or a snippet.

// hostileExamples are the examples whose every string is attacked: together
// they reach every renderer (ingress-nginx, Traefik, Gateway API, a shared
// sign-in proxy, LDAP, managed clusters).
var hostileExamples = []string{"kind", "traefik", "gateway-api", "shared-signin", "dex-ldap-kubespray", "managed-multicluster", "prometheus-headers", "dashboard-token", "kubeadm"}

// hostilePayloads: each crosses into a target language the renderer writes.
var hostilePayloads = []string{
	"a\nb: c",             // a YAML key on a new line
	"a\n  b: c",           // an indented YAML key
	"a\n    b: c\n    d:", // keys at the chart's depths, the next line absorbed
	"a\n      b: c\n      d:",
	"a\n        b: c\n        d:",
	"a\n          b: c\n          d:",
	"x: y",                  // a YAML mapping inline
	"x #c",                  // a YAML comment
	"*a",                    // a YAML alias
	"&a x",                  // a YAML anchor
	"!!binary x",            // a YAML tag
	"{{ .Values }}",         // a template action
	"\"'",                   // both quotes
	`\`,                     // a backslash (CEL, TOML, JSON escapes)
	"') || true || ('",      // a CEL string ending early
	`") || true || ("`,      //
	"a,b",                   // a list separator (flags, annotations)
	"a b",                   // a space (auth-response-headers, scopes)
	"a&b=c",                 // a query parameter
	"a?b",                   // a query start
	"a#b",                   // a URL fragment
	"a%2Cb",                 // an escaped comma
	"a\r\nX-Injected: 1",    // a header
	"$host",                 // an nginx variable
	"${x}",                  //
	"a`) || Host(`evil.com", // a Traefik rule ending early
	"a;more_set_headers x",  // an nginx directive
	"é",                     // not ASCII
	"EVIL",                  // upper case
	"evil.example.com#@good.example.com",
	"good.example.com.evil.com",
	"good.example.com.",
	"https://u:p@evil.example.com/x?y=1#z",
	"a:b/c",    // legal in RBAC subjects, not in object names
	"a-b",      // collides with a:b once names are sanitized
	"\t",       // a control character alone
	" ",        // a blank
	"a\x00b",   // a NUL
	"a\u2028b", // a line separator
}

// leaf is one string of the spec's JSON form, by path of map keys and list
// indices.
type leaf struct {
	path  []any
	value string
}

func (l leaf) field() string {
	var b strings.Builder
	for _, p := range l.path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

func leaves(v any, p []any, out *[]leaf) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			// metadata is the spec's own object name, not rendered values.
			if len(p) == 0 && (k == "apiVersion" || k == "kind") {
				continue
			}
			leaves(v[k], append(slices.Clone(p), k), out)
		}
	case []any:
		for i, e := range v {
			leaves(e, append(slices.Clone(p), i), out)
		}
	case string:
		*out = append(*out, leaf{path: p, value: v})
	}
}

func setLeaf(v any, p []any, val string) any {
	if len(p) == 0 {
		return val
	}
	if v == nil {
		// An optional block the example leaves out.
		v = map[string]any{}
	}
	switch v := v.(type) {
	case map[string]any:
		v[p[0].(string)] = setLeaf(v[p[0].(string)], p[1:], val)
	case []any:
		v[p[0].(int)] = setLeaf(v[p[0].(int)], p[1:], val)
	}
	return v
}

// shape is the set of key paths of a parsed document, values left out;
// list indices are collapsed. Strings holding a config file (a ConfigMap's
// or Secret's data) are parsed and their shape taken too.
func shape(v any, p string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			shape(e, p+"."+k, out)
		}
		if len(v) == 0 {
			out[p+"{}"] = true
		}
	case []any:
		for _, e := range v {
			shape(e, p+"[]", out)
		}
	case string:
		out[p] = true
		if inner := embeddedDoc(p, v); inner != nil {
			shape(inner, p+">", out)
		}
	default:
		out[p] = true
	}
}

// embeddedDoc parses a config file held in a string, by its key's name.
func embeddedDoc(p, s string) any {
	switch ext := path.Ext(p); ext {
	case ".yaml", ".yml":
		var m map[string]any
		if yaml.Unmarshal([]byte(s), &m) == nil {
			return m
		}
		return map[string]any{"UNPARSABLE": true}
	case ".cfg", ".toml":
		var m map[string]any
		if _, err := toml.Decode(s, &m); err == nil {
			return m
		}
		return map[string]any{"UNPARSABLE": true}
	}
	return nil
}

// rendered is the comparable form of a render: each object's kind with its
// shape, each file with its shape, and every annotation.
type rendered struct {
	objects map[string]map[string]bool // kind -> union of shapes
	kinds   map[string]int
	files   map[string]map[string]bool
	annots  []annotation
	docs    int      // documents in the stream of render's stdout
	rules   []string // Traefik route rules
}

type annotation struct{ object, key, value string }

func digest(t testing.TB, res *Result) (*rendered, error) {
	out := &rendered{objects: map[string]map[string]bool{}, kinds: map[string]int{}, files: map[string]map[string]bool{}}
	addObj := func(u *unstructured.Unstructured) {
		k := u.GetKind()
		out.kinds[k]++
		if out.objects[k] == nil {
			out.objects[k] = map[string]bool{}
		}
		// Round trip through YAML: what is written is what is compared.
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s does not parse back: %v", k, u.GetName(), err)
		}
		// A Secret's data is base64: decode so that config files in it
		// are compared by shape.
		if k == "Secret" {
			if d, ok := m["data"].(map[string]any); ok {
				sd := map[string]any{}
				for dk, dv := range d {
					s, _ := dv.(string)
					b, err := base64Decode(s)
					if err != nil {
						t.Fatalf("Secret %s key %s: %v", u.GetName(), dk, err)
					}
					sd[dk] = string(b)
				}
				m["stringData"] = sd
				delete(m, "data")
			}
		}
		// Labels and selectors carry user keys (spec podSelector): compared
		// by count, not by name.
		shape(m, k, out.objects[k])
		if routes, ok, _ := unstructured.NestedSlice(m, "spec", "routes"); ok {
			for _, rt := range routes {
				if match, ok := rt.(map[string]any)["match"].(string); ok {
					out.rules = append(out.rules, match)
				}
			}
		}
		for ak, av := range u.GetAnnotations() {
			out.annots = append(out.annots, annotation{k + " " + u.GetNamespace() + "/" + u.GetName(), ak, av})
		}
	}
	for _, o := range res.Objects {
		addObj(o.Object)
	}
	for _, c := range res.Clusters {
		for _, o := range c.Objects {
			addObj(o.Object)
		}
	}
	stream, err := res.Stream()
	if err != nil {
		return nil, err
	}
	docs := 0
	for _, d := range bytes.Split(stream, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(d, &m); err != nil {
			t.Fatalf("rendered stream does not parse: %v\n%s", err, d)
		}
		if len(m) > 0 {
			docs++
		}
	}
	out.docs = docs
	for _, f := range res.Files {
		s := map[string]bool{}
		switch path.Ext(f.Path) {
		case ".yaml", ".yml", ".json", ".kubeconfig":
			for i, d := range bytes.Split(f.Data, []byte("\n---\n")) {
				var m any
				if err := yaml.Unmarshal(d, &m); err != nil {
					s["UNPARSABLE"] = true
					continue
				}
				shape(m, strconv.Itoa(i), s)
			}
		case ".cfg", ".toml":
			shape(embeddedDoc(f.Path, string(f.Data)), "", s)
		}
		out.files[normalizeFile(f.Path)] = s
	}
	return out, nil
}

// normalizeFile keys files by directory and extension: an app's name is in
// its file's name.
func normalizeFile(p string) string { return p }

// compare reports what the hostile render has that the example's has not.
func compare(base, got *rendered) []string {
	var probs []string
	for k, n := range got.kinds {
		if base.kinds[k] != n {
			probs = append(probs, fmt.Sprintf("%d %s objects, the example has %d", n, k, base.kinds[k]))
		}
	}
	if got.docs != base.docs {
		probs = append(probs, fmt.Sprintf("the stream holds %d documents, the example's %d", got.docs, base.docs))
	}
	for k, s := range got.objects {
		for p := range s {
			if !base.objects[k][p] && !userKeyed(p) {
				probs = append(probs, fmt.Sprintf("%s has %s, which the example has not", k, p))
			}
		}
	}
	for f, s := range got.files {
		bs, ok := base.files[f]
		if !ok {
			continue
		}
		for p := range s {
			if !bs[p] && !userKeyed(p) {
				probs = append(probs, fmt.Sprintf("file %s has %s, which the example has not", f, p))
			}
		}
	}
	for _, r := range got.rules {
		if !traefikRuleIsPlain(r) {
			probs = append(probs, fmt.Sprintf("Traefik rule %q has more than Host and PathPrefix matchers joined by &&", r))
		}
	}
	for _, a := range got.annots {
		if strings.ContainsFunc(a.value, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 }) {
			probs = append(probs, fmt.Sprintf("%s annotation %s has a control character: %q", a.object, a.key, a.value))
		}
		if strings.HasPrefix(a.key, "nginx.ingress.kubernetes.io/") {
			if strings.Contains(a.key, "snippet") {
				probs = append(probs, fmt.Sprintf("%s has a snippet annotation %s", a.object, a.key))
			}
			if strings.Contains(a.value, "$") && !slices.Contains(base.annots, a) && !baseHasDollar(base, a.key) {
				probs = append(probs, fmt.Sprintf("%s annotation %s has a $ (an nginx variable): %q", a.object, a.key, a.value))
			}
		}
	}
	sort.Strings(probs)
	return probs
}

func baseHasDollar(base *rendered, key string) bool {
	for _, a := range base.annots {
		if a.key == key && strings.Contains(a.value, "$") {
			return true
		}
	}
	return false
}

// userKeyed tells the paths under maps whose keys come from the spec
// (labels and selectors from podSelector, dex's static users' groups).
func userKeyed(p string) bool {
	// dex's environment is keyed by client and connector ids
	// (v1alpha1.DexEnvName), the CA bundles by cluster name.
	if k, ok := strings.CutPrefix(p, "Secret.stringData."); ok && strings.ToUpper(k) == k && !strings.Contains(k, ">") {
		return true
	}
	if strings.HasPrefix(p, "ConfigMap.data.ca-") && strings.HasSuffix(p, ".crt") {
		return true
	}
	for _, m := range []string{".matchLabels.", ".podSelector.", ".selector.", "labels."} {
		if strings.Contains(p, m) {
			return true
		}
	}
	return false
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// hostileVariant renders spec with the string at l replaced by val and
// returns the problems found; "" problems means refused with the field
// named or rendered to the example's shape.
func hostileVariant(t testing.TB, base *config.Stack, baseOut *rendered, raw []byte, l leaf, val string) []string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	setLeaf(m, l.path, val)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	spec := &v1alpha1.AuthStack{}
	if err := json.Unmarshal(data, spec); err != nil {
		t.Fatal(err)
	}
	v1alpha1.SetDefaults(spec)
	if errs := v1alpha1.Validate(spec); len(errs) > 0 {
		if !namesField(errs, l.field(), val) {
			return []string{fmt.Sprintf("refused without naming %s: %v", l.field(), errs.ToAggregate())}
		}
		return nil
	}
	stack := &config.Stack{AuthStack: spec, Dir: base.Dir, File: base.File}
	var res *Result
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		res, err = Render(stack, Options{Secrets: secrets.Fixed{}})
	}()
	if err != nil {
		if strings.HasPrefix(err.Error(), "panic") {
			return []string{err.Error()}
		}
		// Refused at render: fail closed. The message must still say where.
		return nil
	}
	got, err := digest(t, res)
	if err != nil {
		return []string{"stream: " + err.Error()}
	}
	return compare(baseOut, got)
}

// namesField: an error of errs is about f or a field that contains it
// (a list refused whole) or inside it.
func namesField(errs field.ErrorList, f, val string) bool {
	for _, e := range errs {
		// Map keys are written [key] in field paths, .key in leaf paths.
		e.Field = mapKey.ReplaceAllString(e.Field, ".$1")
		// Or a field that refers to this one, quoting its new value
		// (passwordConnector: supported values: "<the new connector id>").
		if strings.Contains(e.Detail, strconv.Quote(val)) || strings.Contains(e.Detail, " "+val+" ") {
			return true
		}
		// A cross-field check may be reported on the other field, with this
		// one named in its message (spec.apiServer.audiences must include
		// spec.kubectl.clientID).
		if strings.HasPrefix(f, e.Field) || strings.HasPrefix(e.Field, f) || strings.Contains(e.Detail, f) {
			return true
		}
	}
	return false
}

func TestRenderHostileStrings(t *testing.T) {
	exampleEnv(t)
	// By default one payload per target language, appended to the valid
	// value only, on every example (about a minute); with -short only on
	// the examples that reach every edge. AUTHSTACK_HOSTILE_FULL=1 runs
	// every payload both appended and alone (about ten minutes per few
	// examples: not for CI).
	payloads, examples, modes := hostilePayloads, hostileExamples, 2
	if os.Getenv("AUTHSTACK_HOSTILE_FULL") == "" {
		payloads, modes = []string{"a\n  b: c", "a\n      b: c\n      d:", "') || true || ('", "a,b", "$host", "a\r\nX-Injected: 1", "a`) || Host(`evil.com", "a&b=c", "é"}, 1
		if testing.Short() {
			examples = []string{"kind", "traefik", "gateway-api", "shared-signin"}
		}
	}
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			base := load(t, name)
			res, err := Render(base, Options{Secrets: secrets.Fixed{}})
			if err != nil {
				t.Fatal(err)
			}
			baseOut, err := digest(t, res)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(base.AuthStack)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			var ls []leaf
			leaves(m, nil, &ls)
			// Optional strings the examples leave out but that reach a
			// target language.
			if base.Spec.Issuer.Dex != nil && base.Spec.Issuer.Dex.Path == "" {
				ls = append(ls, leaf{path: []any{"spec", "issuer", "dex", "path"}, value: "/dex"})
			}
			if base.Spec.Images.Dex == "" && base.Spec.Images.OAuth2Proxy == "" {
				ls = append(ls, leaf{path: []any{"spec", "images", "dex"}, value: "ghcr.io/dexidp/dex:v2.44.0"},
					leaf{path: []any{"spec", "images", "oauth2Proxy"}, value: "quay.io/oauth2-proxy/oauth2-proxy:v7.15.6"})
			}
			for _, l := range ls {
				for _, p := range payloads {
					for _, val := range []string{l.value + p, p}[:modes] {
						if probs := hostileVariant(t, base, baseOut, raw, l, val); len(probs) > 0 {
							t.Errorf("%s = %q:\n  %s", l.field(), val, strings.Join(probs, "\n  "))
						}
					}
				}
			}
		})
	}
}

// traefikRuleIsPlain: the rules authstack writes are Host(`h`), optionally
// && PathPrefix(`p`); a value that ends a backtick quote makes more.
func traefikRuleIsPlain(r string) bool {
	return traefikRule.MatchString(r)
}

var traefikRule = regexp.MustCompile("^Host\\(`[^`]+`\\)( && PathPrefix\\(`[^`]+`\\))?$")

// FuzzRenderHostileStrings puts fuzzed strings into each string of the
// kind and shared-signin examples: go test -fuzz FuzzRenderHostileStrings
// ./pkg/render/ explores beyond the payload table.
func FuzzRenderHostileStrings(f *testing.F) {
	exampleEnv(f)
	type target struct {
		base    *config.Stack
		baseOut *rendered
		raw     []byte
		leaves  []leaf
	}
	var targets []target
	for _, name := range []string{"kind", "shared-signin"} {
		base := load(f, name)
		res, err := Render(base, Options{Secrets: secrets.Fixed{}})
		if err != nil {
			f.Fatal(err)
		}
		out, err := digest(f, res)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := json.Marshal(base.AuthStack)
		if err != nil {
			f.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			f.Fatal(err)
		}
		var ls []leaf
		leaves(m, nil, &ls)
		targets = append(targets, target{base, out, raw, ls})
	}
	for i, p := range hostilePayloads {
		f.Add(uint(i), uint(i%2), p)
	}
	f.Fuzz(func(t *testing.T, at, example uint, val string) {
		tg := targets[int(example%uint(len(targets)))]
		l := tg.leaves[int(at%uint(len(tg.leaves)))]
		if probs := hostileVariant(t, tg.base, tg.baseOut, tg.raw, l, val); len(probs) > 0 {
			t.Errorf("%s = %q:\n  %s", l.field(), val, strings.Join(probs, "\n  "))
		}
	})
}

var mapKey = regexp.MustCompile(`\[([^\]0-9][^\]]*)\]`)
