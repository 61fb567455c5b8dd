package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

type field struct {
	name, typ, doc string
	inline         bool
	ref            string // the named struct type it refers to, if any
}

type structType struct {
	name, doc string
	fields    []field
}

// source is what the schema and the reference read from types.go: each
// struct with its doc comments, and the string constants of each named type
// (the enums).
type source struct {
	types  map[string]*structType
	consts map[string][]string
}

func parseTypes(path string) (*source, error) {
	src := &source{types: map[string]*structType{}, consts: map[string][]string{}}
	// types.go first, then the other files of the package that add types
	// (managed.go), in name order, so enums list in a stable order.
	others, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(others)
	files := []string{path}
	for _, o := range others {
		if o != path && !strings.HasSuffix(o, "_test.go") {
			files = append(files, o)
		}
	}
	for _, p := range files {
		if err := src.parseFile(p); err != nil {
			return nil, err
		}
	}
	return src, nil
}

func (src *source) parseFile(path string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return err
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				st, ok := s.Type.(*ast.StructType)
				if !ok {
					continue
				}
				doc := gd.Doc
				if s.Doc != nil {
					doc = s.Doc
				}
				src.types[s.Name.Name] = &structType{name: s.Name.Name, doc: text(doc), fields: fields(st)}
			case *ast.ValueSpec:
				if id, ok := s.Type.(*ast.Ident); ok && len(s.Values) == 1 {
					if lit, ok := s.Values[0].(*ast.BasicLit); ok {
						src.consts[id.Name] = append(src.consts[id.Name], lit.Value)
					}
				}
			}
		}
	}
	return nil
}

// Generate renders the field reference of every struct reachable from AuthStack.
func Generate(path string) ([]byte, error) {
	src, err := parseTypes(path)
	if err != nil {
		return nil, err
	}
	types, consts := src.types, src.consts
	var b bytes.Buffer
	b.WriteString("# authstack.yaml reference\n\n")
	b.WriteString("Generated from `pkg/apis/authstack/v1alpha1/types.go` by `go run ./hack/specdoc`; do not edit.\n")
	b.WriteString("Defaults are applied by `SetDefaults` (see `authstack render` output for the effective values).\n")
	seen := map[string]bool{}
	queue := []string{"AuthStack"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		t := types[name]
		if t == nil {
			return nil, fmt.Errorf("type %s not found", name)
		}
		fmt.Fprintf(&b, "\n## %s\n\n", name)
		if t.doc != "" {
			fmt.Fprintf(&b, "%s\n\n", t.doc)
		}
		b.WriteString("| field | type | description |\n|---|---|---|\n")
		for _, fl := range expand(t, types) {
			typ := fl.typ
			if vals := consts[strings.TrimLeft(fl.typ, "[]*")]; len(vals) > 0 {
				typ += " (" + strings.Join(vals, ", ") + ")"
			}
			doc := strings.ReplaceAll(fl.doc, "\n", " ")
			if types[fl.ref] != nil {
				doc = strings.TrimSpace(doc + fmt.Sprintf(" See [%s](#%s).", fl.ref, strings.ToLower(fl.ref)))
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", fl.name, strings.ReplaceAll(typ, "|", "\\|"), doc)
			if fl.ref != "" && types[fl.ref] != nil {
				queue = append(queue, fl.ref)
			}
		}
	}
	return b.Bytes(), nil
}

// expand flattens inline fields into their parent.
func expand(t *structType, types map[string]*structType) []field {
	var out []field
	for _, f := range t.fields {
		if f.inline && types[f.ref] != nil {
			out = append(out, expand(types[f.ref], types)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

func fields(st *ast.StructType) []field {
	var out []field
	for _, f := range st.Fields.List {
		tag := ""
		if f.Tag != nil {
			tag = reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json")
		}
		name, opts, _ := strings.Cut(tag, ",")
		typ, ref := typeName(f.Type)
		fl := field{name: name, typ: typ, doc: text(f.Doc), ref: ref, inline: strings.Contains(opts, "inline") || len(f.Names) == 0}
		out = append(out, fl)
	}
	return out
}

func typeName(e ast.Expr) (string, string) {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name, t.Name
	case *ast.StarExpr:
		n, r := typeName(t.X)
		return n, r
	case *ast.ArrayType:
		n, r := typeName(t.Elt)
		return "[]" + n, r
	case *ast.SelectorExpr:
		// A type of another package, such as rbacv1.PolicyRule: named, not expanded.
		if pkg, ok := t.X.(*ast.Ident); ok {
			return pkg.Name + "." + t.Sel.Name, ""
		}
	case *ast.MapType:
		k, _ := typeName(t.Key)
		v, r := typeName(t.Value)
		return "map[" + k + "]" + v, r
	}
	return fmt.Sprintf("%T", e), ""
}

func text(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.TrimSpace(g.Text())
}
