package dexconfig

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// mergeConfig is Merge's merged file alone.
func mergeConfig(existing, desired []byte) ([]byte, error) {
	res, err := Merge(existing, desired)
	return res.Config, err
}

func clients(t *testing.T, cfg []byte) map[string]dexconfig.Client {
	t.Helper()
	c, _, err := dexconfig.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]dexconfig.Client{}
	for _, sc := range c.StaticClients {
		m[sc.ID] = sc
	}
	return m
}

// The reproductions of issue #13 (7), merging into dex's own example
// configs (testdata/upstream).
func TestMergeRefusesToChangeWhatOtherClientsRelyOn(t *testing.T) {
	dev := patchtest.ReadTestdata(t, "upstream/config-dev.yaml")
	ldap := patchtest.ReadTestdata(t, "upstream/config-ldap.yaml")
	tests := []struct {
		name     string
		existing []byte
		desired  string
		want     []string
	}{
		{
			name:     "turning a confidential client public",
			existing: dev,
			desired:  "issuer: http://127.0.0.1:5556/dex\nstaticClients:\n- id: example-app\n  name: kubectl\n  public: true\n  redirectURIs: [http://localhost:8000]\n",
			want:     []string{"staticClients", "example-app", "confidential", "public"},
		},
		{
			name:     "giving a client with a secret a secretEnv too",
			existing: dev,
			desired:  "issuer: http://127.0.0.1:5556/dex\nstaticClients:\n- id: example-app\n  name: app\n  secretEnv: CLIENT_SECRET_EXAMPLE_APP\n  redirectURIs: [https://app.example.com/oauth2/callback]\n",
			want:     []string{"example-app", "secretEnv CLIENT_SECRET_EXAMPLE_APP"},
		},
		{
			name:     "another issuer",
			existing: ldap,
			desired:  "issuer: https://dex.example.com\n",
			want:     []string{"issuer", "http://127.0.0.1:5556/dex", "https://dex.example.com"},
		},
		{
			name:     "longer-lived id tokens than the spec allows",
			existing: ldap,
			desired:  "issuer: http://127.0.0.1:5556/dex\nexpiry:\n  idTokens: 1h\n",
			want:     []string{"expiry.idTokens", "24h", "1h"},
		},
		{
			name:     "unbounded refresh tokens",
			existing: ldap,
			desired:  "issuer: http://127.0.0.1:5556/dex\nexpiry:\n  refreshTokens:\n    absoluteLifetime: 720h\n",
			want:     []string{"expiry.refreshTokens.absoluteLifetime", "720h"},
		},
		{
			name:     "a password grant connector of its own",
			existing: dev,
			desired:  "issuer: http://127.0.0.1:5556/dex\noauth2:\n  passwordConnector: ldap\n",
			want:     []string{"oauth2.passwordConnector", "local", "ldap"},
		},
		{
			name:     "turning on the password database",
			existing: ldap,
			desired:  "issuer: http://127.0.0.1:5556/dex\nenablePasswordDB: true\n",
			want:     []string{"enablePasswordDB"},
		},
		{
			name:     "adding static users",
			existing: dev,
			desired:  "issuer: http://127.0.0.1:5556/dex\nenablePasswordDB: true\nstaticPasswords:\n- email: eve@example.com\n  hash: x\n  username: eve\n  userID: eve\n",
			want:     []string{"staticPasswords", "eve@example.com"},
		},
		{
			name:     "replacing a connector every client logs in through",
			existing: ldap,
			desired:  "issuer: http://127.0.0.1:5556/dex\nconnectors:\n- type: ldap\n  id: ldap\n  name: Corp\n  config:\n    host: ldap.corp.example.com:636\n",
			want:     []string{"connectors", "ldap"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := mergeConfig(tt.existing, []byte(tt.desired))
			if err == nil {
				t.Fatalf("Merge succeeded, want an error; merged:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "ZXhhbXBsZS1hcHAtc2VjcmV0") {
				t.Errorf("error prints a client secret: %v", err)
			}
		})
	}
}

func TestMergeLeavesGlobalSettingsAlone(t *testing.T) {
	ldap := patchtest.ReadTestdata(t, "upstream/config-ldap.yaml")
	desired := "issuer: http://127.0.0.1:5556/dex\n" +
		"storage:\n  type: kubernetes\n  config: {inCluster: true}\n" +
		"web:\n  http: 0.0.0.0:5556\ntelemetry:\n  http: 0.0.0.0:5558\n" +
		"oauth2:\n  skipApprovalScreen: true\n  responseTypes: [code]\n" +
		"staticClients:\n- id: kubectl\n  name: kubectl\n  public: true\n  redirectURIs: [http://localhost:8000]\n"
	out, err := mergeConfig(ldap, []byte(desired))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := yaml.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"oauth2", "telemetry"} {
		if _, ok := c[k]; ok {
			t.Errorf("merge added the global setting %s: %v", k, c[k])
		}
	}
	if s := c["storage"].(map[string]any); s["type"] != "sqlite3" {
		t.Errorf("storage changed: %v", s)
	}
	if got := clients(t, out); !got["kubectl"].Public || !got["example-app"].Public && got["example-app"].Secret == "" {
		t.Errorf("clients: %+v", got)
	}
}

func TestMergeAddsRedirectURIsToAnExistingClient(t *testing.T) {
	dev := patchtest.ReadTestdata(t, "upstream/config-dev.yaml")
	desired := "issuer: http://127.0.0.1:5556/dex\nstaticClients:\n- id: example-app\n  name: App\n  redirectURIs: [https://app.example.com/oauth2/callback]\n"
	out, err := mergeConfig(dev, []byte(desired))
	if err != nil {
		t.Fatal(err)
	}
	c := clients(t, out)["example-app"]
	if c.Public || c.Secret != "ZXhhbXBsZS1hcHAtc2VjcmV0" || c.SecretEnv != "" {
		t.Errorf("client confidentiality or secret changed: %+v", c)
	}
	if got := strings.Join(c.RedirectURIs, " "); got != "http://127.0.0.1:5555/callback /dex/device/callback https://app.example.com/oauth2/callback" {
		t.Errorf("redirectURIs = %s", got)
	}
}
