package render

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/kustomize"
	"github.com/authstack/authstack/pkg/secrets"
)

// kustomize build of the GitOps base gives exactly the objects apply
// applies, the Secrets included, although no manifest holds a Secret.
func TestKustomizeBaseBuildsTheRenderedObjects(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			res := renderExample(t, name)
			dir := t.TempDir()
			if _, err := res.WriteDir(dir, FormatKustomize); err != nil {
				t.Fatal(err)
			}
			out, err := kustomize.Build(dir)
			if err != nil {
				t.Fatal(err)
			}
			built := map[string]map[string]any{}
			for _, doc := range splitDocs(out) {
				var m map[string]any
				if err := yaml.Unmarshal(doc, &m); err != nil {
					t.Fatal(err)
				}
				// kustomize wraps long base64 values in lines, which
				// base64 decoding (and so the API server) ignores.
				if data, ok := m["data"].(map[string]any); ok && m["kind"] == "Secret" {
					for k, v := range data {
						data[k] = strings.ReplaceAll(v.(string), "\n", "")
					}
				}
				built[keyOf(m)] = m
			}
			want := map[string]map[string]any{}
			secretsSeen := 0
			for _, o := range res.Objects {
				// The YAML round trip gives both sides the same number types.
				data, err := yaml.Marshal(o.Object.Object)
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]any
				if err := yaml.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				want[keyOf(m)] = m
				if m["kind"] == "Secret" {
					secretsSeen++
				}
			}
			if secretsSeen == 0 {
				t.Fatal("the example renders no Secret; the test would prove nothing")
			}
			for k, w := range want {
				if !reflect.DeepEqual(built[k], w) {
					got, _ := yaml.Marshal(built[k])
					exp, _ := yaml.Marshal(w)
					t.Errorf("%s: kustomize build gives\n%s\nwant\n%s", k, got, exp)
				}
			}
			for k := range built {
				if want[k] == nil {
					t.Errorf("kustomize build gives %s, which render does not", k)
				}
			}
			manifests, err := os.ReadDir(filepath.Join(dir, "manifests"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range manifests {
				data, _ := os.ReadFile(filepath.Join(dir, "manifests", e.Name()))
				if strings.Contains(string(data), "kind: Secret\n") {
					t.Errorf("manifests/%s holds a Secret", e.Name())
				}
			}
			for _, p := range []string{"secrets/dex/dex-env", "secrets/apps"} {
				filepath.WalkDir(filepath.Join(dir, p), func(path string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
							t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
						}
					}
					return nil
				})
			}
		})
	}
}

// The external-secrets base builds to everything but the Secrets, and
// SECRETS.md names each Secret and key the cluster must have.
func TestKustomizeExternalBaseListsTheSecrets(t *testing.T) {
	exampleEnv(t)
	res := renderExample(t, "kind")
	dir := t.TempDir()
	if _, err := res.WriteDir(dir, FormatKustomizeExternal); err != nil {
		t.Fatal(err)
	}
	out, err := kustomize.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	built := len(splitDocs(out))
	list, err := os.ReadFile(filepath.Join(dir, "SECRETS.md"))
	if err != nil {
		t.Fatal(err)
	}
	secretsSeen := 0
	for _, o := range res.Objects {
		if o.Object.GetKind() != "Secret" {
			continue
		}
		secretsSeen++
		row := "| " + o.Object.GetNamespace() + " | " + o.Object.GetName() + " | Opaque | "
		if !strings.Contains(string(list), row) {
			t.Errorf("SECRETS.md lacks a row %q:\n%s", row, list)
		}
		for k := range o.Object.Object["data"].(map[string]any) {
			if !strings.Contains(string(list), "`"+k+"`") {
				t.Errorf("SECRETS.md lacks key %s of %s", k, o.Object.GetName())
			}
		}
	}
	if strings.Contains(string(out), "kind: Secret") || built != len(res.Objects)-secretsSeen {
		t.Errorf("kustomize build gives %d objects, want the %d that are not Secrets", built, len(res.Objects)-secretsSeen)
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets")); !os.IsNotExist(err) {
		t.Errorf("the external-secrets base wrote secrets/ (err %v)", err)
	}
}

func keyOf(m map[string]any) string {
	md, _ := m["metadata"].(map[string]any)
	return m["kind"].(string) + "/" + str(md["namespace"]) + "/" + str(md["name"])
}

func str(v any) string { s, _ := v.(string); return s }

func TestKustomizeFormatRefusesWhatAGeneratorCannotMake(t *testing.T) {
	res := &Result{Objects: []Object{{File: secretsFile, Object: mustObj(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x, ownerReferences: [{kind: X}]}\ndata: {a: YQ==}\n")}}}
	if _, err := res.KustomizeFiles(); err == nil || !strings.Contains(err.Error(), "metadata.ownerReferences") {
		t.Fatalf("err = %v, want a refusal naming metadata.ownerReferences", err)
	}
	res = &Result{Objects: []Object{{File: secretsFile, Object: mustObj(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\ndata: {..: YQ==}\n")}}}
	if _, err := res.KustomizeFiles(); err == nil || !strings.Contains(err.Error(), `key ".."`) {
		t.Fatalf("err = %v, want a refusal of key ..", err)
	}
}

func mustObj(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// Every rendered object is one object in the cluster: no two share group,
// kind, namespace and name, for the examples and for specs whose parts ask
// for the same object (a user in rbac.users with view, and in
// userNamespaces, which binds view too). kustomize refuses such duplicates.
func TestEveryObjectIsRenderedOnce(t *testing.T) {
	exampleEnv(t)
	overlap := func(s *v1alpha1.Spec) {
		s.RBAC.Users = append(s.RBAC.Users, v1alpha1.UserAccess{Name: "zoe@example.com", ClusterRoles: []string{"view", "edit"}})
		s.RBAC.UserNamespaces = append(s.RBAC.UserNamespaces, v1alpha1.UserNamespace{User: "zoe@example.com"})
	}
	for _, name := range examples {
		for _, edit := range []struct {
			name string
			fn   func(*v1alpha1.Spec)
		}{{"as-is", func(*v1alpha1.Spec) {}}, {"user-in-users-and-userNamespaces", overlap}} {
			t.Run(name+"/"+edit.name, func(t *testing.T) {
				s := load(t, name)
				edit.fn(&s.Spec)
				v1alpha1.SetDefaults(s.AuthStack)
				if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
					t.Fatal(errs.ToAggregate())
				}
				res, err := Render(s, Options{Secrets: secrets.Fixed{}})
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for _, o := range res.Objects {
					gvk := o.Object.GroupVersionKind()
					k := gvk.Group + "/" + gvk.Kind + " " + o.Object.GetNamespace() + "/" + o.Object.GetName()
					if seen[k] {
						t.Errorf("%s rendered twice", k)
					}
					seen[k] = true
				}
				dir := t.TempDir()
				if _, err := res.WriteDir(dir, FormatKustomize); err != nil {
					t.Fatal(err)
				}
				if _, err := kustomize.Build(dir); err != nil {
					t.Errorf("kustomize build: %v", err)
				}
			})
		}
	}
}
