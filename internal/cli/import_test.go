package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const importDashboard = "../../pkg/importer/testdata/dashboard/"

func TestImportWritesSpecSecretsAndReport(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "authstack.yaml")
	args := []string{"import", "--cluster-name", "platform", "--kubernetes-version", "1.29",
		"--apiserver-manifest", importDashboard + "kube-apiserver.yaml", "--dex-config", importDashboard + "dex-config.yaml",
		"--manifests", importDashboard + "manifests.yaml", "--rbac", importDashboard + "rbac.yaml", "-o", spec}
	var out, errOut bytes.Buffer
	if code := Main(args, nil, &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	// The report names file and field of what the spec does not reproduce.
	for _, want := range []string{
		importDashboard + "manifests.yaml: Deployment kubernetes-dashboard/oauth2-proxy container oauth2-proxy: cookie_refresh:",
		importDashboard + "kube-apiserver.yaml: --oidc-username-prefix: prefix:",
		"wrote " + spec,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	specData, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(dir, "authstack.secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const clientSecret = "ZGFzaGJvYXJkLWNsaWVudC1zZWNyZXQtbWFkZS11cA"
	if !strings.Contains(string(kept), clientSecret) {
		t.Errorf("the secrets file does not keep the running client secret:\n%s", kept)
	}
	for name, data := range map[string]string{"spec": string(specData), "stdout": out.String(), "stderr": errOut.String()} {
		if strings.Contains(data, clientSecret) {
			t.Errorf("the %s holds a secret", name)
		}
	}
	// The spec validates as authstack validate reads it.
	errOut.Reset()
	if code := Main([]string{"validate", "-f", spec}, nil, &out, &errOut); code != ExitOK {
		t.Errorf("validate: exit %d\n%s", code, errOut.String())
	}
	// A second import does not replace the spec without --force.
	errOut.Reset()
	if code := Main(args, nil, &out, &errOut); code == ExitOK || !strings.Contains(errOut.String(), "--force") {
		t.Errorf("second import: exit %d\n%s", code, errOut.String())
	}
}

func TestImportNeedsAClusterName(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"import", "--dex-config", importDashboard + "dex-config.yaml"}, nil, &out, &errOut); code != ExitInvalid || !strings.Contains(errOut.String(), "--cluster-name") {
		t.Errorf("exit %d\n%s", code, errOut.String())
	}
}

// A --manifests file of objects import does not read (a Namespace) is
// noted and the import goes on; a file that does not parse stops it.
func TestImportNotesManifestsItDoesNotRead(t *testing.T) {
	dir := t.TempDir()
	ns := filepath.Join(dir, "namespaces.yaml")
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(ns, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte("apiVersion: v1\nkind: Ingress\nmetadata: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"import", "--cluster-name", "platform", "--kubernetes-version", "1.29",
		"--apiserver-manifest", importDashboard + "kube-apiserver.yaml", "--dex-config", importDashboard + "dex-config.yaml",
		"--manifests", importDashboard + "manifests.yaml", "--rbac", importDashboard + "rbac.yaml"}
	var out, errOut bytes.Buffer
	args := append(append([]string{}, base...), "--manifests", ns, "-o", filepath.Join(dir, "a.yaml"))
	if code := Main(args, nil, &out, &errOut); code != ExitOK || !strings.Contains(errOut.String(), "note: "+ns) || !strings.Contains(errOut.String(), "Namespace") {
		t.Errorf("with a Namespace file: exit %d\n%s", code, errOut.String())
	}
	errOut.Reset()
	args = append(append([]string{}, base...), "--manifests", broken, "-o", filepath.Join(dir, "b.yaml"))
	if code := Main(args, nil, &out, &errOut); code != ExitInvalid || !strings.Contains(errOut.String(), "correct it first") {
		t.Errorf("with a broken file: exit %d\n%s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "b.yaml")); err == nil {
		t.Error("a spec was written from a broken input")
	}
}
