package doctor

import (
	"reflect"
	"strings"
	"testing"
)

// kubespray's kubeadm-config templates write no --oidc-signing-algs, so a
// kube_oidc_signing_algs variable changes nothing: doctor must not believe
// it, or it passes an ES256 issuer the API server refuses.
func TestKubesprayVarsWithoutATemplateAreIgnored(t *testing.T) {
	m := &Model{}
	vars := "kube_oidc_auth: true\nkube_oidc_url: https://dex.example.com\nkube_oidc_client_id: kubernetes\nkube_oidc_signing_algs: ES256\n"
	if err := m.AddKubesprayVars("k8s-cluster.yml", []byte(vars)); err != nil {
		t.Fatal(err)
	}
	j := m.jwts()[0]
	if !reflect.DeepEqual(j.SigningAlgs, []string{"RS256"}) {
		t.Errorf("signing algorithms = %v, want the API server's default [RS256]", j.SigningAlgs)
	}
	if !strings.Contains(j.AlgsField, "kube_kubeadm_apiserver_extra_args") {
		t.Errorf("algorithms field %q should point at where kubespray takes the flag", j.AlgsField)
	}
}

func TestManifestFlagsReadAsTheAPIServerReadsThem(t *testing.T) {
	pod := func(args ...string) []byte {
		return []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n    - " + strings.Join(args, "\n    - ") + "\n")
	}
	m := &Model{}
	// A StringSlice flag given twice adds up (pflag), it is not replaced.
	if err := m.AddAPIServerManifest("m.yaml", pod("--oidc-issuer-url=https://x", "--oidc-client-id=k", "--oidc-signing-algs=RS256", "--oidc-signing-algs=ES256")); err != nil {
		t.Fatal(err)
	}
	if got := m.jwts()[0].SigningAlgs; !reflect.DeepEqual(got, []string{"RS256", "ES256"}) {
		t.Errorf("signing algorithms = %v, want [RS256 ES256]", got)
	}
	// The API server would take "--oidc-client-id=k" as the issuer URL.
	err := (&Model{}).AddAPIServerManifest("m.yaml", pod("--oidc-issuer-url", "--oidc-client-id=k"))
	if err == nil || !strings.Contains(err.Error(), "--oidc-issuer-url has no value") {
		t.Errorf("err = %v, want the flag without a value named", err)
	}
}

func TestKubeadmV1beta4RepeatedArgsAddUp(t *testing.T) {
	cfg := `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
  - name: oidc-issuer-url
    value: https://x
  - name: oidc-client-id
    value: k
  - name: oidc-signing-algs
    value: RS256
  - name: oidc-signing-algs
    value: ES256
`
	m := &Model{}
	if err := m.AddKubeadmConfig("kubeadm.yaml", []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	if got := m.jwts()[0].SigningAlgs; !reflect.DeepEqual(got, []string{"RS256", "ES256"}) {
		t.Errorf("signing algorithms = %v, want [RS256 ES256]", got)
	}
}

// A manifest that is not valid YAML is a finding with its line, not the end
// of the run.
func TestBrokenManifestIsASyntaxFinding(t *testing.T) {
	data := []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n")
	m := &Model{}
	err := m.AddAPIServerManifest("m.yaml", data)
	if err == nil {
		t.Fatal("a broken manifest was accepted")
	}
	m.invalid("m.yaml", data, "a kube-apiserver static Pod manifest", err)
	if f := m.Invalid[0]; !strings.Contains(f.Message, "syntax error") || !strings.HasPrefix(f.Evidence[0], "m.yaml:") {
		t.Fatalf("err = %v gave %q (evidence %v): not a syntax finding with its line", err, f.Message, f.Evidence)
	}
}

// kubespray writes kube_apiserver_authentication_config_jwt as the file's
// jwt list; a map there is not an API server without authenticators to
// check but a broken inventory, named as such.
func TestKubesprayJWTThatIsNotAListIsAnInputError(t *testing.T) {
	m := &Model{Now: testNow}
	vars := "kube_apiserver_use_authentication_config_file: true\nkube_apiserver_authentication_config_jwt:\n  issuer: {url: https://dex.example.com, audiences: [kubernetes]}\n"
	err := m.AddKubesprayVars("k8s-cluster.yml", []byte(vars))
	if err == nil || !strings.Contains(err.Error(), "kube_apiserver_authentication_config_jwt") || !strings.Contains(err.Error(), "k8s-cluster.yml") {
		t.Fatalf("err = %v, want the file and the variable named", err)
	}
}
