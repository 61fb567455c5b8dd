package formats

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/authstack/authstack/"

// goList returns, for each package matching patterns, its imports (or,
// with deps, every package it depends on).
func goList(t *testing.T, deps bool, patterns ...string) map[string]bool {
	t.Helper()
	args := []string{"list", "-f", `{{join .Imports "\n"}}`}
	if deps {
		args = []string{"list", "-deps", "-f", "{{.ImportPath}}"}
	}
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	got := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		got[l] = true
	}
	return got
}

// Done when (issue 10): render, patch, doctor and import use the same
// format packages. A consumer that writes or reads an artifact imports its
// format package directly; import reads the artifacts through doctor's
// model and so depends on every one.
func TestConsumersUseTheFormatPackages(t *testing.T) {
	all := []string{"dexconfig", "oauth2proxy", "kubeapiserver", "ingressnginx"}
	for _, c := range []struct {
		consumer string
		deps     bool
		formats  []string
	}{
		{"render", false, all},
		// patch edits the installer files and dex's config, nothing else.
		{"patch", false, []string{"dexconfig", "kubeapiserver"}},
		{"doctor", false, all},
		{"importer", false, []string{"ingressnginx"}},
		{"importer", true, all},
	} {
		got := goList(t, c.deps, "./pkg/"+c.consumer+"/...")
		for _, f := range c.formats {
			if !got[module+"pkg/formats/"+f] {
				how := "import"
				if c.deps {
					how = "depend on"
				}
				t.Errorf("pkg/%s does not %s pkg/formats/%s: it models that artifact on its own", c.consumer, how, f)
			}
		}
	}
}

// The names an artifact is read by belong to its format package: a string
// literal that is an ingress-nginx annotation key or a ConfigMap/Secret
// key of dex's or oauth2-proxy's config, anywhere else in pkg/ or
// internal/ (tests aside), is a second reader or writer of that artifact.
// Prose (a Fix text naming an annotation) has spaces and is not a key.
func TestArtifactKeysLiveInTheirFormatPackage(t *testing.T) {
	owners := []struct {
		owner string
		is    func(string) bool
	}{
		{"pkg/formats/ingressnginx", func(s string) bool {
			return strings.HasPrefix(s, "nginx.ingress.kubernetes.io/") && !strings.ContainsAny(s, " \n")
		}},
		{"pkg/formats/dexconfig", func(s string) bool { return s == "config.yaml" }},
		{"pkg/formats/oauth2proxy", func(s string) bool { return s == "oauth2_proxy.cfg" }},
	}
	checked := 0
	for _, root := range []string{"../../pkg", "../../internal"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel := strings.TrimPrefix(filepath.ToSlash(path), "../../")
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			checked++
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				for _, o := range owners {
					if o.is(s) && !strings.HasPrefix(rel, o.owner+"/") {
						t.Errorf("%s: %q belongs to %s: use its model (or its exported name)", rel, s, o.owner)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: the walk missed the tree", checked)
	}
}
