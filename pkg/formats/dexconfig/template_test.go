package dexconfig

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// dex's image renders its config with gomplate at start; authstack refuses
// a template instead of reading an action as the issuer (quoted) or failing
// with a YAML error that does not say why.
func TestTemplateIsRefused(t *testing.T) {
	upstream, err := os.ReadFile("../../patch/dexconfig/testdata/upstream/config.docker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data []byte
		line string
	}{
		"dex's config.docker.yaml":    {upstream, "at line 1: {{- /*"},
		"quoted action as the issuer": {[]byte("# dex\nissuer: \"{{ getenv \\\"DEX_ISSUER\\\" }}\"\nstorage:\n  type: memory\n"), `at line 2: {{ getenv \"DEX_ISSUER\" }}`},
		"bare action":                 {[]byte("issuer: https://dex.example.com\nstorage:\n  type: {{ .Env.STORAGE }}\n"), "at line 3: {{ .Env.STORAGE }}"},
		"helm values":                 {[]byte("config:\n  issuer: '{{ getenv \"ISSUER\" }}'\n"), "at line 2:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Parse(tc.data)
			if err == nil || !strings.Contains(err.Error(), "a template action "+tc.line) || !strings.Contains(err.Error(), "gomplate") {
				t.Errorf("Parse: %v, want the action %s", err, tc.line)
			}
			if _, err := Open(tc.data); err == nil || !strings.Contains(err.Error(), "a template action") {
				t.Errorf("Open: %v", err)
			}
		})
	}
	s := &corev1.Secret{StringData: map[string]string{ConfigKey: "issuer: {{ getenv \"X\" }}\n"}}
	if _, err := ParseObject(s); err == nil || !strings.Contains(err.Error(), "config.yaml: a template action at line 1") {
		t.Errorf("ParseObject: %v", err)
	}
}

// An action in a comment is not rendered into the config: it is not refused.
func TestTemplateCheckIgnoresComments(t *testing.T) {
	data := []byte("# issuer: {{ getenv \"DEX_ISSUER\" }}\n  # {{ x }}\nissuer: https://dex.example.com\nstorage:\n  type: memory\n")
	c, _, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://dex.example.com" {
		t.Errorf("issuer %q", c.Issuer)
	}
}
