package dexconfig

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const devConfig = `issuer: https://dex.example.com
storage:
  type: kubernetes
  config:
    inCluster: true
expiry:
  idTokens: 1h
staticClients:
- id: kubectl
  name: kubectl
  public: true
  redirectURIs: [http://localhost:8000]
  trustedPeers: [app]
- id: app
  name: App
  secretEnv: CLIENT_SECRET_APP
  redirectURIs: [https://app.example.com/oauth2/callback]
enablePasswordDB: true
staticPasswords:
- email: admin@example.com
  hash: "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
  username: admin
  name: Admin User
  preferredUsername: admin
  userID: "08a8684b"
  groups: [admins]
`

func indentLines(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad) + "\n"
}

func TestParseReadsEveryForm(t *testing.T) {
	want, form, err := Parse([]byte(devConfig))
	if err != nil || form != FormFile {
		t.Fatalf("Parse(file) = %v, %v", form, err)
	}
	if want.Issuer != "https://dex.example.com" || want.Client("app").SecretEnv != "CLIENT_SECRET_APP" || !want.Client("kubectl").Public ||
		want.Expiry.IDTokens != "1h" || want.StaticPasswords[0].PreferredUsername != "admin" || want.Storage.Type != "kubernetes" {
		t.Fatalf("Parse(file) = %+v", want)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(devConfig))
	for _, tt := range []struct {
		name, src string
		form      Form
	}{
		{"the dex Helm chart's values", "replicaCount: 2\nconfig:\n" + indentLines(devConfig, "  ") + "ingress:\n  enabled: false\n", FormHelmValues},
		{"a Secret with stringData", "apiVersion: v1\nkind: Secret\nmetadata: {name: dex}\nstringData:\n  config.yaml: |\n" + indentLines(devConfig, "    "), FormSecret},
		{"a Secret with data", "apiVersion: v1\nkind: Secret\nmetadata: {name: dex}\ndata:\n  config.yaml: " + b64 + "\n", FormSecret},
		{"a ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dex}\ndata:\n  config.yaml: |\n" + indentLines(devConfig, "    "), FormConfigMap},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, form, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if form != tt.form {
				t.Errorf("form = %q, want %q", form, tt.form)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"another Kubernetes object", "apiVersion: apps/v1\nkind: Deployment\n", "it is a Deployment (apps/v1), not a dex config"},
		{"a Secret without config.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  other: x\n", "the Secret has no config.yaml key"},
		{"a list", "- a\n", "line 1: expected a map, found a list"},
		{"a wrong type, with its field path", "issuer: x\nstaticClients:\n- id: a\n  public: maybe\n", "staticClients.public"},
		{"two documents", "issuer: a\n---\nissuer: b\n", "a second YAML document"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPrintReadsBackAsTheModel(t *testing.T) {
	c, _, err := Parse([]byte(devConfig))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Print(c, "# header\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "# header\n") {
		t.Errorf("header lost:\n%s", out)
	}
	back, _, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	// Keys list what the parsed text held: Print leaves out empty settings.
	back.Keys, c.Keys = nil, nil
	if !reflect.DeepEqual(back, c) {
		t.Errorf("Print then Parse = %+v, want %+v", back, c)
	}
	if strings.Contains(string(out), "secret:") {
		t.Errorf("Print wrote an empty secret field:\n%s", out)
	}
}

func TestOpenRefusesWhatItMustNotWriteInto(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"kubespray vars", "kube_version: v1.33.0\nkube_oidc_auth: true\n", "none of dex's settings"},
		{"the Secret that carries a dex config", "apiVersion: v1\nkind: Secret\nstringData:\n  config.yaml: |\n    issuer: x\n", "it is a Secret that carries one in config.yaml"},
		{"Helm values the chart does not write", "configSecret:\n  create: false\nconfig: {}\n", "configSecret.create is false"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open([]byte(tt.src)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// doctor and import get Secrets and ConfigMaps already decoded (from a
// manifest stream or the API server): the same model reads them.
func TestParseObjectReadsDecodedSecretsAndConfigMaps(t *testing.T) {
	want, _, err := Parse([]byte(devConfig))
	if err != nil {
		t.Fatal(err)
	}
	for name, obj := range map[string]any{
		"Secret data":       &corev1.Secret{Data: map[string][]byte{ConfigKey: []byte(devConfig)}},
		"Secret stringData": &corev1.Secret{Data: map[string][]byte{ConfigKey: []byte("issuer: stale\n")}, StringData: map[string]string{ConfigKey: devConfig}},
		"ConfigMap":         &corev1.ConfigMap{Data: map[string]string{ConfigKey: devConfig}},
	} {
		got, err := ParseObject(obj)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", name, got, want)
		}
	}
	if _, err := ParseObject(&corev1.Secret{Data: map[string][]byte{"other": nil}}); err == nil || !strings.Contains(err.Error(), "no config.yaml key") {
		t.Errorf("a Secret without config.yaml: err = %v", err)
	}
	if _, err := ParseObject(&corev1.ConfigMap{Data: map[string]string{ConfigKey: "staticClients: {}\n"}}); err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("a broken config.yaml: err = %v, want it named", err)
	}
}
