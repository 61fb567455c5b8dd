package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const doctorHealthy = "../../testdata/doctor/healthy/"

func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "kid": "k"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

func TestDoctorExitCodes(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "authn.yaml")
	data, err := os.ReadFile(doctorHealthy + "authentication-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, bytes.Replace(data, []byte("url: https://dex.example.com"), []byte("url: https://dex.example.com/"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "kubeconfig.yaml")
	if err := os.WriteFile(garbage, []byte("users: [this is: not\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	healthy := []string{"doctor", "--authentication-config", doctorHealthy + "authentication-config.yaml", "--dex-config", doctorHealthy + "dex.yaml",
		"--oauth2-proxy-config", doctorHealthy + "oauth2_proxy.cfg", "--ingress", doctorHealthy + "ingress.yaml", "--rbac", doctorHealthy + "rbac.yaml",
		"--kubeconfig", doctorHealthy + "kubeconfig.yaml", "--now", "2026-11-25T12:00:00Z"}
	tok := fakeJWT(t, map[string]any{"iss": "https://dex.example.com", "aud": "kubernetes", "exp": 1795611600, "email": "alice@example.com", "groups": []string{"platform"}})
	cases := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		contains string
	}{
		{"healthy artifacts", healthy, "", ExitOK, "Status: 0 errors"},
		{"spec", []string{"doctor", "-f", "../../examples/dashboard-token/authstack.yaml"}, "", ExitOK, "AS-43"},
		// An artifact doctor cannot use is an AS-00 finding, never a stop: the
		// exit code follows the findings.
		{"invalid spec", []string{"doctor", "-f", doctorHealthy + "dex.yaml"}, "", ExitFindings, "AS-00 artifact-invalid: " + doctorHealthy + "dex.yaml"},
		{"token on stdin as an ExecCredential", append(healthy, "--token", "-"), `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"` + tok + `"}}`, ExitOK, `user "oidc:alice@example.com"`},
		{"issuer mismatch", append(healthy, "--authentication-config", broken), "", ExitFindings, "AS-01 issuer-mismatch"},
		{"json output", append(healthy, "--authentication-config", broken, "-o", "json"), "", ExitFindings, `"code": "AS-01"`},
		{"missing file", append(healthy, "--dex-config", filepath.Join(dir, "nope.yaml")), "", ExitFindings, filepath.Join(dir, "nope.yaml") + " cannot be used as a dex config with an issuer (--dex-config): no such file"},
		// A syntax error is a finding with file and line; the rest is still checked.
		{"unparseable file", append(healthy, "--kubeconfig", garbage), "", ExitFindings, "AS-00 artifact-invalid: " + garbage + ":1 cannot be used as a kubeconfig (--kubeconfig): syntax error"},
		{"bad --now", []string{"doctor", "--now", "yesterday"}, "", ExitInvalid, "RFC 3339"},
		{"bad token", []string{"doctor", "--token", "-"}, "not.a.jwt.at.all", ExitFindings, "stdin cannot be used as an id token"},
		{"bad flag", []string{"doctor", "-o", "yaml"}, "", ExitInvalid, "--output"},
		{"symptom", append(healthy, "--authentication-config", broken, "--symptom", `err="[invalid bearer token, oidc: verify token: oidc: id token issued by a different provider, expected \"https://dex.example.com/\" got \"https://dex.example.com\"]"`), "", ExitFindings, "explained by: AS-01"},
		{"unknown symptom", append(healthy, "--symptom", "it does not work"), "", ExitOK, "doctor does not know this message; every check ran"},
		{"symptom as json", append(healthy, "--symptom", "Unregistered redirect_uri", "-o", "json"), "", ExitOK, `"explained": []`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(c.args, strings.NewReader(c.stdin), &out, &errOut)
			if code != c.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out.String(), errOut.String())
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, c.contains) {
				t.Errorf("output lacks %q:\n%s", c.contains, all)
			}
			if strings.Contains(out.String(), "\x1b[") {
				t.Error("colors in output that is not a terminal")
			}
			if strings.Contains(out.String()+errOut.String(), tok) {
				t.Error("the token was printed")
			}
		})
	}
}

func TestDoctorColorOnlyOnTerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if colorTerminal(IO{Out: devNull}) {
		t.Error("colors for /dev/null, which is not a terminal")
	}
	if colorTerminal(IO{Out: &bytes.Buffer{}}) {
		t.Error("colors for a buffer")
	}
	t.Setenv("NO_COLOR", "1")
	if colorTerminal(IO{Out: os.Stdout}) {
		t.Error("colors although NO_COLOR is set")
	}
}
