package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/doctor"
)

// model is a small hand-made setup: dex with an LDAP connector, API server
// flags with oidc: prefixes, one token app.
func model() *doctor.Model {
	return &doctor.Model{
		APIServers: []*doctor.APIServer{{Source: "kube-apiserver.yaml", Mode: "flags", JWT: []*doctor.JWTAuth{{
			Source: "kube-apiserver.yaml", Flags: true, Issuer: "https://dex.example.com", Audiences: []string{"kubernetes"},
			UsernameClaim: "email", UsernamePref: "oidc:", GroupsClaim: "groups", GroupsPref: "oidc:", SigningAlgs: []string{"RS256"},
		}}}},
		Dex: &doctor.Dex{Source: "dex.yaml", Issuer: "https://dex.example.com", StorageType: "kubernetes", Keys: map[string]bool{"issuer": true},
			Connectors: []*doctor.DexConnector{{Type: "ldap", ID: "ldap", Config: map[string]any{
				"host": "ldap.example.com:636", "bindDN": "cn=dex", "bindPW": "$LDAP_PW",
				"userSearch": map[string]any{"baseDN": "ou=people", "username": "mail"},
			}}},
			Clients: []*doctor.DexClient{{ID: "kubernetes", Public: true, RedirectURIs: []string{"http://localhost:8000", "http://localhost:18000"}}},
		},
		RBAC: &doctor.RBAC{Source: "rbac.yaml"},
	}
}

func importGaps(t *testing.T, m *doctor.Model) (*Result, string) {
	t.Helper()
	res, err := Import(m, Options{ClusterName: "c", KubernetesVersion: "1.33"})
	if err != nil {
		t.Fatal(err)
	}
	return res, strings.Join(gapFields(res), "\n")
}

func TestImportRefusesAnIssuerTheAPIServerDoesNotTrust(t *testing.T) {
	m := model()
	m.Dex.Issuer = "https://other.example.com"
	_, err := Import(m, Options{ClusterName: "c", KubernetesVersion: "1.33"})
	if err == nil || !strings.Contains(err.Error(), "other.example.com") || !strings.Contains(err.Error(), "dex.yaml") {
		t.Fatalf("err = %v, want a refusal naming dex.yaml and both issuers", err)
	}
}

func TestImportReportsAConnectorTheSpecCannotExpress(t *testing.T) {
	m := model()
	m.Dex.Connectors = append(m.Dex.Connectors, &doctor.DexConnector{Index: 1, Type: "saml", ID: "corp"})
	m.Dex.Connectors[0].Config["rootCA"] = "/etc/dex/ca.pem"
	res, gaps := importGaps(t, m)
	if len(res.Spec.Spec.Issuer.Dex.Connectors) != 1 {
		t.Errorf("connectors = %+v, want only the ldap one", res.Spec.Spec.Issuer.Dex.Connectors)
	}
	for _, want := range []string{"dex.yaml: connectors[1] | type", "dex.yaml: connectors[0] | config.rootCA"} {
		if !strings.Contains(gaps, want) {
			t.Errorf("no gap %q in:\n%s", want, gaps)
		}
	}
	// With no connector left nobody could log in: refused, not written.
	m.Dex.Connectors = m.Dex.Connectors[1:]
	if _, err := Import(m, Options{ClusterName: "c", KubernetesVersion: "1.33"}); err == nil || !strings.Contains(err.Error(), "connectors") {
		t.Errorf("err = %v, want a refusal: no connector left", err)
	}
}

func TestImportKeepsOnlyTheIssuersSubjects(t *testing.T) {
	m := model()
	m.RBAC.Bindings = []doctor.Binding{
		{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "admins", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "oidc:admins"}, {Kind: "Group", Name: "system:masters"}, {Kind: "User", Name: "kubernetes-admin"}}},
		{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "system:controller", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "x"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ctrl", Namespace: "kube-system"}}},
	}
	res, gaps := importGaps(t, m)
	b := res.Spec.Spec.RBAC.Bindings
	if len(b) != 1 || len(b[0].Groups) != 1 || b[0].Groups[0] != "admins" || len(b[0].Users) != 0 {
		t.Fatalf("bindings = %+v, want admins with group admins only (prefix stripped, others left out)", b)
	}
	for _, want := range []string{"ClusterRoleBinding admins | subjects[1]", "ClusterRoleBinding admins | subjects[2]"} {
		if !strings.Contains(gaps, want) {
			t.Errorf("no gap %q in:\n%s", want, gaps)
		}
	}
}

