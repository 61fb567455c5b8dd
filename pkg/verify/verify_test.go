package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
)

const rbacSpec = `  rbac:
    readOnly:
      groups: [auditors]
    userNamespaces:
      - user: alice@example.org
        namespace: alice
`

// ownerAllows is the fake API server's RBAC for alice: her namespace and
// cluster-wide view.
func ownerAllows(a authorizationv1.ResourceAttributes) bool {
	if a.Namespace == "alice" {
		return true
	}
	return (a.Verb == "list" || a.Verb == "get") && a.Resource == "pods"
}

func run(t *testing.T, stack *config.Stack, user, password string) *Report {
	t.Helper()
	rep, err := Run(context.Background(), Options{Stack: stack, User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunHealthyStackPassesEveryHop(t *testing.T) {
	dex := newFakeDex(t)
	api := fakeAPIServer(t, "oidc:alice@example.org", []string{"oidc:developers", "system:authenticated"}, ownerAllows)
	rep := run(t, writeStack(t, dex, api, rbacSpec), "alice", "wonderland")
	var out bytes.Buffer
	_ = rep.WriteText(&out)
	if !rep.OK() {
		t.Fatalf("report:\n%s", out.String())
	}
	for _, want := range []string{
		"✓ issuer discovery", "✓ login through connector ldap: as alice", "✓ token claims: iss matches, aud kubernetes, email alice@example.org, email_verified, groups [developers]",
		"✓ api server accepts token: SelfSubjectReview: user oidc:alice@example.org",
		"✓ rbac allows create deployments.apps in alice", "✓ rbac allows list pods in all namespaces",
		"✓ rbac denies delete namespaces", "✓ rbac denies get secrets in kube-system",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "wonderland") {
		t.Error("the report holds the password")
	}
}

func TestRunPicksTheConnectorOnDexsLoginPage(t *testing.T) {
	dex := newFakeDex(t)
	dex.connectors = []string{"github", "ldap"}
	api := fakeAPIServer(t, "oidc:alice@example.org", []string{"oidc:developers"}, ownerAllows)
	rep := run(t, writeStack(t, dex, api, rbacSpec), "alice", "wonderland")
	if h := rep.Hop(HopLogin("ldap")); h == nil || !h.OK {
		t.Fatalf("login through the connector list: %+v", rep.Hops)
	}
}

func TestRunFailsAtTheRightHop(t *testing.T) {
	tests := []struct {
		name     string
		password string
		change   func(*fakeDex)
		apiUser  string
		allow    func(authorizationv1.ResourceAttributes) bool
		hop      string
		detail   string
	}{
		{
			name: "wrong password", password: "not-it",
			hop: HopLogin("ldap"), detail: "Invalid Username and password",
		},
		{
			name: "redirect URI missing from dex", change: func(d *fakeDex) { d.redirectURIs = []string{"http://localhost:18000"} },
			hop: HopLogin("ldap"), detail: "Unregistered redirect_uri",
		},
		{
			name: "email not verified", change: func(d *fakeDex) {
				d.claims = func(login string) map[string]any {
					return map[string]any{"email": login + "@example.org", "email_verified": false, "groups": []any{"developers"}}
				}
			},
			hop: HopClaims, detail: "email_verified is not true",
		},
		{
			name: "groups claim not a list", change: func(d *fakeDex) {
				d.claims = func(login string) map[string]any {
					return map[string]any{"email": login + "@example.org", "email_verified": true, "groups": "developers"}
				}
			},
			hop: HopClaims, detail: `groups claim "groups" is string`,
		},
		{
			name: "api server sees another prefix", apiUser: "alice@example.org",
			hop: HopAPIServer, detail: `sees user "alice@example.org", the spec expects "oidc:alice@example.org"`,
		},
		{
			name: "rbac grants less than the spec", allow: func(authorizationv1.ResourceAttributes) bool { return false },
			hop: "rbac allows create deployments.apps in alice", detail: "allowed=false",
		},
		{
			name: "rbac grants more than the spec", allow: func(authorizationv1.ResourceAttributes) bool { return true },
			hop: "rbac denies delete namespaces", detail: "allowed=true",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dex := newFakeDex(t)
			if tt.change != nil {
				tt.change(dex)
			}
			user, allow := "oidc:alice@example.org", ownerAllows
			if tt.apiUser != "" {
				user = tt.apiUser
			}
			if tt.allow != nil {
				allow = tt.allow
			}
			api := fakeAPIServer(t, user, []string{"oidc:developers"}, allow)
			password := "wonderland"
			if tt.password != "" {
				password = tt.password
			}
			rep := run(t, writeStack(t, dex, api, rbacSpec), "alice", password)
			failed := rep.Failed()
			if failed == nil {
				t.Fatalf("every hop passed: %+v", rep.Hops)
			}
			if failed.Name != tt.hop || !strings.Contains(failed.Detail, tt.detail) {
				t.Errorf("first failed hop: %q: %s\nwant %q with %q", failed.Name, failed.Detail, tt.hop, tt.detail)
			}
			if tt.hop == HopLogin("ldap") {
				if h := rep.Hop(HopAPIServer); h == nil || h.OK || !strings.HasPrefix(h.Detail, "not checked") {
					t.Errorf("the hops after a failed login are not listed as not checked: %+v", rep.Hops)
				}
			}
			var out bytes.Buffer
			_ = rep.WriteJSON(&out)
			if strings.Contains(out.String(), password) {
				t.Error("the report holds the password")
			}
		})
	}
}

func TestRunUntrustedIssuerSaysWhatToDo(t *testing.T) {
	dex := newFakeDex(t)
	stack := writeStack(t, dex, nil, "")
	// Trust another CA than the one that signed the issuer's certificate.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stack.Path("issuer-ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := run(t, stack, "alice", "wonderland")
	h := rep.Hop(HopDiscovery)
	if h == nil || h.OK || !strings.Contains(h.Detail, "not signed by") {
		t.Fatalf("discovery hop: %+v", rep.Hops)
	}
}

func TestReportJSONShape(t *testing.T) {
	rep := &Report{}
	rep.pass("a", "fine")
	rep.fail("b", "broken %d", 2)
	var out bytes.Buffer
	if err := rep.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"name": "a", "ok": true, "detail": "fine"}, {"name": "b", "ok": false, "detail": "broken 2"}}
	if len(got["hops"]) != 2 || got["hops"][1]["detail"] != want[1]["detail"] || got["hops"][0]["ok"] != true {
		t.Errorf("json: %s", out.String())
	}
	if rep.OK() || rep.Failed().Name != "b" {
		t.Error("a report with a failed hop is OK")
	}
}

