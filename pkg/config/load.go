package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// InvalidError is a spec that cannot be used; it lists every problem. The CLI
// maps it to exit code 2.
type InvalidError struct {
	File     string
	Problems []string
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not a valid spec (%d problem", e.File, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// Stack is a loaded, defaulted and valid spec, with where it came from.
type Stack struct {
	*v1alpha1.AuthStack
	// Dir is the spec's directory; relative paths in the spec are resolved from it.
	Dir string
	// File is the path the spec was read from.
	File string
	// Warnings are valid choices that deserve a second look, each with its
	// line and field path; commands print them on stderr and go on.
	Warnings []string
}

// Path resolves a path written in the spec.
func (s *Stack) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// LoadFile reads and validates a spec file.
func LoadFile(path string) (*Stack, error) {
	data, err := safefile.Read(path)
	if err != nil {
		return nil, &InvalidError{File: path, Problems: []string{err.Error()}}
	}
	spec, warnings, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	return &Stack{AuthStack: spec, Dir: filepath.Dir(path), File: path, Warnings: warnings}, nil
}

// Parse decodes, defaults and validates a spec; name is used in messages.
func Parse(name string, data []byte) (*v1alpha1.AuthStack, error) {
	spec, _, err := parse(name, data)
	return spec, err
}

func parse(name string, data []byte) (*v1alpha1.AuthStack, []string, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		msg := "empty file: expected an AuthStack spec"
		if !errors.Is(err, io.EOF) {
			msg = "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")
		}
		return nil, nil, &InvalidError{File: name, Problems: []string{msg}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, &InvalidError{File: name, Problems: []string{fmt.Sprintf("line %d: a second YAML document; a spec file holds one AuthStack", extra.Line)}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, &InvalidError{File: name, Problems: []string{fmt.Sprintf("line %d: expected a mapping with apiVersion: %s and kind: %s", root.Line, v1alpha1.APIVersion, v1alpha1.Kind)}}
	}
	if kindProblem := checkKind(root); kindProblem != "" {
		return nil, nil, &InvalidError{File: name, Problems: []string{kindProblem}}
	}
	lines := map[string]int{}
	problems := checkFields(root, reflect.TypeOf(v1alpha1.AuthStack{}), nil, lines)
	if len(problems) > 0 {
		return nil, nil, &InvalidError{File: name, Problems: problems}
	}
	spec := &v1alpha1.AuthStack{}
	if err := sigsyaml.Unmarshal(data, spec); err != nil {
		return nil, nil, &InvalidError{File: name, Problems: []string{typeError(err)}}
	}
	v1alpha1.SetDefaults(spec)
	if errs := v1alpha1.Validate(spec); len(errs) > 0 {
		return nil, nil, &InvalidError{File: name, Problems: describe(errs, lines)}
	}
	var warnings []string
	for _, w := range v1alpha1.Warnings(spec) {
		msg := w.String()
		if l := lineOf(w.Field, lines); l > 0 {
			msg = fmt.Sprintf("line %d: %s", l, msg)
		}
		warnings = append(warnings, msg)
	}
	return spec, warnings, nil
}

// checkKind tells early when a file is some other YAML, instead of listing
// every field of it as unknown.
func checkKind(root *yaml.Node) string {
	var apiVersion, kind string
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion":
			apiVersion = root.Content[i+1].Value
		case "kind":
			kind = root.Content[i+1].Value
		}
	}
	if apiVersion == v1alpha1.APIVersion && kind == v1alpha1.Kind {
		return ""
	}
	if apiVersion == "" && kind == "" {
		return fmt.Sprintf("line %d: not an AuthStack spec: apiVersion and kind are missing (want apiVersion: %s, kind: %s)", root.Line, v1alpha1.APIVersion, v1alpha1.Kind)
	}
	return fmt.Sprintf("line %d: not an AuthStack spec: apiVersion %q, kind %q (want apiVersion: %s, kind: %s)", root.Line, apiVersion, kind, v1alpha1.APIVersion, v1alpha1.Kind)
}

