package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/patch"
)

// issueLine is the one-line init of the issue's "done when" (dex host,
// LDAP server, dashboard host and the rest of the kubespray-ldap golden
// case), read from the file pkg/initspec's golden test uses.
func issueLine(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", "kubespray-ldap.args"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"init", "--non-interactive"}, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
}

func initGolden(t *testing.T, name string) []byte {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", name+".yaml"))
	if err != nil {
		t.Fatalf("%v (the goldens are written by go test ./pkg/initspec -update)", err)
	}
	return want
}

func TestInitNonInteractiveWritesTheGoldenSpec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	start := time.Now()
	_, stderr, code := run(t, append(issueLine(t), "-o", path)...)
	t.Logf("non-interactive init took %v", time.Since(start))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, initGolden(t, "kubespray-ldap")) {
		t.Errorf("init wrote a spec that differs from testdata/init/kubespray-ldap.yaml:\n%s", got)
	}
	if _, err := config.LoadFile(path); err != nil {
		t.Errorf("the written spec does not validate: %v", err)
	}
	if _, stderr, code := run(t, "validate", "-f", path); code != ExitOK {
		t.Errorf("authstack validate: exit %d: %s", code, stderr)
	}
}

func TestInitListsEveryMissingFlagAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	_, stderr, code := run(t, "init", "--non-interactive", "-o", path, "--connector", "ldap", "--app", "dashboard")
	if code != ExitInvalid {
		t.Fatalf("exit %d, want %d: %s", code, ExitInvalid, stderr)
	}
	for _, flag := range []string{"--cluster-name", "--installer", "--kubernetes-version", "--issuer-host", "--ldap-host", "--ldap-user-base-dn", "--app"} {
		if !strings.Contains(stderr, "\n  "+flag+":") {
			t.Errorf("stderr does not list %s:\n%s", flag, stderr)
		}
	}
	if strings.Count(stderr, "error:") != 1 {
		t.Errorf("want one error:\n%s", stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a spec was written despite the errors")
	}
}

func TestInitRefusesToOverwriteWithoutForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, append(issueLine(t), "-o", path)...)
	if code != ExitInvalid || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d, want %d with a hint about --force: %s", code, ExitInvalid, stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Fatalf("the file was changed: %q", data)
	}
	if _, stderr, code := run(t, append(issueLine(t), "-o", path, "--force")...); code != ExitOK {
		t.Fatalf("with --force: exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(path + patch.BackupSuffix); string(data) != "mine\n" {
		t.Errorf("no backup of the replaced file: %q", data)
	}
}

func TestInitWithoutTerminalDoesNotWait(t *testing.T) {
	done := make(chan struct{})
	var stderr string
	var code int
	go func() {
		defer close(done)
		// An open pipe with nothing written: a prompt would block forever.
		r, w, err := os.Pipe()
		if err != nil {
			t.Error(err)
			return
		}
		defer r.Close()
		defer w.Close()
		var out, errOut bytes.Buffer
		code = Main([]string{"init", "-o", filepath.Join(t.TempDir(), "a.yaml")}, r, &out, &errOut)
		stderr = errOut.String()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("init waited for input without a terminal")
	}
	if code != ExitInvalid || !strings.Contains(stderr, "--non-interactive") {
		t.Errorf("exit %d, want %d and a hint about --non-interactive: %s", code, ExitInvalid, stderr)
	}
}

func TestInitAccessibleWizardFromPipedStdin(t *testing.T) {
	t.Setenv("ACCESSIBLE", "1")
	answers, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", "wizard-kubespray-ldap.txt"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Main([]string{"init", "-o", path}, bytes.NewReader(answers), &out, &errOut)
	t.Logf("scripted accessible wizard through the CLI took %v", time.Since(start))
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, initGolden(t, "kubespray-ldap")) {
		t.Errorf("the wizard wrote a different spec than the one-line init:\n%s", got)
	}
	if !strings.Contains(out.String(), "Cluster name") {
		t.Errorf("accessible prompts are not on stdout:\n%s", out.String())
	}
}

func TestInitFromEnvToStdout(t *testing.T) {
	for k, v := range map[string]string{
		"AUTHSTACK_CLUSTER_NAME":             "dev",
		"AUTHSTACK_INSTALLER":                "kind",
		"AUTHSTACK_KUBERNETES_VERSION":       "1.34",
		"AUTHSTACK_ISSUER_HOST":              "dex.127.0.0.1.nip.io",
		"AUTHSTACK_CONNECTOR":                "github",
		"AUTHSTACK_GITHUB_CLIENT_ID":         "abc",
		"AUTHSTACK_GITHUB_CLIENT_SECRET_ENV": "GH_SECRET",
		"AUTHSTACK_APP":                      "dashboard=dash.127.0.0.1.nip.io,grafana=grafana.127.0.0.1.nip.io",
	} {
		t.Setenv(k, v)
	}
	stdout, stderr, code := run(t, "init", "--from-env", "-o", "-", "--cluster-name", "flag-wins")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	spec, err := config.Parse("stdout", []byte(stdout))
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if spec.Spec.Cluster.Name != "flag-wins" || len(spec.Spec.Apps) != 2 || spec.Spec.Issuer.Dex.Connectors[0].GitHub.ClientSecret.Env != "GH_SECRET" {
		t.Errorf("got %+v", spec.Spec)
	}
}

func TestNewCommandsHaveExamples(t *testing.T) {
	root := NewRoot(IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	for _, name := range []string{"init", "kubeconfig"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Errorf("%s is not registered: %v", name, err)
			continue
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("%s --help has no examples", name)
		}
	}
}

func TestShellCompletion(t *testing.T) {
	stdout, stderr, code := run(t, "completion", "bash")
	if code != ExitOK || !strings.Contains(stdout, "__start_authstack") {
		t.Fatalf("completion bash: exit %d: %s", code, stderr)
	}
	stdout, _, code = run(t, "__complete", "init", "--installer", "")
	if code != ExitOK || !strings.Contains(stdout, "kubespray\nkubeadm\nkind\nauthentication-config\n") {
		t.Errorf("installer values are not completed: exit %d: %q", code, stdout)
	}
}
