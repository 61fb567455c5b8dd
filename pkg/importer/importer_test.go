package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
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
	p, _ := withApp(m)
	m.APIServers[0].JWT[0].Audiences = []string{p.ClientID}
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

// withApp adds a token app: its oauth2-proxy and the Ingress it guards.
func withApp(m *doctor.Model) (*doctor.Proxy, *doctor.Ingress) {
	p := &doctor.Proxy{Source: "proxy.cfg", Keys: map[string]bool{"email_domains": true}, Issuer: "https://dex.example.com", ClientID: "dash",
		RedirectURL: "https://dash.example.com/oauth2/callback", SetAuthz: true, EmailDomains: []string{"*"}, CookieKnown: true, CookieSecret: "c"}
	ing := &doctor.Ingress{Source: "ing.yaml", Namespace: "dash", Name: "dash", Hosts: []string{"dash.example.com"},
		Annotations: map[string]string{ingressnginx.Key(ingressnginx.AuthURL): "https://$host/oauth2/auth", ingressnginx.Key(ingressnginx.AuthResponseHeaders): "Authorization"},
		Paths:       []doctor.IngressPath{{Host: "dash.example.com", Path: "/", Service: "dash", Port: 80}}}
	m.Proxies, m.Ingresses = append(m.Proxies, p), append(m.Ingresses, ing)
	return p, ing
}

// A setting that keeps people out and that the spec cannot express stops
// the import: the rendered stack would let them in.
func TestImportRefusesToDropARestriction(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(m *doctor.Model)
		field string
	}{
		{"proxy emails file", func(m *doctor.Model) {
			p, _ := withApp(m)
			p.Keys["authenticated_emails_file"] = true
		}, "authenticated_emails_file"},
		// oauth2-proxy starts only with email_domains or an emails file.
		{"proxy without email domains", func(m *doctor.Model) {
			p, _ := withApp(m)
			p.EmailDomains = nil
		}, "email_domains"},
		{"ingress source ranges", func(m *doctor.Model) {
			_, ing := withApp(m)
			ing.Annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] = "10.0.0.0/8"
		}, "whitelist-source-range"},
		{"ingress snippet", func(m *doctor.Model) {
			_, ing := withApp(m)
			ing.Annotations["nginx.ingress.kubernetes.io/configuration-snippet"] = "deny all;"
		}, "configuration-snippet"},
		{"ingress modsecurity snippet", func(m *doctor.Model) {
			_, ing := withApp(m)
			ing.Annotations["nginx.ingress.kubernetes.io/modsecurity-snippet"] = "SecRule REMOTE_ADDR \"!@ipMatch 10.0.0.0/8\" \"id:1,deny\""
		}, "modsecurity-snippet"},
		// ingress-nginx denies the location on a value it refuses: the
		// running setup is not what the annotations say.
		{"auth-response-headers ingress-nginx refuses", func(m *doctor.Model) {
			_, ing := withApp(m)
			ing.Annotations[ingressnginx.Key(ingressnginx.AuthResponseHeaders)] = "Authorization X-User"
		}, "auth-response-headers"},
		{"auth-url allowed_emails", func(m *doctor.Model) {
			_, ing := withApp(m)
			ing.Annotations[ingressnginx.Key(ingressnginx.AuthURL)] = "https://$host/oauth2/auth?allowed_emails=alice@example.com"
		}, "allowed_emails"},
		{"auth-url groups other than the proxy's", func(m *doctor.Model) {
			p, ing := withApp(m)
			p.AllowedGroups = []string{"a", "b"}
			ing.Annotations[ingressnginx.Key(ingressnginx.AuthURL)] = "https://$host/oauth2/auth?allowed_groups=b,c"
		}, "allowed_groups"},
		{"user validation rules", func(m *doctor.Model) {
			m.APIServers[0].JWT[0].UserRules = []string{"!user.username.startsWith('admin')"}
		}, "userValidationRules"},
		{"github enterprise host", func(m *doctor.Model) {
			m.Dex.Connectors[0] = &doctor.DexConnector{Type: "github", ID: "gh", Config: map[string]any{"clientID": "x", "hostName": "github.corp.example.com", "orgs": []any{map[string]any{"name": "corp"}}}}
		}, "hostName"},
		{"oidc hosted domains", func(m *doctor.Model) {
			m.Dex.Connectors[0] = &doctor.DexConnector{Type: "oidc", ID: "google", Config: map[string]any{"issuer": "https://accounts.google.com", "clientID": "x", "hostedDomains": []any{"example.com"}}}
		}, "hostedDomains"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := model()
			c.edit(m)
			_, err := Import(m, Options{ClusterName: "c", KubernetesVersion: "1.33"})
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err = %v, want a refusal naming %s", err, c.field)
			}
		})
	}
}

