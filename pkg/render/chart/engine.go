package chart

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/templates"
)

// The chart is executed as helm v3's engine executes it (helm.sh/helm/v3
// pkg/engine/engine.go, v3.22.0): every file under templates/ is parsed into
// one template set named "<chart>/templates/<file>", deeper paths first and
// then in reverse lexical order (so a later `define` wins as in helm); files
// whose base name starts with "_" are only partials; a missing map key
// renders as its zero value and the "<no value>" text/template prints for it
// is removed. The values are the chart's values.yaml overlaid with the
// caller's, as chartutil.CoalesceValues does (a null removes a default).
//
// Only the template functions the chart uses exist here; a template calling
// any other fails to parse, so a chart change that needs one fails every
// render test instead of rendering differently from helm.

// recursionLimit bounds nested include calls of one template, as helm does
// (its recursionMaxNums); text/template's own depth limit does not see
// through include, which starts a fresh execution.
const recursionLimit = 1000

// parsedChart is the embedded chart, read and parsed once per process.
type parsedChart struct {
	name     string
	set      *template.Template
	files    []string // templates to execute, partials excluded, sorted
	defaults map[string]any
}

var loadChart = sync.OnceValues(func() (*parsedChart, error) {
	meta, err := fs.ReadFile(templates.Chart, templates.ChartDir+"/Chart.yaml")
	if err != nil {
		return nil, err
	}
	var chartYAML struct {
		Name string `json:"name"`
	}
	if err := yaml.Unmarshal(meta, &chartYAML); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	if chartYAML.Name == "" {
		return nil, errors.New("Chart.yaml: name is empty")
	}
	c := &parsedChart{name: chartYAML.Name, defaults: map[string]any{}}

	raw, err := fs.ReadFile(templates.Chart, templates.ChartDir+"/values.yaml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(raw, &c.defaults); err != nil {
		return nil, fmt.Errorf("values.yaml: %w", err)
	}

	sources := map[string]string{}
	dir := templates.ChartDir + "/templates"
	err = fs.WalkDir(templates.Chart, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.Chart, p)
		if err != nil {
			return err
		}
		sources[c.name+"/"+strings.TrimPrefix(p, templates.ChartDir+"/")] = string(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sources))
	for name := range sources {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if di != dj {
			return di > dj
		}
		return names[i] > names[j]
	})

	// include is bound per execution (see execute); this one only lets the
	// templates parse.
	c.set = template.New("chart").Option("missingkey=zero").Funcs(funcs(nil))
	for _, name := range names {
		if _, err := c.set.New(name).Parse(sources[name]); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		if !strings.HasPrefix(path.Base(name), "_") {
			c.files = append(c.files, name)
		}
	}
	sort.Strings(c.files)
	return c, nil
})

// topLevel is what a template sees as ".": a struct rather than a map, so a
// template reaching for an object helm provides and authstack does not
// (.Chart, .Capabilities, .Files) fails instead of rendering empty.
type topLevel struct {
	Values   map[string]any
	Release  release
	Template templateInfo
}

type release struct {
	Name, Namespace, Service string
	IsInstall, IsUpgrade     bool
	Revision                 int
}

type templateInfo struct{ Name, BasePath string }

// execute renders every non-partial template of the chart with values and
// returns the output by template name.
func (c *parsedChart) execute(values map[string]any, rel release) (map[string]string, error) {
	set, err := c.set.Clone()
	if err != nil {
		return nil, err
	}
	set.Funcs(funcs(set))
	out := make(map[string]string, len(c.files))
	for _, name := range c.files {
		var buf strings.Builder
		top := topLevel{Values: values, Release: rel, Template: templateInfo{Name: name, BasePath: c.name + "/templates"}}
		if err := set.ExecuteTemplate(&buf, name, top); err != nil {
			return nil, err
		}
		out[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// coalesce overlays values on defaults as helm's chartutil.CoalesceValues
// does for a chart without dependencies: the caller's value wins, maps merge
// key by key, and a null from the caller removes the default.
func coalesce(values, defaults map[string]any) map[string]any {
	for k, def := range defaults {
		v, set := values[k]
		switch {
		case !set:
			values[k] = def
		case v == nil:
			delete(values, k)
		default:
			vm, vok := v.(map[string]any)
			dm, dok := def.(map[string]any)
			if vok && dok {
				coalesce(vm, dm)
			}
		}
	}
	return values
}

// deepCopy copies the defaults so that one render's values never share maps
// or slices with the cached defaults or another render.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// funcs are the template functions the chart uses, with the behaviour of
// the functions of the same name in helm (include, toJson: pkg/engine) and
// sprig v3 (dict, quote, nindent, default), which TestFuncsMatchSprigAndHelm
// compares on a table of inputs. set is the template set include executes
// in; nil only while parsing.
func funcs(set *template.Template) template.FuncMap {
	depth := map[string]int{}
	return template.FuncMap{
		"include": func(name string, data any) (string, error) {
			if set == nil {
				return "", errors.New("include is not bound to a template set")
			}
			if depth[name] >= recursionLimit {
				return "", fmt.Errorf("include %q: nested more than %d times", name, recursionLimit)
			}
			depth[name]++
			defer func() { depth[name]-- }()
			var buf strings.Builder
			err := set.ExecuteTemplate(&buf, name, data)
			return buf.String(), err
		},
		// helm's toJson prints "" when marshaling fails; here the render
		// fails instead, since an empty value could change what a manifest
		// means. Values come from JSON, so it cannot fail today.
		"toJson": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, (len(kv)+1)/2)
			for i := 0; i < len(kv); i += 2 {
				var v any = ""
				if i+1 < len(kv) {
					v = kv[i+1]
				}
				m[str(kv[i])] = v
			}
			return m
		},
		"quote": func(vs ...any) string {
			q := make([]string, 0, len(vs))
			for _, v := range vs {
				if v != nil {
					q = append(q, fmt.Sprintf("%q", str(v)))
				}
			}
			return strings.Join(q, " ")
		},
		"nindent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"default": func(def any, given ...any) any {
			if len(given) == 0 || isEmpty(given[0]) {
				return def
			}
			return given[0]
		},
	}
}

// str formats a value as sprig's strval does.
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	case error:
		return t.Error()
	case fmt.Stringer:
		return t.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}

// isEmpty is sprig's notion of an empty value, which default replaces.
func isEmpty(v any) bool {
	r := reflect.ValueOf(v)
	if !r.IsValid() {
		return true
	}
	switch r.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Complex64, reflect.Complex128:
		return r.Complex() == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Struct:
		return false
	default: // chan, func, interface, pointer, unsafe pointer
		return r.IsNil()
	}
}