func TestImportRefusesAPrefixTheSpecRefuses(t *testing.T) {
	m := model()
	// The API server's default for a claim other than email: issuer#.
	m.APIServers[0].JWT[0].UsernameClaim, m.APIServers[0].JWT[0].UsernamePref = "sub", "https://dex.example.com#"
	m.RBAC.Bindings = []doctor.Binding{{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "alice", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "https://dex.example.com#alice"}}}}
	res, gaps := importGaps(t, m)
	a := res.Spec.Spec.APIServer
	if *a.UsernamePrefix != "oidc:" {
		t.Errorf("username prefix = %q, want oidc: (reported)", *a.UsernamePrefix)
	}
	if b := res.Spec.Spec.RBAC.Bindings; len(b) != 1 || b[0].Users[0] != "alice" {
		t.Errorf("bindings = %+v, want user alice (the old prefix stripped)", b)
	}
	if !strings.Contains(gaps, "| prefix") {
		t.Errorf("no prefix gap in:\n%s", gaps)
	}
	if _, err := Marshal(res, "authstack.yaml"); err != nil {
		t.Errorf("the spec does not validate: %v", err)
	}
}

func TestImportGivesKubectlItsOwnClientWhenTheAPIServerTrustsAnApp(t *testing.T) {
	m := model()
	m.APIServers[0].JWT[0].Audiences = []string{"oauth2-proxy"}
	m.Proxies = []*doctor.Proxy{{Source: "proxy.cfg", Keys: map[string]bool{}, Issuer: "https://dex.example.com", ClientID: "oauth2-proxy",
		RedirectURL: "https://dash.example.com/oauth2/callback", SetAuthz: true, CookieKnown: true, CookieSecret: "c"}}
	m.Ingresses = []*doctor.Ingress{{Source: "ing.yaml", Namespace: "dash", Name: "dash", Hosts: []string{"dash.example.com"},
		Annotations: map[string]string{annAuthURL: "https://$host/oauth2/auth", annRespHeaders: "Authorization"},
		Paths:       []doctor.IngressPath{{Host: "dash.example.com", Path: "/", Service: "dash", Port: 80}}}}
	res, gaps := importGaps(t, m)
	if k := res.Spec.Spec.Kubectl.ClientID; k != "kubernetes" {
		t.Errorf("kubectl client = %q, want kubernetes", k)
	}
	if !strings.Contains(gaps, "| audience") {
		t.Errorf("no audience gap in:\n%s", gaps)
	}
	if _, err := Marshal(res, "authstack.yaml"); err != nil {
		t.Errorf("the spec does not validate: %v", err)
	}
}

func TestWriteKeepsExistingSecretsAndSpec(t *testing.T) {
	res, _ := importGaps(t, model())
	res.Generated["cookie-secret/x"] = "imported"
	dir := t.TempDir()
	spec := filepath.Join(dir, "authstack.yaml")
	secretsFile := filepath.Join(dir, "authstack.secrets.yaml")
	if err := os.WriteFile(secretsFile, []byte("cookie-secret/x: kept\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(res, WriteOptions{SpecPath: spec}); err == nil || !strings.Contains(err.Error(), "cookie-secret/x") {
		t.Errorf("err = %v, want a refusal to replace a kept secret", err)
	}
	if _, err := os.Stat(spec); err == nil {
		t.Error("the spec was written although its secrets were not")
	}
	os.Remove(secretsFile)
	if _, err := Write(res, WriteOptions{SpecPath: spec}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(res, WriteOptions{SpecPath: spec}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("err = %v, want a refusal to overwrite the spec without --force", err)
	}
}