// Restrictions the spec can express are carried, not dropped.
func TestImportCarriesRestrictions(t *testing.T) {
	m := model()
	_, ing := withApp(m)
	ing.Annotations[ingressnginx.Key(ingressnginx.AuthURL)] = "https://$host/oauth2/auth?allowed_groups=admins"
	m.APIServers[0].JWT[0].RequiredClaims = map[string]string{"hd": "example.com"}
	m.Dex.Connectors[0] = &doctor.DexConnector{Type: "github", ID: "gh", Config: map[string]any{"clientID": "x", "org": "example"}}
	res, gaps := importGaps(t, m)
	s := res.Spec.Spec
	if g := s.Apps[0].AllowedGroups; len(g) != 1 || g[0] != "admins" {
		t.Errorf("allowedGroups = %v, want admins from auth-url's allowed_groups", g)
	}
	if rc := s.APIServer.RequiredClaims; rc["hd"] != "example.com" {
		t.Errorf("requiredClaims = %v, want hd=example.com", rc)
	}
	if gh := s.Issuer.Dex.Connectors[0].GitHub; gh == nil || len(gh.Orgs) != 1 || gh.Orgs[0].Name != "example" {
		t.Errorf("github = %+v, want orgs [example] from the legacy org", gh)
	}
	if strings.Contains(gaps, "config.org") {
		t.Errorf("the legacy org is reported as dropped:\n%s", gaps)
	}
}

// The options render decides are compared with what runs: a change is
// reported with both values, an equal one is not.
func TestImportReportsProxyOptionsRenderChanges(t *testing.T) {
	m := model()
	p, _ := withApp(m)
	p.Scopes = []string{"openid", "email"}
	p.CookieSecure, p.CookieHTTPOnly = true, true
	p.Keys["scope"], p.Keys["cookie_secure"] = true, true
	res, _ := importGaps(t, m)
	var scope, secure bool
	for _, g := range res.Gaps {
		scope = scope || g.Field == "scope" && strings.Contains(g.Message, "[email openid] here")
		secure = secure || g.Field == "cookie_secure"
	}
	if !scope {
		t.Errorf("the scope change is not reported: %v", res.Gaps)
	}
	if secure {
		t.Errorf("cookie_secure is reported although render writes the same value: %v", res.Gaps)
	}
}

// The rendered Ingress sets proxy-buffer-size itself: the same value is no
// gap, a larger one (kept for big session cookies) is.
func TestImportComparesTheProxyBufferSize(t *testing.T) {
	for size, wantGap := range map[string]bool{"16k": false, "8k": false, "64k": true} {
		m := model()
		_, ing := withApp(m)
		ing.Annotations[ingressnginx.Key(ingressnginx.ProxyBufferSize)] = size
		_, gaps := importGaps(t, m)
		if got := strings.Contains(gaps, "proxy-buffer-size"); got != wantGap {
			t.Errorf("proxy-buffer-size %s: gap reported = %t, want %t\n%s", size, got, wantGap, gaps)
		}
	}
}

// A binding to a role the user made (not a built-in one) keeps naming it:
// the role is listed in existingRoles, so the written spec validates.
func TestImportListsTheRolesBindingsNameAsExisting(t *testing.T) {
	m := model()
	m.RBAC.Bindings = []doctor.Binding{
		{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "readers", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "oidc-readonly"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "oidc:readers"}}},
		{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "readers-too", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "oidc-readonly"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "oidc:ann@example.com"}}},
		{Source: "rbac.yaml", Kind: "RoleBinding", Namespace: "team-a", Name: "deployers", RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "deployer"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "oidc:team-a"}}},
		{Source: "rbac.yaml", Kind: "ClusterRoleBinding", Name: "viewers", RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "oidc:viewers"}}},
	}
	m.RBAC.Roles = []doctor.Role{{Source: "rbac.yaml", Kind: "ClusterRole", Name: "oidc-readonly"}}
	res, _ := importGaps(t, m)
	got := res.Spec.Spec.RBAC.ExistingRoles
	if len(got) != 2 || got[0].Name != "oidc-readonly" || got[0].Namespace != "" || got[1].Name != "deployer" || got[1].Namespace != "team-a" {
		t.Errorf("existingRoles = %+v, want oidc-readonly (once) and team-a/deployer, not the built-in view", got)
	}
	if _, err := Marshal(res, "authstack.yaml"); err != nil {
		t.Fatal(err)
	}
}
