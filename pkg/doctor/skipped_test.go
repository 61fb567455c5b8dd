package doctor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A check that could not examine its evidence says "skipped" with the
// reason, in text and JSON, never ✓: here the token's signature without
// a key set.
func TestSkippedIsNotPassed(t *testing.T) {
	a := healthy(t)
	a.jwks = ""
	r := Diagnose(a.model(t))
	var text, js bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "✓ AS-10") || !strings.Contains(text.String(), "○ AS-10 token-signature-unknown-key: skipped: no key set") {
		t.Errorf("text output does not say AS-10 was skipped:\n%s", text.String())
	}
	var doc struct {
		Checks []CheckResult `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range doc.Checks {
		if c.Code == "AS-10" {
			found = true
			if c.Status != StatusSkipped || len(c.Skipped) == 0 {
				t.Errorf("JSON: AS-10 is %q with reasons %v, want skipped with a reason", c.Status, c.Skipped)
			}
		}
	}
	if !found {
		t.Error("JSON: no AS-10 in checks")
	}
	if !strings.Contains(text.String(), "skipped (") {
		t.Errorf("status line does not count the skipped checks:\n%s", text.String())
	}
}

// For near-empty artifacts of every kind (each present, none saying
// anything), no check passes on something it did not examine. The checks
// that may pass are listed with what they did examine.
func TestNearEmptyInputsPassNothingUnexamined(t *testing.T) {
	mayPass := map[string]string{
		"AS-04": "the API server settings were read: they do not mix flags and a config",
		"AS-05": "the AuthenticationConfiguration (without jwt) passed the API server's validation",
		"AS-70": "the kubeconfig user's exec apiVersion was read",
		// Lints of settings whose defaults are safe: the empty config was
		// read and its effective values checked.
		"AS-57": "oauth2-proxy's cookie defaults are Secure, HttpOnly, 168h",
		"AS-58": "skip_jwt_bearer_tokens is off by default",
		"AS-59": "an empty whitelist_domains has no wildcard",
		"AS-63": "the Ingress has no snippet annotation",
		"AS-22": "the Ingress's annotations were read: none is refused",
	}
	a := &artifacts{files: map[string]string{
		"authentication-config.yaml": "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n",
		"dex.yaml":                   "{}\n",
		"oauth2_proxy.cfg":           "",
		"ingress.yaml":               "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n  namespace: app\nspec: {}\n",
		"rbac.yaml":                  "",
		"kubeconfig.yaml":            "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl\n",
		"kubespray-vars.yaml":        "{}\n",
		"kubeadm-config.yaml":        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n",
	}, header: map[string]any{"alg": "RS256"}, claims: map[string]any{}}
	r := Diagnose(a.model(t))
	if len(r.Checks) < 25 {
		t.Fatalf("only %d checks ran: the near-empty artifacts do not reach the checks", len(r.Checks))
	}
	for _, c := range r.Checks {
		if c.Status == StatusPassed && mayPass[c.Code] == "" {
			t.Errorf("%s %s passed on near-empty input (%q): it examined nothing", c.Code, c.Name, c.Title)
		}
	}
	// With an issuer on each side, the checks that compare need a second
	// artifact: the API server alone compares with nothing.
	m := &Model{Now: testNow}
	if err := m.AddAuthenticationConfig("authn.yaml", []byte(readHealthy(t, "authentication-config.yaml"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range Diagnose(m).Checks {
		if c.Code == "AS-13" && c.Status == StatusPassed {
			t.Errorf("AS-13 passed without a token or a kubeconfig to compare")
		}
	}
}
