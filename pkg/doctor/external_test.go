package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// externalTokenSpec is a Keycloak realm with a token-mode app: its proxy's
// id token carries the proxy's client id as audience.
const externalTokenSpec = `apiVersion: authstack.dev/v1alpha1
kind: AuthStack
spec:
  cluster: {name: ops, kubernetesVersion: "1.32", installer: authentication-config}
  tls:
    insecureHTTP: true
  issuer:
    external:
      url: https://keycloak.example.com/realms/ops
      appClientSecret: {env: KEYCLOAK_CLIENT_SECRET}
  apps:
    - name: dashboard
      host: dashboard.ops.example.com
      namespace: kubernetes-dashboard
      upstream: {service: kubernetes-dashboard-kong-proxy, port: 443, protocol: HTTPS}
      podSelector: {app: kong}
      identity: token
      allowedGroups: [sre]
`

func externalTokenModel(t *testing.T) *Model {
	t.Helper()
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "not-a-real-secret")
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	if err := os.WriteFile(path, []byte(externalTokenSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(Inputs{Spec: path, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExternalIssuerTokenAppIsHealthy(t *testing.T) {
	for _, f := range Diagnose(externalTokenModel(t)).Findings {
		if f.Severity == Error {
			t.Errorf("%s %s: %s", f.Code, f.Name, f.Message)
		}
	}
}

// What authstack rendered before: dex's cross-client scope sent to Keycloak,
// the API server accepting only the kubectl client. Keycloak ignores the
// scope, the forwarded token's audience is the proxy's client: 401.
func TestCrossClientScopeDoesNotHelpAnExternalIssuer(t *testing.T) {
	m := externalTokenModel(t)
	if len(m.Proxies) != 1 || len(m.APIServers) != 1 {
		t.Fatalf("want one proxy and one API server, got %d and %d", len(m.Proxies), len(m.APIServers))
	}
	m.Proxies[0].Scopes = append(m.Proxies[0].Scopes, "audience:server:client_id:kubernetes")
	m.APIServers[0].JWT[0].Audiences = []string{"kubernetes"}
	for _, f := range Diagnose(m).Findings {
		if f.Code == "AS-56" && f.Severity == Error && strings.Contains(f.Message, "oauth2-proxy-dashboard") {
			if strings.Contains(f.Fix, "audience:server:client_id") {
				t.Errorf("fix suggests dex's cross-client scope for an external issuer: %s", f.Fix)
			}
			return
		}
	}
	t.Error("AS-56 did not report the proxy's token the API server refuses")
}

// Roles the spec defines, and bindings to them, render into RBAC doctor
// finds consistent.
func TestSpecRolesAreHealthy(t *testing.T) {
	spec := `apiVersion: authstack.dev/v1alpha1
kind: AuthStack
spec:
  cluster: {name: ops, kubernetesVersion: "1.32", installer: authentication-config}
  tls:
    insecureHTTP: true
  issuer:
    dex:
      host: dex.example.com
      connectors:
        - ldap:
            host: ldap.example.com:636
            userSearch: {baseDN: "ou=people,dc=example,dc=com", username: mail}
  rbac:
    roles:
      - name: deployer
        kind: Role
        namespaces: [shop]
        rules:
          - {apiGroups: [apps], resources: [deployments], verbs: [get, list, patch]}
      - name: pod-reader
        rules:
          - {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
    bindings:
      - {name: shop-deployers, role: deployer, namespace: shop, groups: [devs]}
      - {name: pod-readers, clusterRole: pod-reader, groups: [devs]}
    users:
      - {name: alice@example.com, clusterRoles: [pod-reader]}
`
	path := filepath.Join(t.TempDir(), "authstack.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(Inputs{Spec: path, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if m.RBAC == nil || len(m.RBAC.Roles) < 2 {
		t.Fatalf("doctor read no rendered roles: %+v", m.RBAC)
	}
	for _, f := range Diagnose(m).Findings {
		if f.Severity == Error {
			t.Errorf("%s %s: %s", f.Code, f.Name, f.Message)
		}
	}
}
