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

// The reproductions of issue #13 (15b): every kubeconfig authstack writes
// or merges into ends private to its owner, as kubectl leaves the files it
// writes, and so does the backup of the file it replaced.
func TestKubeconfigFilesEndPrivate(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	dir := t.TempDir()
	merged := filepath.Join(dir, "config")
	written := filepath.Join(dir, "bob.kubeconfig")
	for _, p := range []string{merged, written} {
		if err := os.WriteFile(p, []byte(otherKubeconfig), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge", "-o", merged); code != ExitOK {
		t.Fatalf("--merge: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "-o", written); code != ExitOK {
		t.Fatalf("-o: exit %d: %s", code, stderr)
	}
	for _, p := range []string{merged, merged + patch.BackupSuffix, written, written + patch.BackupSuffix} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), m)
		}
	}
}

// 15a: kubelogin takes a client secret only as --oidc-client-secret in the
// kubeconfig, so a confidential kubectl client's secret would travel with
// every kubeconfig handed out. It goes only into the user's own kubeconfig.
func TestKubeconfigKeepsAConfidentialClientSecretOutOfSharedFiles(t *testing.T) {
	spec := example(t, "dex-ldap-kubespray")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	confidential := strings.Replace(string(data), "  apiServer:\n", "  kubectl:\n    public: false\n  apiServer:\n", 1)
	if err := os.WriteFile(spec, []byte(confidential), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "render", "-f", spec, "-o", filepath.Join(t.TempDir(), "out")); code != ExitOK {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	secrets, err := os.ReadFile(filepath.Join(filepath.Dir(spec), "authstack.secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	shared := filepath.Join(t.TempDir(), "bob.kubeconfig")
	for _, args := range [][]string{{}, {"-o", shared}} {
		stdout, stderr, code := run(t, append([]string{"kubeconfig", "-f", spec}, args...)...)
		if code == ExitOK {
			t.Errorf("kubeconfig %v: wrote a confidential client's kubeconfig meant to be shared", args)
		}
		if strings.Contains(stdout, "oidc-client-secret") || !strings.Contains(stderr, "spec.kubectl.public") {
			t.Errorf("kubeconfig %v:\nstdout: %s\nstderr: %s", args, stdout, stderr)
		}
	}
	if _, err := os.Stat(shared); err == nil {
		t.Error("the shared kubeconfig was written")
	}

	own := filepath.Join(t.TempDir(), "config")
	_, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge", "-o", own)
	if code != ExitOK {
		t.Fatalf("--merge: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning") {
		t.Errorf("no warning about the secret in the kubeconfig:\n%s", stderr)
	}
	cfg, err := clientcmd.LoadFromFile(own)
	if err != nil {
		t.Fatal(err)
	}
	secret := ""
	for _, u := range cfg.AuthInfos {
		for _, a := range u.Exec.Args {
			if v, ok := strings.CutPrefix(a, "--oidc-client-secret="); ok {
				secret = v
			}
		}
	}
	if secret == "" || !strings.Contains(string(secrets), secret) {
		t.Fatal("the user's own kubeconfig lacks the client secret authstack render generated")
	}
	if strings.Contains(stderr, secret) {
		t.Errorf("the secret was printed:\n%s", stderr)
	}
}

// Two clusters merged into one kubeconfig for the same person: both logins
// stay, each with its own issuer. A re-render that changed a user refuses
// without --force and replaces it with --force.
func TestKubeconfigMergeTwoClusters(t *testing.T) {
	target := filepath.Join(t.TempDir(), "config")
	specs := map[string]string{"prod": example(t, "dex-ldap-kubespray"), "dev": example(t, "kind")}
	for _, cluster := range []string{"prod", "dev"} {
		if _, stderr, code := run(t, "kubeconfig", "-f", specs[cluster], "--user", "alice@example.com", "--merge", "-o", target); code != ExitOK {
			t.Fatalf("merge %s: exit %d: %s", cluster, code, stderr)
		}
	}
	cfg, err := clientcmd.LoadFromFile(target)
	if err != nil {
		t.Fatal(err)
	}
	issuers := map[string]string{}
	for name, c := range cfg.Contexts {
		u := cfg.AuthInfos[c.AuthInfo]
		if u == nil || u.Exec == nil {
			t.Fatalf("context %s has no user %s", name, c.AuthInfo)
		}
		for _, a := range u.Exec.Args {
			if v, ok := strings.CutPrefix(a, "--oidc-issuer-url="); ok {
				issuers[c.Cluster] = v
			}
		}
	}
	if len(cfg.AuthInfos) != 2 || len(issuers) != 2 || issuers["prod"] == issuers["dev"] {
		t.Errorf("want a user per cluster with its own issuer, got %d users, issuers %v", len(cfg.AuthInfos), issuers)
	}
}

func TestKubeconfigMergeRefusesToReplaceAnotherUser(t *testing.T) {
	spec := example(t, "kind")
	target := filepath.Join(t.TempDir(), "config")
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge", "-o", target); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := clientcmd.LoadFromFile(target)
	if err != nil {
		t.Fatal(err)
	}
	user := cfg.Contexts[cfg.CurrentContext].AuthInfo
	cfg.AuthInfos[user].Exec.Args = append(cfg.AuthInfos[user].Exec.Args, "--listen-address=127.0.0.1:18000")
	if err := clientcmd.WriteToFile(*cfg, target); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(target)
	_, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge", "-o", target)
	if code == ExitOK || !strings.Contains(stderr, user) || !strings.Contains(stderr, "--force") {
		t.Errorf("exit %d, stderr %q: want a refusal naming user %s and --force", code, stderr, user)
	}
	if after, _ := os.ReadFile(target); string(after) != string(before) {
		t.Error("the refused merge changed the kubeconfig")
	}
	if _, stderr, code := run(t, "kubeconfig", "-f", spec, "--merge", "--force", "-o", target); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if after, _ := os.ReadFile(target); strings.Contains(string(after), "--listen-address") {
		t.Error("--force did not replace the user")
	}
}

// A spec without spec.cluster.server gets no kubeconfig pointing nowhere:
// the command fails naming the field, and writes nothing.
func TestKubeconfigWithoutServerNamesTheField(t *testing.T) {
	spec := example(t, "prometheus-headers")
	out := filepath.Join(t.TempDir(), "user.kubeconfig")
	_, stderr, code := run(t, "kubeconfig", "-f", spec, "-o", out)
	if code == ExitOK || !strings.Contains(stderr, "spec.cluster.server") {
		t.Fatalf("exit %d, stderr %q: want a failure naming spec.cluster.server", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a kubeconfig was written anyway (stat: %v)", err)
	}
}
