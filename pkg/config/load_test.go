package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/safefile/safefiletest"
	"github.com/authstack/authstack/pkg/patch"
)

// minimalDex is minimal's issuer, for tests that swap it for another.
const minimalDex = `    dex:
      host: dex.example.com
      connectors:
        - ldap:
            host: ldap.example.com:636
            userSearch:
              baseDN: ou=people,dc=example,dc=com
              username: mail
      tls: {secretName: dex-tls}
`

const minimal = `apiVersion: authstack.dev/v1alpha1
kind: AuthStack
spec:
  cluster:
    name: prod
    kubernetesVersion: "1.34"
    installer: kubeadm
  issuer:
` + minimalDex

func TestParseMinimalAppliesSecureDefaults(t *testing.T) {
	s, err := Parse("authstack.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Spec.APIServer
	if *a.UsernamePrefix != "oidc:" || *a.GroupsPrefix != "oidc:" {
		t.Errorf("prefixes = %q, %q; want oidc: for both", *a.UsernamePrefix, *a.GroupsPrefix)
	}
	if a.UsernameClaim != "email" || a.GroupsClaim != "groups" {
		t.Errorf("claims = %q, %q", a.UsernameClaim, a.GroupsClaim)
	}
	if a.Mode != "authentication-config" {
		t.Errorf("mode for 1.34 = %q, want authentication-config", a.Mode)
	}
	if got := s.Spec.IssuerURL(); got != "https://dex.example.com" {
		t.Errorf("issuer = %q", got)
	}
	if s.Spec.Issuer.Dex.Storage.Type != "kubernetes" {
		t.Errorf("storage = %q, want kubernetes", s.Spec.Issuer.Dex.Storage.Type)
	}
	if s.Metadata.Name != "prod" {
		t.Errorf("name defaults to the cluster name, got %q", s.Metadata.Name)
	}
}

func TestParseDefaultsFlagsModeBefore130(t *testing.T) {
	s, err := Parse("a.yaml", []byte(strings.Replace(minimal, `"1.34"`, `"v1.29.4"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Spec.APIServer.Mode != "flags" {
		t.Errorf("mode for 1.29 = %q, want flags", s.Spec.APIServer.Mode)
	}
}

func TestParseReportsProblems(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{
			name: "unknown field names the closest one",
			edit: func(s string) string { return strings.Replace(s, "host: dex.example.com", "hots: dex.example.com", 1) },
			want: []string{`line 10: spec.issuer.dex.hots: unknown field, did you mean "host"?`},
		},
		{
			name: "unknown field far from any lists the valid ones",
			edit: func(s string) string { return strings.Replace(s, "  cluster:", "  zzzzzzzzzz: 1\n  cluster:", 1) },
			want: []string{"spec.zzzzzzzzzz: unknown field (valid fields: apiServer, apps, auth, cluster"},
		},
		{
			name: "wrong type",
			edit: func(s string) string {
				return strings.Replace(s, "      connectors:", "      replicas: two\n      connectors:", 1)
			},
			want: []string{"spec.issuer.dex.replicas: wrong type: got string, want an integer"},
		},
		{
			name: "mapping where a list belongs",
			edit: func(s string) string {
				return strings.Replace(s, "      connectors:\n        - ldap:", "      connectors:\n        ldap:", 1)
			},
			want: []string{"spec.issuer.dex.connectors: wrong type: got a mapping, want a list"},
		},
		{
			name: "http issuer",
			edit: func(s string) string {
				return strings.Replace(s, minimalDex, "    external:\n      url: http://keycloak.example.com/realms/x\n", 1)
			},
			want: []string{`spec.issuer.external.url: Invalid value: "http://keycloak.example.com/realms/x": must use https`},
		},
		{
			name: "missing issuer",
			edit: func(s string) string {
				return strings.Replace(s, minimalDex, "    {}\n", 1)
			},
			want: []string{"spec.issuer: Required value: set issuer.dex"},
		},
		{
			name: "prefix dash mixed with a prefix",
			edit: func(s string) string { return s + "  apiServer:\n    usernamePrefix: \"-oidc:\"\n" },
			want: []string{`spec.apiServer.usernamePrefix: Invalid value: "-oidc:": "-" means no prefix and cannot be mixed with a prefix`},
		},
		{
			name: "no prefix without consent",
			edit: func(s string) string { return s + "  apiServer:\n    groupsPrefix: \"\"\n" },
			want: []string{"spec.apiServer.groupsPrefix: Invalid value: \"\": without a prefix a token can claim any name"},
		},
		{
			name: "duplicate app hosts, all problems at once",
			edit: func(s string) string {
				return s + `  apps:
    - name: a
      host: same.example.com
      namespace: apps
      upstream: {service: a, port: 80}
      identity: token
    - name: b
      host: same.example.com
      namespace: apps
      upstream: {service: b, port: 0}
      identity: cookies
`
			},
			want: []string{
				`spec.apps[1].host: Duplicate value: "same.example.com"`,
				"spec.apps[1].upstream.port: Invalid value: 0",
				`spec.apps[1].identity: Unsupported value: "cookies"`,
			},
		},
		{
			name: "app host not a DNS name",
			edit: func(s string) string {
				return s + "  apps:\n    - name: a\n      host: not_a_host\n      namespace: apps\n      upstream: {service: a, port: 80}\n      identity: token\n      tlsSecretName: a-tls\n"
			},
			want: []string{`line 20: spec.apps[0].host: Invalid value: "not_a_host": must be a DNS name`},
		},
		{
			name: "memory storage with replicas",
			edit: func(s string) string {
				return strings.Replace(s, "      connectors:", "      replicas: 2\n      storage: {type: memory}\n      connectors:", 1)
			},
			want: []string{"spec.issuer.dex.storage.type: Invalid value: \"memory\": memory storage cannot be shared"},
		},
		{
			name: "static users need consent",
			edit: func(s string) string {
				return strings.Replace(s, "        - ldap:\n            host: ldap.example.com:636\n            userSearch:\n              baseDN: ou=people,dc=example,dc=com\n              username: mail\n",
					"        - static:\n            users: [{email: a@example.com, username: a, hash: plain}]\n", 1)
			},
			want: []string{
				"spec.issuer.dex.connectors[0].static.testClusterOnly: Invalid value: false",
				"spec.issuer.dex.connectors[0].static.users[0].hash: Invalid value: \"(hidden)\"",
			},
		},
		{
			name: "CEL rules need authentication-config",
			edit: func(s string) string {
				return s + "  apiServer:\n    mode: flags\n    claimValidationRules:\n      - expression: \"true\"\n"
			},
			want: []string{"spec.apiServer.claimValidationRules: Forbidden: CEL rules need mode authentication-config"},
		},
		{
			name: "not a spec",
			edit: func(string) string { return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n" },
			want: []string{`line 1: not an AuthStack spec: apiVersion "apps/v1", kind "Deployment"`},
		},
		{
			name: "not YAML",
			edit: func(string) string { return "spec: [unclosed\n" },
			want: []string{"not valid YAML"},
		},
		{
			name: "empty",
			edit: func(string) string { return "" },
			want: []string{"empty file"},
		},
		{
			name: "two documents",
			edit: func(s string) string { return s + "---\n" + s },
			want: []string{"a second YAML document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("authstack.yaml", []byte(tt.edit(minimal)))
			var invalid *InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want an InvalidError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "authstack.yaml is not a valid spec") {
				t.Errorf("message does not name the file: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {apps: [{}], rbac: {teams: [{}]}}\n"))
	f.Add([]byte("apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: &a {cluster: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil && s == nil {
			t.Fatal("no spec and no error")
		}
		var invalid *InvalidError
		if err != nil && !errors.As(err, &invalid) {
			t.Fatalf("error is not an InvalidError: %v", err)
		}
		if err != nil {
			return
		}
		// A spec is written as init writes it, over an older one: through
		// no link and nowhere but its directory; and read back as the file
		// loader reads it, it is the same spec.
		var path string
		safefiletest.CheckContained(t, "authstack.yaml", []byte("older spec\n"), data, func(p string, d []byte) (string, error) {
			path = p
			return patch.WriteFileAtomic(p, d)
		})
		if path == "" {
			return // no symlinks on this system
		}
		loaded, err := LoadFile(path)
		if err != nil {
			t.Fatalf("LoadFile of a spec Parse accepts: %v", err)
		}
		if !reflect.DeepEqual(loaded.AuthStack, s) {
			t.Fatal("LoadFile and Parse disagree")
		}
	})
}

func TestParseTellsAURLIsNotAHost(t *testing.T) {
	_, err := Parse("a.yaml", []byte(strings.Replace(minimal, "host: dex.example.com", "host: https://dex.example.com", 1)))
	if err == nil || !strings.Contains(err.Error(), "spec.issuer.dex.host: Invalid value: \"https://dex.example.com\": must be a host name such as dex.example.com, not a URL") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRefusesIPHosts(t *testing.T) {
	_, err := Parse("a.yaml", []byte(strings.Replace(minimal, "host: dex.example.com", "host: 127.0.0.1:8443", 1)))
	if err == nil || !strings.Contains(err.Error(), "Ingress hosts cannot be IP addresses") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse("a.yaml", []byte(strings.Replace(minimal, "host: dex.example.com", "host: localhost:8443", 1))); err != nil {
		t.Fatalf("localhost with a port is a valid host: %v", err)
	}
}

func TestLoadFileKeepsWarningsWithLines(t *testing.T) {
	spec := strings.Replace(minimal, minimalDex, `    external:
      url: https://login.example.com
      appClientSecret: {env: X}
  apps:
    - name: grafana
      host: grafana.example.com
      namespace: monitoring
      upstream: {service: grafana, port: 80}
      identity: headers
      tlsSecretName: grafana-tls
`, 1)
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The retired ingress-nginx default is warned about too (at spec).
	var ws []string
	for _, w := range s.Warnings {
		if !strings.Contains(w, "spec.edge.provider: ingress-nginx is retired") {
			ws = append(ws, w)
		}
	}
	if len(ws) != 1 || len(s.Warnings) != 2 || !strings.HasPrefix(ws[0], "line 13: spec.apps[0]: app grafana admits every user") {
		t.Fatalf("warnings = %q", s.Warnings)
	}
}
