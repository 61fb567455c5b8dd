package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const root = "../.."

type build struct {
	ID      string   `json:"id"`
	Main    string   `json:"main"`
	Binary  string   `json:"binary"`
	Ldflags []string `json:"ldflags"`
	Goos    []string `json:"goos"`
	Goarch  []string `json:"goarch"`
}

type archive struct {
	ID           string   `json:"id"`
	IDs          []string `json:"ids"`
	NameTemplate string   `json:"name_template"`
	Files        []string `json:"files"`
}

type extraFile struct {
	Glob string `json:"glob"`
}

type goreleaser struct {
	Builds   []build   `json:"builds"`
	Archives []archive `json:"archives"`
	Release  struct {
		ExtraFiles []extraFile `json:"extra_files"`
	} `json:"release"`
	HomebrewCasks []struct {
		IDs      []string `json:"ids"`
		Binaries []string `json:"binaries"`
	} `json:"homebrew_casks"`
	Brews []any `json:"brews"`
}

func readGoreleaser(t *testing.T) goreleaser {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var g goreleaser
	// Lenient: only the fields checked here are modelled.
	if err := yaml.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func buildByID(t *testing.T, g goreleaser, id string) build {
	t.Helper()
	for _, b := range g.Builds {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf(".goreleaser.yaml has no build %q", id)
	return build{}
}

// kubectl finds a plugin by its executable name, kubectl-<name>: the release
// builds the same program, with the same version stamp, under that name too,
// for every platform authstack itself is released for.
func TestReleaseBuildsTheKubectlPlugin(t *testing.T) {
	g := readGoreleaser(t)
	main, plugin := buildByID(t, g, "authstack"), buildByID(t, g, "kubectl-authstack")
	if plugin.Binary != "kubectl-authstack" || plugin.Main != main.Main {
		t.Errorf("plugin build: binary %q main %q, want kubectl-authstack from %s", plugin.Binary, plugin.Main, main.Main)
	}
	if !slices.Equal(plugin.Ldflags, main.Ldflags) || !slices.Equal(plugin.Goos, main.Goos) || !slices.Equal(plugin.Goarch, main.Goarch) {
		t.Errorf("plugin build differs from authstack's: %+v vs %+v", plugin, main)
	}
	for _, a := range g.Archives {
		if len(a.IDs) != 1 {
			t.Errorf("archive %q mixes builds %v: each archive holds one binary", a.ID, a.IDs)
		}
	}
}

// Every platform of the plugin build has an entry in .krew.yaml, pointing at
// the archive goreleaser names for it and at the binary inside.
func TestKrewManifestMatchesTheArchives(t *testing.T) {
	g := readGoreleaser(t)
	plugin := buildByID(t, g, "kubectl-authstack")
	var tmpl string
	for _, a := range g.Archives {
		if slices.Contains(a.IDs, "kubectl-authstack") {
			tmpl = a.NameTemplate
		}
	}
	if tmpl == "" {
		t.Fatal("no archive of the kubectl-authstack build")
	}
	data, err := os.ReadFile(filepath.Join(root, ".krew.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// krew-release-bot's template: {{ .TagName }} is the tag (v1.2.3), as
	// goreleaser's {{ .Tag }}; addURIAndSha becomes the uri and sha256 keys.
	uri := regexp.MustCompile(`\{\{addURIAndSha "([^"]+)" \.TagName \}\}`)
	manifest := uri.ReplaceAllString(string(data), "uri: $1")
	manifest = strings.ReplaceAll(manifest, "{{ .TagName }}", "v1.2.3")
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Version          string `json:"version"`
			Homepage         string `json:"homepage"`
			ShortDescription string `json:"shortDescription"`
			Description      string `json:"description"`
			Platforms        []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI string `json:"uri"`
				Bin string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict([]byte(manifest), &m); err != nil {
		t.Fatalf(".krew.yaml: %v", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "authstack" {
		t.Errorf(".krew.yaml is not the authstack krew Plugin: %s %s %s", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	seen := map[string]bool{}
	for _, p := range m.Spec.Platforms {
		goos, goarch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		seen[goos+"/"+goarch] = true
		ext, bin := ".tar.gz", "kubectl-authstack"
		if goos == "windows" {
			ext, bin = ".zip", "kubectl-authstack.exe"
		}
		name := strings.NewReplacer("{{ .Tag }}", "v1.2.3", "{{ .Os }}", goos, "{{ .Arch }}", goarch).Replace(tmpl) + ext
		if want := "https://github.com/authstack/authstack/releases/download/v1.2.3/" + name; p.URI != want {
			t.Errorf("%s/%s: uri %s, want %s", goos, goarch, p.URI, want)
		}
		if p.Bin != bin {
			t.Errorf("%s/%s: bin %q, want %q", goos, goarch, p.Bin, bin)
		}
	}
	for _, goos := range plugin.Goos {
		for _, goarch := range plugin.Goarch {
			if !seen[goos+"/"+goarch] {
				t.Errorf(".krew.yaml has no platform %s/%s", goos, goarch)
			}
		}
	}
}

// The JSON Schema ships with every release, inside the archives and next to
// them, and Homebrew installs authstack from a cask (brews is deprecated
// since GoReleaser v2.10).
func TestReleaseShipsSchemaAndHomebrewCask(t *testing.T) {
	g := readGoreleaser(t)
	const schema = "schema/authstack.v1alpha1.json"
	if _, err := os.Stat(filepath.Join(root, schema)); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(g.Release.ExtraFiles, func(f extraFile) bool { return filepath.Clean(f.Glob) == schema }) {
		t.Errorf("release.extra_files lacks %s", schema)
	}
	for _, a := range g.Archives {
		if slices.Contains(a.IDs, "authstack") && !slices.Contains(a.Files, schema) {
			t.Errorf("archive %q lacks %s", a.ID, schema)
		}
	}
	if len(g.Brews) > 0 {
		t.Error("brews is deprecated: use homebrew_casks")
	}
	if len(g.HomebrewCasks) != 1 || !slices.Equal(g.HomebrewCasks[0].Binaries, []string{"authstack"}) || !slices.Equal(g.HomebrewCasks[0].IDs, []string{"authstack"}) {
		t.Errorf("homebrew_casks: %+v, want one cask of the authstack archive", g.HomebrewCasks)
	}
}
