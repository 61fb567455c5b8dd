package kubeconfig

import (
	"reflect"
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
	spec := &v1alpha1.AuthStack{Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: v1alpha1.InstallerKubeadm, Server: "https://k8s.example.com:6443"},
		Issuer:  v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com"}},
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
	out, err := Merge([]byte(existing), rendered(t))
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
	if got := after.Clusters["prod"].Server; got != "https://k8s.example.com:6443" {
		t.Errorf("the cluster of the same name was not replaced: server %s", got)
	}
	u := after.AuthInfos["oidc-alice-example-com"]
	if u == nil || u.Exec == nil || u.Exec.Command != ExecCommand || u.Exec.InteractiveMode != clientcmdapi.IfAvailableExecInteractiveMode {
		t.Fatalf("no exec user: %+v", u)
	}
	if c := after.Contexts["prod-oidc-alice-example-com"]; c == nil || c.Cluster != "prod" || c.AuthInfo != "oidc-alice-example-com" {
		t.Errorf("no context for the new user: %+v", c)
	}
	if len(after.Clusters) != 2 || len(after.AuthInfos) != 2 || len(after.Contexts) != 2 {
		t.Errorf("want 2 clusters, users and contexts, got %d, %d, %d", len(after.Clusters), len(after.AuthInfos), len(after.Contexts))
	}
	again, err := Merge(out, rendered(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("merging twice changed the file:\n%s\n---\n%s", out, again)
	}
}

func TestMergeIntoNothingUsesTheNewContext(t *testing.T) {
	out, err := Merge(nil, rendered(t))
	if err != nil {
		t.Fatal(err)
	}
	if c := load(t, out); c.CurrentContext != "prod-oidc-alice-example-com" {
		t.Errorf("current context %q", c.CurrentContext)
	}
}

func TestMergeRejectsABrokenKubeconfig(t *testing.T) {
	if _, err := Merge([]byte("clusters: [oops"), rendered(t)); err == nil {
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
