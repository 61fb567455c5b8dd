package dexconfig

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

func mustMerge(t *testing.T, existing, desired []byte) []byte {
	t.Helper()
	return patchtest.Must(t, func(b []byte) ([]byte, error) { return mergeConfig(b, desired) }, existing)
}

func TestMergeIntoAConfigServingOtherApps(t *testing.T) {
	res, err := Merge(patchtest.ReadTestdata(t, "existing.yaml"), patchtest.ReadTestdata(t, "desired.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := mustMerge(t, patchtest.ReadTestdata(t, "existing.yaml"), patchtest.ReadTestdata(t, "desired.yaml"))
	golden.Assert(t, filepath.Join("testdata", "merged.golden.yaml"), out)

	c, _, err := dexconfig.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Type != "kubernetes" {
		t.Errorf("existing storage replaced: %q", c.Storage.Type)
	}
	var ids []string
	for _, sc := range c.StaticClients {
		ids = append(ids, sc.ID)
	}
	if got := strings.Join(ids, ","); got != "grafana,kubernetes,oauth2-proxy" {
		t.Errorf("static clients = %s", got)
	}
	k := c.StaticClients[1]
	if got := strings.Join(k.RedirectURIs, " "); got != "http://localhost:8000 http://localhost:9000 http://localhost:18000" {
		t.Errorf("kubernetes redirectURIs = %s", got)
	}
	if got := strings.Join(k.TrustedPeers, " "); got != "grafana" {
		t.Errorf("kubernetes trustedPeers = %s", got)
	}
	if k.Name != "Kubernetes (old)" {
		t.Errorf("kubernetes name = %q, want the existing one", k.Name)
	}
	if len(c.Connectors) != 3 || c.Connectors[2].ID != "github-platform" {
		t.Errorf("github-platform connector not added: %+v", c.Connectors)
	}
	if !reflect.DeepEqual(c.OAuth2, dexconfig.OAuth2{}) || c.Expiry.IDTokens != "30m" {
		t.Errorf("global settings changed: oauth2 %+v, expiry %+v", c.OAuth2, c.Expiry)
	}
	if got, want := strings.Join(res.Env, " "), "GITHUB_PLATFORM_CLIENT_ID GITHUB_PLATFORM_CLIENT_SECRET OAUTH2_PROXY_CLIENT_SECRET"; got != want {
		t.Errorf("new environment variables = %s, want %s", got, want)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "oauth2.skipApprovalScreen") {
		t.Errorf("notes = %q", res.Notes)
	}
	for _, kept := range []string{
		"# Grafana's login, owned by the observability team\n- id: grafana\n",
		"  - http://localhost:8000   # kubelogin default\n",
		"# GitHub login for contractors\n- type: github\n",
		"\nlogger:\n  level: \"info\"\n",
		"  allowedOrigins: ['https://grafana.example.com']\n",
	} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("output lost %q", kept)
		}
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name              string
		existing, desired string
		want              string
	}{
		{
			name:     "adds a missing client and keeps the others",
			existing: "issuer: https://a\nstaticClients:\n- id: x\n  name: X\n",
			desired:  "issuer: https://a\nstaticClients:\n- id: y\n  name: Y\n",
			want:     "issuer: https://a\nstaticClients:\n- id: x\n  name: X\n- id: y\n  name: Y\n",
		},
		{
			name:     "unions redirect URIs and trusted peers without duplicates",
			existing: "staticClients:\n- id: k\n  redirectURIs: [a, b]\n  trustedPeers:\n  - p\n",
			desired:  "staticClients:\n- id: k\n  redirectURIs: [c, a]\n  trustedPeers: [q, p]\n",
			want:     "staticClients:\n- id: k\n  redirectURIs: [a, b, c]\n  trustedPeers:\n  - p\n  - q\n",
		},
		{
			name:     "fills in client fields existing lacks and keeps the others",
			existing: "staticClients:\n- id: k\n  secret: s # rotate me\n  public: false\n  name: Mine\n",
			desired:  "staticClients:\n- id: k\n  secret: s\n  name: K\n  logoURL: https://l\n",
			want:     "staticClients:\n- id: k\n  secret: s # rotate me\n  public: false\n  name: Mine\n  logoURL: https://l\n",
		},
		{
			name:     "fills in a client field that is there without a value",
			existing: "staticClients:\n- id: k\n  redirectURIs: # to do\n  name: K\n",
			desired:  "staticClients:\n- id: k\n  name: K\n  redirectURIs: [u]\n",
			want:     "staticClients:\n- id: k\n  redirectURIs: [u] # to do\n  name: K\n",
		},
		{
			name:     "gives a confidential client without a secret authstack's",
			existing: "staticClients:\n- id: k\n  name: K\n",
			desired:  "staticClients:\n- id: k\n  name: K\n  secretEnv: K_SECRET\n",
			want:     "staticClients:\n- id: k\n  name: K\n  secretEnv: K_SECRET\n",
		},
		{
			name:     "adds a connector and keeps the others with their comments",
			existing: "connectors:\n# the IdP\n- type: oidc\n  id: corp\n  config:\n    issuer: https://old\n",
			desired:  "connectors:\n- type: oidc\n  id: corp\n  config: {issuer: https://old}\n- type: mock\n  id: m\n",
			want:     "connectors:\n# the IdP\n- type: oidc\n  id: corp\n  config:\n    issuer: https://old\n- type: mock\n  id: m\n",
		},
		{
			name:     "keeps existing's own settings and adds no global ones",
			existing: "storage:\n  type: sqlite3\n",
			desired:  "storage:\n  type: memory\nweb: {http: 0.0.0.0:5556}\noauth2:\n  skipApprovalScreen: true\n",
			want:     "storage:\n  type: sqlite3\n",
		},
		{
			name:     "creates lists that existing lacks",
			existing: "issuer: https://a\n",
			desired:  "staticClients:\n- id: k\n  redirectURIs: [u]\nconnectors: []\n",
			want:     "issuer: https://a\nstaticClients:\n- id: k\n  redirectURIs: [u]\nconnectors: []\n",
		},
		{
			name:     "returns existing untouched when it already has everything",
			existing: "# mine\nissuer:   'https://a'\nstaticClients:\n    -   id: k\n        redirectURIs: [u, v]\n",
			desired:  "issuer: https://a\nstaticClients:\n- id: k\n  redirectURIs: [v]\n",
			want:     "# mine\nissuer:   'https://a'\nstaticClients:\n    -   id: k\n        redirectURIs: [u, v]\n",
		},
		{
			name:     "keeps blank lines, CRLF and a leading document marker",
			existing: "---\r\nissuer: https://a\r\n\r\nweb:\r\n  http: 0.0.0.0:5556\r\n",
			desired:  "issuer: https://a\nstaticClients:\n- id: k\n  name: K\n",
			want:     "---\r\nissuer: https://a\r\n\r\nweb:\r\n  http: 0.0.0.0:5556\r\nstaticClients:\r\n- id: k\r\n  name: K\r\n",
		},
		{
			name:     "writes desired into an empty file",
			existing: "",
			desired:  "issuer: https://a\n",
			want:     "issuer: https://a\n",
		},
		{
			name:     "quotes values that would change type",
			existing: "issuer: https://a\n",
			desired:  "staticClients:\n- id: \"on\"\n  name: \"true\"\n",
			want:     "issuer: https://a\nstaticClients:\n- id: \"on\"\n  name: \"true\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustMerge(t, []byte(tt.existing), []byte(tt.desired))
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestMergeRejects(t *testing.T) {
	tests := []struct {
		name              string
		existing, desired string
		want              string
	}{
		{"existing clients that are not a list", "staticClients:\n  k: {}\n", "staticClients:\n- id: k\n",
			"dex config: existing: staticClients: expected a list, found a map"},
		{"a desired client without id", "issuer: x\n", "staticClients:\n- name: k\n",
			"dex config: desired: staticClients[0]: expected a map with an id"},
		{"redirect URIs that are not a list", "staticClients:\n- id: k\n  redirectURIs: u\n", "staticClients:\n- id: k\n  redirectURIs: [v]\n",
			"dex config: existing: staticClients[0] (k): redirectURIs: expected a list, found a string"},
		{"invalid existing YAML", "issuer: [\n", "issuer: x\n", "dex config: existing: yaml: line 1"},
		{"invalid desired YAML", "issuer: x\n", "a: b: c\n", "dex config: desired: yaml: line 1"},
		{"existing that is a list", "- a\n", "issuer: x\n", "dex config: existing: line 1: expected a map, found a list"},
		{"two documents", "issuer: x\n---\nissuer: y\n", "issuer: z\n", "dex config: existing: line 2: a second YAML document"},
		{"a duplicated key", "issuer: x\nissuer: y\n", "issuer: z\n", "already defined"},
		{"another secret", "staticClients:\n- id: k\n  secretEnv: A\n", "staticClients:\n- id: k\n  secretEnv: B\n",
			"staticClients[0] (k): the dex config gives it secretEnv A, the spec secretEnv B"},
		{"another literal secret", "staticClients:\n- id: k\n  secret: hunter2\n", "staticClients:\n- id: k\n  secret: hunter3\n",
			"staticClients[0] (k): the dex config gives it a literal secret, the spec a literal secret"},
		{"both secret and secretEnv", "staticClients:\n- id: k\n  secret: a\n  secretEnv: B\n", "staticClients:\n- id: j\n",
			"dex config: existing: staticClients[0] (k): has both secret and secretEnv"},
		{"a desired client with both", "issuer: x\n", "staticClients:\n- id: k\n  secret: a\n  secretEnv: B\n",
			"dex config: desired: staticClients[0] (k): has both secret and secretEnv"},
		{"another client field", "staticClients:\n- id: k\n  allowedConnectors: [a]\n", "staticClients:\n- id: k\n  allowedConnectors: [b]\n",
			"staticClients[0] (k): allowedConnectors: the dex config has"},
		// dex keeps the last of two clients with one id; merging into the
		// first changed an entry dex ignores.
		{"a client id twice", "staticClients:\n- id: k\n  public: true\n  redirectURIs: [a]\n- id: j\n- id: k\n  secret: s\n", "staticClients:\n- id: k\n  public: true\n  redirectURIs: [b]\n",
			"dex config: existing: staticClients[0] (line 2) and staticClients[2] (line 6) both have id \"k\": dex uses only the last one"},
		{"a connector id twice", "connectors:\n- type: ldap\n  id: l\n- type: github\n  id: l\n", "connectors:\n- type: ldap\n  id: l\n",
			"connectors[0] (line 2) and connectors[1] (line 4) both have id \"l\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge([]byte(tt.existing), []byte(tt.desired))
			if err == nil {
				t.Fatalf("Merge succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
