package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
)

const root = "../.."

// The committed schema must match the Go types.
func TestSchemaIsCurrent(t *testing.T) {
	got, err := GenerateSchema(filepath.Join(root, typesPath))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join(root, schemaPath), got)
}

// specs are the authstack.yaml files users start from: the examples, and
// what init writes (testdata/init holds init's output, pinned by
// pkg/initspec's golden test and internal/cli's init tests).
func specs(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, glob := range []string{"examples/*/authstack.yaml", "testdata/init/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 10 {
		t.Fatalf("found only %d specs: %v", len(paths), paths)
	}
	return paths
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, schemaPath))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(v1alpha1.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(v1alpha1.SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instance(t *testing.T, data []byte) any {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every example and every spec init writes validates against the schema,
// and names the schema for editors on its first line.
func TestSpecsMatchSchema(t *testing.T) {
	s := compile(t)
	for _, path := range specs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(path, data); err != nil {
			t.Errorf("%s: authstack refuses it: %v", path, err)
		}
		if err := s.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if first != "# yaml-language-server: $schema="+v1alpha1.SchemaURL {
			t.Errorf("%s: first line %q does not name the schema", path, first)
		}
	}
}

// The schema refuses what strict decoding refuses: unknown fields at any
// depth (including inside the rbac rules of another package) and values
// outside an enum.
func TestSchemaRefusesWhatAuthstackRefuses(t *testing.T) {
	s := compile(t)
	data, err := os.ReadFile(filepath.Join(root, "examples/kind/authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"unknown top-level field": {"kind: AuthStack\n", "kind: AuthStack\nspecs: {}\n"},
		"unknown nested field":    {"  cluster:\n", "  cluster:\n    nmae: x\n"},
		"installer not in enum":   {"installer: kind", "installer: minikube"},
		"wrong apiVersion":        {"apiVersion: authstack.dev/v1alpha1", "apiVersion: authstack.dev/v1"},
		"integer as string":       {"port: ", "port: x"},
	} {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(data, []byte(edit[0])) {
				t.Fatalf("example has no %q", edit[0])
			}
			bad := bytes.Replace(data, []byte(edit[0]), []byte(edit[1]), 1)
			if _, err := config.Parse("authstack.yaml", bad); err == nil {
				t.Fatalf("authstack accepts it; the case does not test a refusal")
			}
			if err := s.Validate(instance(t, bad)); err == nil {
				t.Errorf("the schema accepts what authstack refuses:\n%s", bad)
			}
		})
	}
}

// A field the schema calls required is one authstack cannot do without:
// deleting it from any spec makes authstack refuse the spec. Otherwise an
// editor would flag a spec that renders fine.
func TestSchemaRequiredFieldsAreRequired(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, schemaPath))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	checked := 0
	for _, path := range specs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		walkRequired(schema, defs, doc.Content[0], "", func(m *yaml.Node, i int, field string) {
			checked++
			key, value := m.Content[i], m.Content[i+1]
			m.Content = slices.Delete(m.Content, i, i+2)
			defer func() { m.Content = slices.Insert(m.Content, i, key, value) }()
			out, err := yaml.Marshal(&doc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := config.Parse(path, out); err == nil {
				t.Errorf("%s: the schema requires %s, but authstack accepts the spec without it", path, field)
			}
		})
	}
	if checked < 50 {
		t.Errorf("checked only %d required fields", checked)
	}
}

// walkRequired calls drop for every field of n that schema s requires.
func walkRequired(s map[string]any, defs map[string]any, n *yaml.Node, path string, drop func(m *yaml.Node, i int, field string)) {
	if ref, ok := s["$ref"].(string); ok {
		s = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	switch n.Kind {
	case yaml.MappingNode:
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			if slices.Contains(required, any(name)) {
				drop(n, i, path+"."+name)
			}
			if p, ok := props[name].(map[string]any); ok {
				walkRequired(p, defs, n.Content[i+1], path+"."+name, drop)
			}
		}
	case yaml.SequenceNode:
		if items, ok := s["items"].(map[string]any); ok {
			for i, c := range n.Content {
				walkRequired(items, defs, c, path+"["+strconv.Itoa(i)+"]", drop)
			}
		}
	}
}
