package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/authstack/authstack/pkg/patch"
)

const otherKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example.com:6443
users:
- name: other-admin
  user:
    token: not-a-real-token
contexts:
- name: other
  context:
    cluster: other
    user: other-admin
current-context: other
`

func TestKubeconfigMergePreservesOtherEntries(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	target := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(target, []byte(otherKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "kubeconfig", "-f", spec, "--user", "alice@example.com", "--merge", "-o", target)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("--merge printed to stdout: %s", stdout)
	}
	before, err := clientcmd.Load([]byte(otherKubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	after, err := clientcmd.LoadFromFile(target)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []any{after.Clusters["other"], after.AuthInfos["other-admin"], after.Contexts["other"]} {
		if c == nil {
			t.Fatalf("an existing entry is gone:\n%+v", after)
		}
	}
	if after.Clusters["other"].Server != before.Clusters["other"].Server || after.AuthInfos["other-admin"].Token != "not-a-real-token" ||
		!reflect.DeepEqual(after.Contexts["other"].AuthInfo, before.Contexts["other"].AuthInfo) || after.CurrentContext != "other" {
		t.Errorf("existing entries changed:\n%+v", after)
	}
	ctx := after.Contexts["prod-oidc-alice-example-com"]
	if ctx == nil || after.Clusters["prod"].Server != "https://k8s.example.com:6443" || after.AuthInfos[ctx.AuthInfo].Exec == nil {
		t.Fatalf("the new context is missing or incomplete:\n%+v", after)
	}
	if len(after.Clusters["prod"].CertificateAuthorityData) != 0 {
		t.Error("a cluster CA appeared although the spec names none")
	}
	if data, _ := os.ReadFile(target + patch.BackupSuffix); string(data) != otherKubeconfig {
		t.Errorf("no backup of the previous kubeconfig")
	}
	if !strings.Contains(stderr, "credentialPluginAllowlist") {
		t.Errorf("no kuberc snippet on stderr:\n%s", stderr)
	}

	// Merging again changes nothing, and keeps the backup of the original.
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--user", "alice@example.com", "--merge", "-o", target); code != ExitOK {
		t.Fatalf("second merge: exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(target + patch.BackupSuffix); string(data) != otherKubeconfig {
		t.Errorf("the second merge replaced the backup of the original")
	}
}

func TestKubeconfigMergeUsesKUBECONFIG(t *testing.T) {
	spec := example(t, "kind")
	target := filepath.Join(t.TempDir(), "kube", "config")
	t.Setenv("KUBECONFIG", target+string(os.PathListSeparator)+filepath.Join(t.TempDir(), "second"))
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := clientcmd.LoadFromFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "dev-oidc" {
		t.Errorf("current context %q, want dev-oidc in a new kubeconfig", cfg.CurrentContext)
	}
}

func TestKubeconfigToStdoutAndKubercFile(t *testing.T) {
	spec := example(t, "kind")
	rc := filepath.Join(t.TempDir(), "kuberc")
	stdout, stderr, code := run(t, "kubeconfig", "-f", spec, "--format", "json", "--kuberc", rc)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(stdout), &cfg); err != nil {
		t.Fatalf("--format json is not JSON: %v\n%s", err, stdout)
	}
	data, err := os.ReadFile(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "credentialPluginPolicy: Allowlist") {
		t.Errorf("kuberc:\n%s", data)
	}
	if !strings.Contains(stderr, "wrote "+rc) {
		t.Errorf("no progress line for the kuberc on stderr:\n%s", stderr)
	}
	_, stderr, _ = run(t, "kubeconfig", "-f", spec, "-v", "2")
	if !strings.Contains(stderr, "kubeconfig: loaded "+spec) {
		t.Errorf("-v 2 does not log the spec it loaded:\n%s", stderr)
	}
	// An existing kuberc is not overwritten.
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--kuberc", rc); code != ExitInvalid {
		t.Errorf("existing kuberc: exit %d, want %d: %s", code, ExitInvalid, stderr)
	}
	if _, _, code := run(t, "kubeconfig", "-f", spec, "--format", "toml"); code != ExitInvalid {
		t.Errorf("--format toml: exit %d, want %d", code, ExitInvalid)
	}
}
