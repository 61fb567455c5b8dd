package doctor

import (
	"bytes"
	"strings"
	"testing"
)

// The table only names checks that exist, and each documented message is
// recognized by its own rule.
func TestSymptomTableIsConsistent(t *testing.T) {
	codes := map[string]bool{}
	for _, c := range Checks() {
		codes[c.Code] = true
	}
	for _, r := range Symptoms() {
		if r.Component == "" || r.Says == "" || r.Source == "" || len(r.Codes) == 0 {
			t.Errorf("rule %q lacks a component, source or codes", r.Says)
		}
		for _, c := range r.Codes {
			if !codes[c] {
				t.Errorf("rule %q names %s, which is no check", r.Says, c)
			}
		}
		if !r.re().MatchString(r.Says) {
			t.Errorf("rule %q does not recognize its own message", r.Says)
		}
	}
}

// Messages as users paste them (log prefixes, wrapped errors, real values)
// map to the checks that explain them; a wrapper such as "invalid bearer
// token" or oauth2-proxy's callback error yields to the reason it wraps.
func TestSymptomsMapToTheirChecks(t *testing.T) {
	cases := []struct {
		msg  string
		want []string
		not  []string
	}{
		{`E1125 12:00:00.000000       1 authentication.go:73] "Unable to authenticate the request" err="[invalid bearer token, oidc: verify token: oidc: expected audience in [\"kubernetes\"] got [\"oauth2-proxy-dashboard\"]]"`, []string{"AS-13", "AS-56"}, []string{"AS-91"}},
		{`err="[invalid bearer token, oidc: verify token: oidc: id token issued by a different provider, expected \"https://dex.example.com/\" got \"https://dex.example.com\"]"`, []string{"AS-01"}, []string{"AS-13"}},
		{`"Unable to authenticate the request" err="[invalid bearer token, oidc: verify token: oidc: token is expired (Token Expiry: 2026-10-02 19:35:14 +0000 UTC)]"`, []string{"AS-11", "AS-12"}, []string{"AS-01"}},
		{`err="[invalid bearer token, oidc: email not verified]"`, []string{"AS-14"}, nil},
		{`"Unable to authenticate the request" err="[invalid bearer token, something new]"`, []string{"AS-01", "AS-13", "AS-91"}, nil},
		{`error: You must be logged in to the server (Unauthorized)`, []string{"AS-01", "AS-10", "AS-13", "AS-94"}, nil},
		{`Error from server (Forbidden): pods is forbidden: User "oidc:alice" cannot list resource "pods" in API group "" in the namespace "default"`, []string{"AS-30", "AS-32", "AS-17"}, []string{"AS-13"}},
		{`Unregistered redirect_uri ("https://dashboard.example.com/oauth2/callback").`, []string{"AS-40"}, nil},
		{`Invalid client_id ("oauth2-proxy-dashbord").`, []string{"AS-41"}, nil},
		{`[2026/11/25 12:00:00] [oauthproxy.go:895] Error redeeming code during OAuth2 callback: token exchange failed: oauth2: "invalid_client" "Invalid client credentials."`, []string{"AS-42"}, []string{"AS-01"}},
		{`Error creating session during OAuth2 callback: audience from claim aud with value [kubernetes] does not match with any of allowed audiences map[oauth2-proxy-dashboard:{}]`, []string{"AS-56", "AS-41"}, nil},
		{`Error redeeming code during OAuth2 callback: email in id_token (alice@example.com) isn't verified`, []string{"AS-14"}, []string{"AS-42"}},
		{`[stored_session.go:106] Error loading cookied session: cookie "_oauth2_proxy" not present, removing session`, []string{"AS-57", "AS-50"}, nil},
		{`2026/11/25 12:00:00 [error] 42#42: *7 auth request unexpected status: 500 while sending to client, client: 10.0.0.1`, []string{"AS-61", "AS-62"}, nil},
		{`time=2026-11-25T12:00:00Z level=ERROR msg="connector returned error when creating callback" connector_id=github err="expected callback URL \"https://dex.example.com/callback\" did not match the URL in the config \"https://login.example.com/callback\""`, []string{"AS-46"}, []string{"AS-40"}},
		{`[main.go:60] invalid configuration:
  missing setting for email validation: email-domain or authenticated-emails-file required.
      use email-domain=* to authorize all email addresses`, []string{"AS-65"}, nil},
		{`2026/11/25 12:00:00 [error] 42#42: *7 auth request unexpected status: 500`, []string{"AS-68"}, nil},
		{`E1125 12:00:00.000000       7 annotations.go:170] error reading ExternalAuth annotation in Ingress apps/dash: location denied, reason: invalid headers list`, []string{"AS-22"}, nil},
		// A reload the API server refused: it keeps the previous config.
		{`E1203 16:49:08.334802   13348 authentication.go:811] "failed to update authentication config" err="[oidc: authenticator for issuer \"https://localhost:40337\" is not healthy: Get \"https://localhost:40337/.well-known/openid-configuration\": context deadline exceeded]"`, []string{"AS-91", "AS-92"}, nil},
		// kubelogin with a client id dex does not have: dex answers invalid_client.
		{`error: get-token: authentication error: ropc error: resource owner password credentials flow error: resource owner password credentials flow error: oauth2: "invalid_client" "Invalid client credentials."`, []string{"AS-41", "AS-42"}, nil},
		{`[cookies.go:84] Warning: request host is "dashboard.example.com" but using configured cookie domain of "example.org"`, []string{"AS-66"}, nil},
	}
	for _, c := range cases {
		got := map[string]bool{}
		for _, r := range MatchSymptom(c.msg) {
			for _, code := range r.Codes {
				got[code] = true
			}
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("%q: %s not among %v", c.msg, w, got)
			}
		}
		for _, n := range c.not {
			if got[n] {
				t.Errorf("%q: %s should not be suggested", c.msg, n)
			}
		}
	}
}