// describe prefixes each validation error with the line of its field, or of
// the closest parent that appears in the file.
func describe(errs field.ErrorList, lines map[string]int) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		msg := e.Error()
		if l := lineOf(e.Field, lines); l > 0 {
			msg = fmt.Sprintf("line %d: %s", l, msg)
		}
		out = append(out, msg)
	}
	return out
}

func lineOf(path string, lines map[string]int) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// typeError rewrites encoding/json's type errors into field-path language.
func typeError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	if i := strings.Index(msg, "json: cannot unmarshal "); i >= 0 {
		// json: cannot unmarshal string into Go struct field Dex.spec.issuer.dex.replicas of type int32
		rest := msg[i+len("json: cannot unmarshal "):]
		var got, path, want string
		if parts := strings.SplitN(rest, " into Go struct field ", 2); len(parts) == 2 {
			got = parts[0]
			if f := strings.SplitN(parts[1], " of type ", 2); len(f) == 2 {
				path, want = f[0], f[1]
				if dot := strings.Index(path, "."); dot >= 0 {
					path = path[dot+1:]
				}
				return fmt.Sprintf("%s: wrong type: got %s, want %s", path, got, jsonKind(want))
			}
		}
	}
	return msg
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	}
	return "a mapping"
}

// checkFields walks the YAML against the Go type and reports every key that
// the type does not have, with the closest known key. It records the line of
// each field path for later messages.
func checkFields(n *yaml.Node, t reflect.Type, path *field.Path, lines map[string]int) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if path != nil {
		lines[path.String()] = n.Line
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	var problems []string
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return []string{fmt.Sprintf("line %d: %s: wrong type: got %s, want a mapping", n.Line, pathName(path), nodeKind(n))}
		}
		fields := jsonFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				problems = append(problems, fmt.Sprintf("line %d: %s: unknown field%s", k.Line, pathName(child(path, k.Value)), suggest(k.Value, fields)))
				continue
			}
			if seen[k.Value] {
				problems = append(problems, fmt.Sprintf("line %d: %s: duplicate field", k.Line, pathName(child(path, k.Value))))
			}
			seen[k.Value] = true
			problems = append(problems, checkFields(v, ft, child(path, k.Value), lines)...)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return []string{fmt.Sprintf("line %d: %s: wrong type: got %s, want a list", n.Line, pathName(path), nodeKind(n))}
		}
		for i, item := range n.Content {
			problems = append(problems, checkFields(item, t.Elem(), indexOf(path, i), lines)...)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return []string{fmt.Sprintf("line %d: %s: wrong type: got %s, want a mapping", n.Line, pathName(path), nodeKind(n))}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			problems = append(problems, checkFields(n.Content[i+1], t.Elem(), path.Key(n.Content[i].Value), lines)...)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return []string{fmt.Sprintf("line %d: %s: wrong type: got %s, want %s", n.Line, pathName(path), nodeKind(n), jsonKind(t.Kind().String()))}
		}
	}
	return problems
}

func child(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

func indexOf(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i)
	}
	return p.Index(i)
}

func pathName(p *field.Path) string {
	if p == nil {
		return "(root)"
	}
	return p.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// jsonFields maps the JSON names of a struct's fields to their types,
// flattening inline fields.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous || strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the known field closest to a misspelled one.
func suggest(got string, fields map[string]reflect.Type) string {
	best, bestDist := "", 1<<30
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		d := distance(strings.ToLower(got), strings.ToLower(k))
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist > max(2, len(got)/2) {
		return fmt.Sprintf(" (valid fields: %s)", strings.Join(names, ", "))
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ReadCA reads a PEM CA bundle named in the spec (relative to the spec's
// directory); what names the field in errors.
func (s *Stack) ReadCA(path, what string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := safefile.Read(s.Path(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in the file", what, path)
	}
	return data, nil
}