func TestCheckClaims(t *testing.T) {
	spec := &v1alpha1.AuthStack{
		APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind,
		Spec: v1alpha1.Spec{
			Cluster:   v1alpha1.Cluster{Name: "c", KubernetesVersion: "1.34", Installer: v1alpha1.InstallerAuthConfig},
			Issuer:    v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.org"}},
			APIServer: v1alpha1.APIServer{RequiredClaims: map[string]string{"hd": "example.org"}},
		},
	}
	v1alpha1.SetDefaults(spec)
	good := func() map[string]any {
		return map[string]any{"iss": "https://dex.example.org", "aud": []any{"kubernetes", "other"}, "email": "a@example.org", "email_verified": true, "groups": []any{"g"}, "hd": "example.org"}
	}
	tests := []struct {
		name    string
		change  func(map[string]any)
		problem string
	}{
		{"valid", func(map[string]any) {}, ""},
		{"no groups claim is fine", func(c map[string]any) { delete(c, "groups") }, ""},
		{"issuer with a trailing slash", func(c map[string]any) { c["iss"] = "https://dex.example.org/" }, "expects exactly"},
		{"audience of another client", func(c map[string]any) { c["aud"] = "oauth2-proxy-x" }, "holds none of the API server's audiences"},
		{"no email", func(c map[string]any) { delete(c, "email") }, `username claim "email" is missing`},
		{"email not verified", func(c map[string]any) { c["email_verified"] = false }, "email_verified is not true"},
		{"groups of numbers", func(c map[string]any) { c["groups"] = []any{1.0} }, "not a list of strings"},
		{"required claim differs", func(c map[string]any) { c["hd"] = "evil.org" }, `required claim hd is "evil.org"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(c)
			_, problems := checkClaims(&spec.Spec, c)
			switch {
			case tt.problem == "" && len(problems) > 0:
				t.Errorf("unexpected problems: %v", problems)
			case tt.problem != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.problem) }):
				t.Errorf("problems %v lack %q", problems, tt.problem)
			}
		})
	}
}

func TestExpectations(t *testing.T) {
	spec := &v1alpha1.AuthStack{
		APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind,
		Spec: v1alpha1.Spec{
			Cluster: v1alpha1.Cluster{Name: "c", KubernetesVersion: "1.34", Installer: v1alpha1.InstallerAuthConfig},
			Issuer:  v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.org"}},
			RBAC: v1alpha1.RBAC{
				ReadOnly:       &v1alpha1.Subjects{Groups: []string{"auditors"}},
				UserNamespaces: []v1alpha1.UserNamespace{{User: "alice@example.org", Namespace: "alice"}},
				Bindings:       []v1alpha1.Binding{{Name: "admins", ClusterRole: "cluster-admin", Subjects: v1alpha1.Subjects{Groups: []string{"admins"}}}},
			},
		},
	}
	v1alpha1.SetDefaults(spec)
	names := func(as []action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.String())
		}
		return out
	}
	tests := []struct {
		name        string
		user        string
		groups      []string
		allow, deny []string
	}{
		{
			name: "user with a namespace", user: "oidc:alice@example.org",
			allow: []string{"create deployments.apps in alice", "list pods in all namespaces"},
			deny:  []string{"delete namespaces", "delete pods in all namespaces", "get secrets in kube-system", "create deployments.apps in kube-system"},
		},
		{
			name: "read-only group", user: "oidc:bob@example.org", groups: []string{"oidc:auditors"},
			allow: []string{"list pods in all namespaces"},
			deny:  []string{"delete namespaces", "delete pods in all namespaces", "get secrets in kube-system", "create deployments.apps in kube-system"},
		},
		{
			name: "cluster admin is denied nothing", user: "oidc:carol@example.org", groups: []string{"oidc:admins"},
			allow: []string{"delete nodes"},
		},
		{
			name: "unknown user is granted nothing", user: "oidc:mallory@example.org",
			deny: []string{"delete namespaces", "delete pods in all namespaces", "get secrets in kube-system", "create deployments.apps in kube-system"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allow, deny, err := expectations(&spec.Spec, tt.user, tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(allow); !slices.Equal(got, tt.allow) {
				t.Errorf("allow = %q, want %q", got, tt.allow)
			}
			if got := names(deny); !slices.Equal(got, tt.deny) {
				t.Errorf("deny = %q, want %q", got, tt.deny)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	p, err := parsePage(strings.NewReader(`<html><head><script>var x = "<form>";</script></head><body>
<form method="post" action="/approval"><input type="hidden" name="req" value="r1"/>
<button type="submit" name="approval" value="approve">Grant Access</button></form>
<div class="dex-error-box">  Something   went wrong </div>
<a href="/auth/ldap?req=r1">Log in with LDAP</a></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.forms) != 1 || p.forms[0].method != "POST" || p.forms[0].action != "/approval" {
		t.Fatalf("forms: %+v", p.forms)
	}
	if v, ok := p.forms[0].submitValue("approval"); !ok || v != "approve" {
		t.Errorf("approval button: %q %t", v, ok)
	}
	if got := p.forms[0].hiddenValues().Get("req"); got != "r1" {
		t.Errorf("hidden req = %q", got)
	}
	if len(p.errors) != 1 || p.errors[0] != "Something went wrong" {
		t.Errorf("errors: %q", p.errors)
	}
	if len(p.links) != 1 || p.links[0].href != "/auth/ldap?req=r1" || p.links[0].text != "Log in with LDAP" {
		t.Errorf("links: %+v", p.links)
	}
	if strings.Contains(p.text, "var x") {
		t.Errorf("script text leaked into the page text: %q", p.text)
	}
}
