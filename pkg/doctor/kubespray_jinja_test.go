package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubespraySample is kubespray's real sample inventory (see its README).
const kubespraySample = "../patch/kubespray/testdata/upstream/k8s-cluster.yml"

// sampleWith writes kubespray's sample with the OIDC lines set as given.
func sampleWith(t *testing.T, set map[string]string, extra string) string {
	t.Helper()
	data, err := os.ReadFile(kubespraySample)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for commented, line := range set {
		if !strings.Contains(src, commented) {
			t.Fatalf("the sample lacks %q", commented)
		}
		src = strings.Replace(src, commented, line, 1)
	}
	path := filepath.Join(t.TempDir(), "k8s-cluster.yml")
	if err := os.WriteFile(path, []byte(src+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var sampleOIDC = map[string]string{
	"# kube_oidc_auth: false\n":                             "kube_oidc_auth: true\n",
	"# kube_oidc_url: https:// ...\n":                       "kube_oidc_url: \"https://{{ dex_host }}\"\n",
	"# kube_oidc_client_id: kubernetes\n":                   "kube_oidc_client_id: kubernetes\n",
	"# kube_oidc_ca_file: \"{{ kube_cert_dir }}/ca.pem\"\n": "kube_oidc_ca_file: \"{{ kube_cert_dir }}/ca.pem\"\n",
	"# kube_oidc_username_prefix: 'oidc:'\n":                "kube_oidc_username_prefix: 'oidc:'\n",
	"# kube_oidc_groups_claim: groups\n":                    "kube_oidc_groups_claim: groups\n",
	"# kube_oidc_groups_prefix: 'oidc:'\n":                  "kube_oidc_groups_prefix: 'oidc:'\n",
}

// Ansible renders "{{ dex_host }}" before kubespray writes the flag: doctor
// reads the value it renders to, not the template, which it compared as a
// URL ("not an https URL; the API server refuses it", and a mismatch with
// dex's issuer).
func TestKubesprayJinjaValuesAreRendered(t *testing.T) {
	path := sampleWith(t, sampleOIDC, "dex_host: dex.example.com\n")
	m, err := Load(Inputs{KubesprayVars: path, DexConfig: "../../testdata/doctor/healthy/dex.yaml", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Invalid) != 0 {
		t.Fatalf("invalid: %v", m.Invalid)
	}
	for _, f := range Diagnose(m).Findings {
		if f.Code == "AS-01" || f.Code == "AS-02" || f.Code == "AS-80" {
			t.Errorf("%s %s", f.Code, f.Message)
		}
	}
	if len(m.APIServers) != 1 || len(m.APIServers[0].JWT) != 1 {
		t.Fatalf("read %d API servers", len(m.APIServers))
	}
	if j := m.APIServers[0].JWT[0]; j.Issuer != "https://dex.example.com" || j.CAFile != "/etc/kubernetes/ssl/ca.pem" {
		t.Errorf("issuer %q CA file %q", j.Issuer, j.CAFile)
	}
}

// A template doctor cannot evaluate from the file is an AS-00 naming the
// file, the line and the variable, not a value.
func TestKubesprayJinjaFromElsewhereIsRefused(t *testing.T) {
	path := sampleWith(t, sampleOIDC, "")
	m, err := Load(Inputs{KubesprayVars: path, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.APIServers) != 0 || len(m.Invalid) != 1 {
		t.Fatalf("%d API servers, invalid %v", len(m.APIServers), m.Invalid)
	}
	f := m.Invalid[0]
	if !strings.Contains(f.Message, "k8s-cluster.yml:47 ") || !strings.Contains(f.Message, "kube_oidc_url") || !strings.Contains(f.Message, "dex_host is not defined in this file") {
		t.Errorf("AS-00: %s", f.Message)
	}
}
