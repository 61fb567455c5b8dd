package doctor

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/golden"
)

const goldenDir = "../../testdata/doctor/golden"

func TestGolden(t *testing.T) {
	scenarios := []struct {
		name  string
		model func(t *testing.T) *Model
	}{
		{"healthy", func(t *testing.T) *Model { return healthy(t).model(t) }},
		{"broken-login", func(t *testing.T) *Model {
			a := healthy(t)
			a.edit(t, "authentication-config.yaml", "url: https://dex.example.com", "url: https://dex.example.com/")
			a.edit(t, "rbac.yaml", "name: oidc:platform", "name: platform")
			a.edit(t, "oauth2_proxy.cfg", `client_secret = "dashboard-client-secret-0123456789"`, `client_secret = "another-secret"`)
			a.edit(t, "ingress.yaml", "auth-response-headers: Authorization", "auth-response-headers: X-Auth-Request-User")
			a.claims["exp"] = testNow.Add(-90 * time.Minute).Unix()
			a.claims["iat"] = testNow.Add(-150 * time.Minute).Unix()
			return a.model(t)
		}},
		{"spec-dex-ldap-kubespray", func(t *testing.T) *Model {
			m, err := Load(Inputs{Spec: "../../examples/dex-ldap-kubespray/authstack.yaml", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := Diagnose(s.model(t))
			var text, js bytes.Buffer
			if err := WriteText(&text, r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, r); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(goldenDir, s.name+".txt"), text.Bytes())
			golden.Assert(t, filepath.Join(goldenDir, s.name+".json"), js.Bytes())
		})
	}
}

// docs/doctor.md is generated from the check table.
func TestDocs(t *testing.T) {
	path := "../../docs/doctor.md"
	golden.Assert(t, path, Docs())
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks() {
		if !bytes.Contains(want, []byte(c.Code+" "+c.Name)) {
			t.Errorf("docs/doctor.md lacks %s %s", c.Code, c.Name)
		}
		if c.Title == "" || c.Cause == "" || c.Symptom == "" || c.Fix == "" {
			t.Errorf("%s %s lacks its title, symptom, cause or fix", c.Code, c.Name)
		}
	}
}