// --symptom runs the checks that explain the message first and says which
// of them found the cause; an unknown message runs every check and says so.
func TestDiagnoseSymptom(t *testing.T) {
	a := healthy(t)
	a.edit(t, "authentication-config.yaml", "    audiences:\n    - kubernetes", "    audiences:\n    - kubectl")
	m := a.model(t)
	msg := `"Unable to authenticate the request" err="[invalid bearer token, oidc: verify token: oidc: expected audience in [\"kubectl\"] got [\"kubernetes\"]]"`
	r := DiagnoseSymptom(m, msg)
	if r.Symptom == nil || !r.Symptom.Known {
		t.Fatalf("symptom not recognized: %+v", r.Symptom)
	}
	if len(r.Ran) < 2 || r.Ran[0] != "AS-13" || r.Ran[1] != "AS-56" {
		t.Errorf("the matched checks did not run first: %v", r.Ran)
	}
	if !contains(r.Symptom.Explained, "AS-13") {
		t.Errorf("explained by %v, want AS-13", r.Symptom.Explained)
	}
	all := Diagnose(m)
	if len(r.Ran) != len(all.Ran) || r.Errors() != all.Errors() {
		t.Errorf("with a symptom %d checks ran and %d errors, without %d and %d", len(r.Ran), r.Errors(), len(all.Ran), all.Errors())
	}
	var text bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "symptom\n") || !strings.Contains(text.String(), "explained by: AS-13") {
		t.Errorf("text output does not lead with the symptom:\n%s", text.String())
	}

	u := DiagnoseSymptom(m, "my cluster is sad")
	if u.Symptom.Known || len(u.Ran) != len(all.Ran) {
		t.Errorf("unknown message: known=%v, %d checks ran, want all %d", u.Symptom.Known, len(u.Ran), len(all.Ran))
	}
	text.Reset()
	if err := WriteText(&text, u, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "does not know this message; every check ran") {
		t.Errorf("unknown message not said:\n%s", text.String())
	}
}
