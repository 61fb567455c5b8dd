package kubeconfig

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

const existing = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example.com:6443
    certificate-authority-data: AAAA
- name: prod
  cluster:
    server: https://stale.example.com
users:
- name: other-admin
  user:
    client-certificate-data: BBBB
    client-key-data: CCCC
contexts:
- name: other
  context:
    cluster: other
    user: other-admin
    namespace: team
current-context: other
preferences: {}
`

func rendered(t *testing.T) []byte {
	t.Helper()
	return renderFor(t, "prod", "dex.example.com", "kubernetes")
}

func renderFor(t *testing.T, cluster, dexHost, clientID string) []byte {
	t.Helper()
	spec := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: cluster, KubernetesVersion: "1.34", Installer: v1alpha1.InstallerKubeadm, Server: "https://" + cluster + ".example.com:6443"},
		Issuer:  v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: dexHost}},
		Kubectl: v1alpha1.Kubectl{ClientID: clientID},
	}}
	v1alpha1.SetDefaults(spec)
	data, err := Render(Input{Spec: &spec.Spec, User: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func load(t *testing.T, data []byte) *clientcmdapi.Config {
	t.Helper()
	c, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMergeKeepsOtherEntries(t *testing.T) {
	before := load(t, []byte(existing))
	// existing has a stale cluster "prod": only Force replaces it.
	out, err := Merge([]byte(existing), rendered(t), MergeOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	after := load(t, out)
	if !reflect.DeepEqual(after.Clusters["other"], before.Clusters["other"]) ||
		!reflect.DeepEqual(after.AuthInfos["other-admin"], before.AuthInfos["other-admin"]) ||
		!reflect.DeepEqual(after.Contexts["other"], before.Contexts["other"]) {
		t.Errorf("other entries changed:\n%s", out)
	}
	if after.CurrentContext != "other" {
		t.Errorf("current context switched to %q", after.CurrentContext)
	}
	if got := after.Clusters["prod"].Server; got != "https://prod.example.com:6443" {
		t.Errorf("the cluster of the same name was not replaced: server %s", got)
	}
	c := after.Contexts["prod-oidc-alice-example-com"]
	if c == nil || c.Cluster != "prod" {
		t.Fatalf("no context for the new user: %+v", c)
	}
	u := after.AuthInfos[c.AuthInfo]
	if u == nil || u.Exec == nil || u.Exec.Command != ExecCommand || u.Exec.InteractiveMode != clientcmdapi.IfAvailableExecInteractiveMode {
		t.Fatalf("no exec user: %+v", u)
	}
	if len(after.Clusters) != 2 || len(after.AuthInfos) != 2 || len(after.Contexts) != 2 {
		t.Errorf("want 2 clusters, users and contexts, got %d, %d, %d", len(after.Clusters), len(after.AuthInfos), len(after.Contexts))
	}
	again, err := Merge(out, rendered(t), MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("merging twice changed the file:\n%s\n---\n%s", out, again)
	}
}

func TestMergeIntoNothingUsesTheNewContext(t *testing.T) {
	out, err := Merge(nil, rendered(t), MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := load(t, out); c.CurrentContext != "prod-oidc-alice-example-com" {
		t.Errorf("current context %q", c.CurrentContext)
	}
}

func TestMergeRejectsABrokenKubeconfig(t *testing.T) {
	if _, err := Merge([]byte("clusters: [oops"), rendered(t), MergeOptions{}); err == nil {
		t.Error("no error for a broken kubeconfig")
	}
}

// The reproduction of issue #13 (15c): the kuberc allowlisted "kubectl",
// the command the kubeconfig ran, and with it every kubectl plugin on
// PATH that any kubeconfig names (kubectl <plugin>). It allows kubelogin's
// binary alone, which the kubeconfig now runs directly.
func TestKubercAllowsOnlyKubelogin(t *testing.T) {
	data, err := Kuberc()
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion":                "kubectl.config.k8s.io/v1beta1",
		"kind":                      "Preference",
		"credentialPluginPolicy":    "Allowlist",
		"credentialPluginAllowlist": []any{map[string]any{"command": "kubectl-oidc_login"}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %v, want %v", p, want)
	}
	cfg := load(t, rendered(t))
	for name, u := range cfg.AuthInfos {
		if u.Exec.Command != "kubectl-oidc_login" || u.Exec.Args[0] != "get-token" {
			t.Errorf("user %s runs %s %v, not kubelogin as the kuberc allows it", name, u.Exec.Command, u.Exec.Args)
		}
	}
}

// execArg is the value of --name= in a user's kubelogin arguments.
func execArg(u *clientcmdapi.AuthInfo, name string) string {
	for _, a := range u.Exec.Args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// Two clusters with their own issuer and kubectl client, merged for the
// same person: each context keeps a user that logs in to its own issuer
// with its own client. A shared user name let the second replace the first.
func TestMergeTwoClustersKeepsBothUsers(t *testing.T) {
	out, err := Merge(nil, renderFor(t, "prod", "dex.prod.example.com", "kubernetes"), MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out, err = Merge(out, renderFor(t, "staging", "dex.staging.example.com", "k8s-staging"), MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, out)
	want := map[string][2]string{
		"prod":    {"https://dex.prod.example.com", "kubernetes"},
		"staging": {"https://dex.staging.example.com", "k8s-staging"},
	}
	if len(cfg.AuthInfos) != 2 || len(cfg.Contexts) != 2 {
		t.Fatalf("want 2 users and 2 contexts, got %d and %d:\n%s", len(cfg.AuthInfos), len(cfg.Contexts), out)
	}
	for name, c := range cfg.Contexts {
		u := cfg.AuthInfos[c.AuthInfo]
		if u == nil || u.Exec == nil {
			t.Fatalf("context %s: no user %s", name, c.AuthInfo)
		}
		w := want[c.Cluster]
		if got := [2]string{execArg(u, "oidc-issuer-url"), execArg(u, "oidc-client-id")}; got != w {
			t.Errorf("context %s (cluster %s) logs in with issuer and client %v, want %v", name, c.Cluster, got, w)
		}
	}
}

// An entry of the same name with other content is someone else's: merge
// stops and names it, and replaces it only with Force.
func TestMergeRefusesToReplaceADifferentEntry(t *testing.T) {
	first := renderFor(t, "prod", "dex.example.com", "kubernetes")
	out, err := Merge(nil, first, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The same cluster and issuer, the client's arguments changed
	// (another scope): same names, other content.
	changed := []byte(strings.Replace(string(first), "--oidc-extra-scope=groups", "--oidc-extra-scope=roles", 1))
	if string(changed) == string(first) {
		t.Fatal("the edit changed nothing")
	}
	_, err = Merge(out, changed, MergeOptions{})
	if err == nil || !strings.Contains(err.Error(), "user") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want a refusal naming the user entry and --force", err)
	}
	forced, err := Merge(out, changed, MergeOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(forced), "--oidc-extra-scope=roles") {
		t.Errorf("Force did not replace the entry:\n%s", forced)
	}
}
