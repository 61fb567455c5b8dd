package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// GenerateSchema writes a JSON Schema (draft 2020-12) of authstack.yaml from
// the Go types: descriptions from the doc comments in types.go, enums from
// the string constants of each named type, required fields where the json
// tag has no omitempty, and additionalProperties false everywhere, as
// pkg/config's strict decoding refuses unknown fields.
func GenerateSchema(typesPath string) ([]byte, error) {
	src, err := parseTypes(typesPath)
	if err != nil {
		return nil, err
	}
	g := &schemaGen{src: src, defs: map[string]any{}}
	root := g.object(reflect.TypeOf(v1alpha1.AuthStack{}))
	props := root["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": v1alpha1.APIVersion, "description": props["apiVersion"].(map[string]any)["description"]}
	props["kind"] = map[string]any{"const": v1alpha1.Kind, "description": props["kind"].(map[string]any)["description"]}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = v1alpha1.SchemaURL
	root["title"] = "authstack.yaml (" + v1alpha1.APIVersion + ")"
	root["$defs"] = g.defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return b.Bytes(), nil
}

type schemaGen struct {
	src  *source
	defs map[string]any
}

var specPkg = reflect.TypeOf(v1alpha1.AuthStack{}).PkgPath()

// schema returns the schema of a value of type t: a $ref for named structs,
// whose definitions collect in $defs.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		name := t.Name()
		if t.PkgPath() != specPkg {
			// A type of another package, such as rbacv1.PolicyRule.
			name = pkgName(t.PkgPath()) + "." + name
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // breaks cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.String:
		s := map[string]any{"type": "string"}
		if t.PkgPath() == specPkg {
			if vals := g.src.consts[t.Name()]; len(vals) > 0 {
				enum := make([]string, 0, len(vals))
				for _, v := range vals {
					u, err := strconv.Unquote(v)
					if err != nil {
						panic(fmt.Sprintf("constant of %s: %v", t.Name(), err))
					}
					enum = append(enum, u)
				}
				s["enum"] = enum
			}
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	}
	panic(fmt.Sprintf("schema: no rule for %s", t))
}

// object is the schema of a struct, with the fields of embedded structs
// promoted into it, as encoding/json (and so sigs.k8s.io/yaml) reads them.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if t.PkgPath() == specPkg {
		if st := g.src.types[t.Name()]; st != nil && st.doc != "" {
			s["description"] = st.doc
		}
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	var docs map[string]string
	if t.PkgPath() == specPkg && g.src.types[t.Name()] != nil {
		docs = map[string]string{}
		for _, f := range g.src.types[t.Name()].fields {
			docs[f.name] = f.doc
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if doc := docs[name]; doc != "" {
			if _, isRef := s["$ref"]; isRef {
				// Siblings of $ref are allowed since draft 2019-09.
				s = map[string]any{"$ref": s["$ref"], "description": doc}
			} else {
				s["description"] = doc
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

func pkgName(path string) string {
	// k8s.io/api/rbac/v1 -> rbacv1, as the types are imported in types.go.
	parts := strings.Split(path, "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2] + parts[len(parts)-1]
	}
	return path
}
