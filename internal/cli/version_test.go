package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/version"
)

// TestIntegrationVersionJSONListsTheModulesCompiledIn builds the real binary:
// test binaries carry no module list, so only a built authstack shows what
// `version -o json` prints for a release.
func TestIntegrationVersionJSONListsTheModulesCompiledIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the authstack binary")
	}
	bin := filepath.Join(t.TempDir(), "authstack")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "../../cmd/authstack")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("authstack version -o json: %v", err)
	}
	var info version.Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	if info.GoVersion != strings.TrimSpace(string(goVersion)) {
		t.Errorf("goVersion %q, want %q", info.GoVersion, goVersion)
	}
	// cobra is compiled into every authstack binary; its version must be the
	// one go.mod resolved, with its go.sum hash.
	want, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/spf13/cobra").Output()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range info.Modules {
		if m.Path == "github.com/spf13/cobra" {
			found = true
			if m.Version != strings.TrimSpace(string(want)) || !strings.HasPrefix(m.Sum, "h1:") {
				t.Errorf("cobra recorded as %+v, want version %s with its go.sum hash", m, want)
			}
		}
	}
	if !found {
		t.Fatalf("github.com/spf13/cobra missing from %d modules", len(info.Modules))
	}
	if info.Settings["-trimpath"] != "true" {
		t.Errorf("settings = %v, want -trimpath recorded", info.Settings)
	}
}

func TestVersionJSON(t *testing.T) {
	out, errOut, code := run(t, "version", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var info version.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if info.Deploys["dex"] == "" || info.Deploys["oauth2-proxy"] == "" {
		t.Errorf("deploys = %v, want dex and oauth2-proxy", info.Deploys)
	}
}

func TestVersionRefusesAnUnknownFormat(t *testing.T) {
	_, errOut, code := run(t, "version", "-o", "yaml")
	if code == 0 || !strings.Contains(errOut, "want text or json") {
		t.Errorf("exit %d, stderr %q; want a failure naming the formats", code, errOut)
	}
}

func TestKubectlPluginNamesItselfAsKubectlUsersTypeIt(t *testing.T) {
	for argv0, want := range map[string]string{
		"/usr/local/bin/kubectl-authstack":  "kubectl authstack",
		`C:\krew\bin\kubectl-authstack.exe`: "kubectl authstack",
		"/usr/local/bin/authstack":          "",
		"authstack":                         "",
	} {
		if got := displayName(argv0); got != want {
			t.Errorf("displayName(%q) = %q, want %q", argv0, got, want)
		}
	}
}
