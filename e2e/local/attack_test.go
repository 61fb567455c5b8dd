//go:build e2e

package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/render"
)

// TestLocalAttack is the attack suite of docs/security.md: one stack, then
// one subtest per attempt to get in where the spec says no. Each asserts
// the refusal (status code), and that nothing leaked (no identity, no
// secret in the answer). Attempts that forge tokens first prove, with a
// control, that a token built the same way but without the flaw under
// test is accepted, so a 401 means the flaw was caught.
func TestLocalAttack(t *testing.T) {
	began := time.Now()
	s := Start(t, Options{Mode: "authentication-config", Apps: true})
	tm := &attackTimings{StackUpSeconds: time.Since(began).Seconds(), AttemptSeconds: map[string]float64{}}
	defer func() {
		tm.TestSeconds = time.Since(began).Seconds()
		saveTimings(t, "attack", tm)
	}()
	s.WaitForOIDC(t)
	a := newAttacker(t, s)

	run := func(name string, f func(t *testing.T)) {
		tm.Attempts++
		start := time.Now()
		t.Run(name, f)
		tm.AttemptSeconds[name] = time.Since(start).Seconds()
	}

	t.Run("control: a dex-signed copy of a real token is accepted", a.control)
	run("tampered signature is refused by the API server (401)", a.tamperedSignature)
	run("token from another issuer or key is refused by the API server (401)", a.otherIssuer)
	run("token for another audience is refused by the API server (401) and by oauth2-proxy as bearer", a.otherAudience)
	run("expired or not-yet-valid token is refused by the API server (401)", a.expired)
	run("unsigned alg none and HS256 key-confusion tokens are refused (401)", a.algNone)
	run("email_verified false is refused by the API server (401)", a.emailNotVerified)
	run("system: names from LDAP are prefixed and get 403", a.systemNames)
	run("client-sent identity headers never reach the headers app", a.identityHeaders)
	run("client-sent Authorization does not change who an app sees", a.clientAuthorization)
	run("login never redirects off the app host (rd and forwarded headers)", a.openRedirect)
	run("dex refuses an unregistered redirect_uri (400)", a.dexRedirectURI)
	run("callback with another browser's state sets no session (403)", a.foreignState)
	run("forged and cross-app session cookies are refused (401)", a.forgedCookies)
	run("unauthenticated requests get the sign-in redirect, never the app", a.unauthenticated)
	run("read-only group gets 403 on Secrets, exec and dex's signing keys", a.readOnly)
	run("removal from an LDAP group takes effect at the next refresh", func(t *testing.T) { tm.GroupRemoval = a.groupRemoval(t) })
	run("every Set-Cookie is Secure, HttpOnly and SameSite", a.cookieAttributes)
	t.Logf("%d attempts", tm.Attempts)
}

// attackTimings are written to attack-timings.json in the artifacts.
type attackTimings struct {
	StackUpSeconds float64            `json:"stackUpSeconds"`
	TestSeconds    float64            `json:"testSeconds"`
	Attempts       int                `json:"attempts"`
	AttemptSeconds map[string]float64 `json:"attemptSeconds"`
	GroupRemoval   *groupRemoval      `json:"groupRemoval,omitempty"`
}

// groupRemoval measures how long a user keeps a group after an LDAP
// administrator removed them from it.
type groupRemoval struct {
	// RefreshGrantSeconds: from the ldapmodify to the API server's 403 on
	// the group's permission with the id token of a refresh grant (what
	// kubelogin does when the cached id token has expired).
	RefreshGrantSeconds float64 `json:"refreshGrantToForbiddenSeconds"`
	// ProxyRefreshSeconds: from the ldapmodify to the headers app no longer
	// seeing the group, with oauth2-proxy's cookie_refresh lowered to
	// TestCookieRefresh for the measurement.
	ProxyRefreshSeconds float64 `json:"oauth2ProxyRefreshToGroupGoneSeconds"`
	TestCookieRefresh   string  `json:"testCookieRefresh"`
	// OldTokenStillAccepted: the id token issued before the removal still
	// carries the group until it expires; the API server does not ask dex.
	OldTokenStillAccepted bool `json:"oldIdTokenStillAcceptedAfterRemoval"`
	// The worst cases without the test's shortcuts: kubectl keeps using its
	// id token until it expires, an app's session refreshes every
	// cookie_refresh.
	IDTokenLifetimeSeconds      float64 `json:"worstCaseKubectlSeconds"`
	RenderedCookieRefreshSecond float64 `json:"worstCaseAppSeconds"`
}

// Users the suite adds to the directory (ldapmodify) besides alice and bob.
var (
	// mallory's email claim and group are names the API server reserves.
	mallory = ldapUser{UID: "mallory", Password: "mallory-pw-4", Mail: "system:admin", Name: "Mallory", Groups: []string{"system:masters"}}
	// carol has no group: the groups header oauth2-proxy sends is empty.
	carol = ldapUser{UID: "carol", Password: "carol-pw-5", Mail: "carol@example.org", Name: "Carol"}
	// dave is a shop developer until the group-removal attempt.
	dave = ldapUser{UID: "dave", Password: "dave-pw-6", Mail: "dave@example.org", Name: "Dave", Groups: []string{"e2e:developer:shop"}}
)

type appTarget struct {
	Name string
	// URL is the app's page through nginx, Host its host:port.
	URL, Host string
	// Cookie is the session cookie name in the rendered oauth2_proxy.cfg.
	Cookie string
	// Auth is oauth2-proxy's /oauth2/auth on its own address, as nginx's
	// auth_request calls it.
	Auth string
	// Page is a string only the app's own page contains.
	Page string
}

type attacker struct {
	s   *Stack
	log *cookieLog
	api *http.Client
	// issuer and audience are the API server's, from the rendered
	// authentication-config.yaml.
	issuer, audience string
	// alice is a real id token for alice from the kubectl client.
	alice        string
	aliceParts   jwtParts
	dexKey       *rsa.PrivateKey
	dexKID       string
	foreignKey   *rsa.PrivateKey
	controlOK    bool
	token, heads appTarget
}

func newAttacker(t *testing.T, s *Stack) *attacker {
	t.Helper()
	a := &attacker{s: s, log: &cookieLog{}}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.Env.CA.CertPEM)
	a.api = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}

	var authn struct {
		JWT []struct {
			Issuer struct {
				URL       string   `json:"url"`
				Audiences []string `json:"audiences"`
			} `json:"issuer"`
		} `json:"jwt"`
	}
	if err := yaml.Unmarshal(s.RenderedFile(t, "apiserver/authentication-config.yaml"), &authn); err != nil {
		t.Fatalf("rendered authentication-config.yaml: %v", err)
	}
	if len(authn.JWT) != 1 || len(authn.JWT[0].Issuer.Audiences) == 0 {
		t.Fatalf("rendered authentication-config.yaml has %d jwt issuers, the suite expects one with an audience", len(authn.JWT))
	}
	a.issuer, a.audience = authn.JWT[0].Issuer.URL, authn.JWT[0].Issuer.Audiences[0]
	if a.issuer != s.Issuer || a.audience != KubectlClient {
		t.Fatalf("rendered issuer %q audience %q; dex is %q and kubelogin's client %q", a.issuer, a.audience, s.Issuer, KubectlClient)
	}

	a.alice = s.PasswordToken(t, alice)
	a.aliceParts = decodeJWT(t, a.alice)
	a.dexKey, a.dexKID = s.dexSigningKey(t)
	if kid := a.aliceParts.Header["kid"]; kid != a.dexKID {
		t.Fatalf("alice's token was signed with key %v, dex's storage has %s", kid, a.dexKID)
	}
	var err error
	if a.foreignKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	a.token = a.app(t, "dashboard", s.TokenURL, "Token app")
	a.heads = a.app(t, "prometheus", s.HeadersURL, "Headers app")

	ldif := personLDIF(mallory) + personLDIF(carol) + personLDIF(dave) +
		fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: system:masters\nmember: %s\n\n", groupDN("system:masters"), userDN(mallory)) +
		fmt.Sprintf("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n\n", groupDN("e2e:developer:shop"), userDN(dave))
	s.LDAPModify(t, ldif)
	return a
}

var cookieNameLine = regexp.MustCompile(`(?m)^cookie_name = "([^"]+)"`)

func (a *attacker) app(t *testing.T, name, pageURL, page string) appTarget {
	t.Helper()
	cfg := a.s.configMap(t, "apps", "oauth2-proxy-"+name).Data["oauth2_proxy.cfg"]
	m := cookieNameLine.FindStringSubmatch(cfg)
	if m == nil {
		t.Fatalf("no cookie_name in the rendered oauth2_proxy.cfg of %s:\n%s", name, cfg)
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	return appTarget{Name: name, URL: pageURL, Host: u.Host, Cookie: m[1], Auth: "http://" + a.s.proxyAddr[name] + "/oauth2/auth", Page: page}
}

// apiAs sends one request to the API server with token as the bearer.
func (a *attacker) apiAs(t testing.TB, token, method, path, body string, hdr http.Header) *response {
	t.Helper()
	req, err := http.NewRequest(method, a.s.Env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return doRecorded(t, a.api, nil, req)
}

const selfSubjectReview = `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`

// whoami asks the API server who token is; it returns the answer and, on
// success, the user.
func (a *attacker) whoami(t testing.TB, token string) (*response, string, []string) {
	t.Helper()
	resp := a.apiAs(t, token, http.MethodPost, "/apis/authentication.k8s.io/v1/selfsubjectreviews", selfSubjectReview, nil)
	if resp.Status != http.StatusCreated {
		return resp, "", nil
	}
	var r struct {
		Status struct {
			UserInfo struct {
				Username string   `json:"username"`
				Groups   []string `json:"groups"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
		t.Fatalf("SelfSubjectReview: %v\n%s", err, resp.Body)
	}
	return resp, r.Status.UserInfo.Username, r.Status.UserInfo.Groups
}

// refused asserts that the API server answers 401 to token and leaks no
// identity.
func (a *attacker) refused(t *testing.T, what, token string) {
	t.Helper()
	resp, user, _ := a.whoami(t, token)
	if resp.Status != http.StatusUnauthorized {
		t.Errorf("%s: the API server answered %d (user %q), want 401\n%s", what, resp.Status, user, snippet(resp.Body))
		return
	}
	for _, leak := range []string{"oidc:", alice.Mail, "userInfo"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("%s: the 401 body names %q:\n%s", what, leak, resp.Body)
		}
	}
	t.Logf("refused: %s (401)", what)
}

// forge is alice's real token with fresh times, change applied, signed
// with dex's key.
func (a *attacker) forge(t *testing.T, change func(h, c map[string]any)) string {
	t.Helper()
	return a.forgeWith(t, a.dexKey, change)
}

// forgeWith signs with key instead (see signJWT).
func (a *attacker) forgeWith(t *testing.T, key any, change func(h, c map[string]any)) string {
	t.Helper()
	h, c := clone(a.aliceParts.Header), clone(a.aliceParts.Claims)
	now := time.Now()
	c["iat"], c["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
	if change != nil {
		change(h, c)
	}
	return signJWT(t, h, c, key)
}

func (a *attacker) needControl(t *testing.T) {
	t.Helper()
	if !a.controlOK {
		t.Fatal("the control (a dex-signed copy of alice's token is accepted) failed, so a refusal here would prove nothing")
	}
}

func (a *attacker) control(t *testing.T) {
	resp, user, _ := a.whoami(t, a.forge(t, nil))
	if resp.Status != http.StatusCreated || user != "oidc:"+alice.Mail {
		t.Fatalf("a dex-signed copy of alice's token: %d user %q, want 201 oidc:%s\n%s", resp.Status, user, alice.Mail, snippet(resp.Body))
	}
	a.controlOK = true
}

// Attempt 1 (docs/security.md): A real token whose signature or payload was
// changed.
func (a *attacker) tamperedSignature(t *testing.T) {
	segs := strings.Split(a.alice, ".")
	sig := append([]byte(nil), a.aliceParts.Sig...)
	sig[0] ^= 0xff
	sig[len(sig)/2] ^= 0x01
	a.refused(t, "alice's token with flipped signature bytes", segs[0]+"."+segs[1]+"."+b64(sig))
	a.refused(t, "alice's token with the signature cut short", segs[0]+"."+segs[1]+"."+b64(a.aliceParts.Sig[:len(a.aliceParts.Sig)-8]))
	c := clone(a.aliceParts.Claims)
	c["email"] = bob.Mail
	a.refused(t, "alice's signature over a payload changed to bob", segs[0]+"."+jsonSeg(t, c)+"."+segs[2])
	// The unchanged token is still good: the refusals are the tampering's.
	if resp, user, _ := a.whoami(t, a.alice); resp.Status != http.StatusCreated || user != "oidc:"+alice.Mail {
		t.Errorf("alice's untouched token: %d %q, want 201", resp.Status, user)
	}
}

// Attempt 2 (docs/security.md): Tokens from an issuer the API server does
// not trust, or signed by a key that is not dex's.
func (a *attacker) otherIssuer(t *testing.T) {
	a.needControl(t)
	a.refused(t, "own key, issuer https://evil.example", a.forgeWith(t, a.foreignKey, func(h, c map[string]any) {
		h["kid"], c["iss"] = "evil", "https://evil.example"
	}))
	a.refused(t, "own key, dex's issuer and dex's kid", a.forgeWith(t, a.foreignKey, nil))
	a.refused(t, "own key, dex's issuer, a kid not in dex's JWKS", a.forgeWith(t, a.foreignKey, func(h, c map[string]any) {
		h["kid"] = "not-in-dex-jwks"
	}))
	// dex's own signature, but not dex's issuer: the API server must pick
	// the issuer's keys by the configured URL, not trust any valid signature.
	a.refused(t, "dex's key, issuer https://evil.example", a.forge(t, func(h, c map[string]any) { c["iss"] = "https://evil.example" }))
	a.refused(t, "dex's key, dex's issuer over http", a.forge(t, func(h, c map[string]any) {
		c["iss"] = "http://" + strings.TrimPrefix(a.issuer, "https://")
	}))
	a.refused(t, "dex's key, dex's issuer with a trailing slash", a.forge(t, func(h, c map[string]any) { c["iss"] = a.issuer + "/" }))
}

// Attempt 3 (docs/security.md): A token for a client that is not the API
// server's audience.
func (a *attacker) otherAudience(t *testing.T) {
	a.needControl(t)
	secret := string(a.s.secretData(t, "apps", "oauth2-proxy-prometheus")["client-secret"])
	other := a.s.PasswordGrant(t, alice, "oauth2-proxy-prometheus", secret, "openid email profile groups").IDToken
	if aud := decodeJWT(t, other).Claims["aud"]; fmt.Sprint(aud) != "oauth2-proxy-prometheus" {
		t.Fatalf("the headers app's client got a token for %v; it is not a trusted peer of %s", aud, a.audience)
	}
	a.refused(t, "alice's real id token from the headers app's client (aud oauth2-proxy-prometheus)", other)
	a.refused(t, "dex's key, aud evil", a.forge(t, func(h, c map[string]any) { c["aud"] = "evil" }))
	a.refused(t, "dex's key, aud [evil, oauth2-proxy-prometheus]", a.forge(t, func(h, c map[string]any) {
		c["aud"] = []string{"evil", "oauth2-proxy-prometheus"}
	}))
	a.refused(t, "dex's key, no aud", a.forge(t, func(h, c map[string]any) { delete(c, "aud") }))

	// oauth2-proxy's sessions are its cookies: a bearer token, even one the
	// API server accepts, opens nothing (skip_jwt_bearer_tokens is off).
	for what, tok := range map[string]string{"another audience's token": other, "the API server's own audience's token": a.alice} {
		hdr := http.Header{"Authorization": {"Bearer " + tok}}
		if resp := a.s.raw(t, nil, newRequest(t, http.MethodGet, a.token.Auth, hdr)); resp.Status != http.StatusUnauthorized {
			t.Errorf("token app's oauth2-proxy /oauth2/auth with %s as bearer: %d, want 401", what, resp.Status)
		}
		a.signInOnly(t, a.token, a.s.raw(t, nil, newRequest(t, http.MethodGet, a.token.URL, hdr)), what+" as bearer")
	}
}

// signInOnly asserts that resp is nginx's redirect to app's sign-in, and
// not the app.
func (a *attacker) signInOnly(t *testing.T, app appTarget, resp *response, what string) {
	t.Helper()
	want := "https://" + app.Host + "/oauth2/start?rd="
	if resp.Status != http.StatusFound || !strings.HasPrefix(resp.Location, want) {
		t.Errorf("%s to %s: %d Location %q, want 302 to %s…", what, app.Name, resp.Status, resp.Location, want)
	}
	if strings.Contains(resp.Body, app.Page) {
		t.Errorf("%s to %s: the app's page was served:\n%s", what, app.Name, snippet(resp.Body))
	}
}

// Attempt 4 (docs/security.md): Valid in every way but time.
func (a *attacker) expired(t *testing.T) {
	a.needControl(t)
	a.refused(t, "dex's key, expired an hour ago", a.forge(t, func(h, c map[string]any) {
		c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	}))
	a.refused(t, "dex's key, no exp", a.forge(t, func(h, c map[string]any) { delete(c, "exp") }))
	a.refused(t, "dex's key, not before an hour from now", a.forge(t, func(h, c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() }))
}

// Attempt 5 (docs/security.md): Tokens that are not RS256-signed by dex.
func (a *attacker) algNone(t *testing.T) {
	a.needControl(t)
	a.refused(t, "alg none, no signature", a.forgeWith(t, nil, func(h, c map[string]any) { h["alg"] = "none" }))
	a.refused(t, "alg none, alice's real signature kept", func() string {
		h := clone(a.aliceParts.Header)
		h["alg"] = "none"
		return jsonSeg(t, h) + "." + strings.Split(a.alice, ".")[1] + "." + b64(a.aliceParts.Sig)
	}())
	// Key confusion: HMAC keyed with the public key the verifier holds.
	pub, err := x509.MarshalPKIXPublicKey(&a.dexKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	a.refused(t, "HS256 keyed with dex's public key", a.forgeWith(t, pub, func(h, c map[string]any) { h["alg"] = "HS256" }))
}

// Attempt 6 (docs/security.md): email_verified false. With the username
// claim "email", the API server refuses a token whose email_verified is
// present and not true (k8s.io/apiserver
// plugin/pkg/authenticator/token/oidc/oidc.go).
func (a *attacker) emailNotVerified(t *testing.T) {
	a.needControl(t)
	a.refused(t, "dex's key, email_verified false", a.forge(t, func(h, c map[string]any) { c["email_verified"] = false }))
}

// Attempt 7 (docs/security.md): An IdP user whose claims are names the API
// server reserves.
func (a *attacker) systemNames(t *testing.T) {
	tok := a.s.PasswordToken(t, mallory)
	claims := decodeJWT(t, tok).Claims
	if claims["email"] != "system:admin" || !strings.Contains(fmt.Sprint(claims["groups"]), "system:masters") {
		t.Fatalf("dex did not pass the crafted claims through (email %v, groups %v); the attempt would prove nothing", claims["email"], claims["groups"])
	}
	resp, user, groups := a.whoami(t, tok)
	if resp.Status != http.StatusCreated {
		t.Fatalf("mallory's token: %d\n%s", resp.Status, resp.Body)
	}
	if user != "oidc:system:admin" {
		t.Errorf("the API server sees mallory as %q, want oidc:system:admin", user)
	}
	for _, g := range groups {
		if g == "system:masters" {
			t.Errorf("mallory is in system:masters: groups %v", groups)
		}
	}
	if !contains(groups, "oidc:system:masters") {
		t.Errorf("mallory's groups %v lack the prefixed oidc:system:masters", groups)
	}
	crb := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"mallory"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"oidc:system:admin"}]}`
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/namespaces/kube-system/secrets", ""},
		{http.MethodGet, "/api/v1/namespaces/dex/secrets/" + render.DexConfigSecret, ""},
		{http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", crb},
		{http.MethodDelete, "/api/v1/namespaces/shop", ""},
	} {
		a.forbidden(t, "mallory", tok, r.method, r.path, r.body)
	}
}

// forbidden asserts a 403 that carries no object.
func (a *attacker) forbidden(t *testing.T, who, token, method, path, body string) {
	t.Helper()
	a.forbiddenHdr(t, who, token, method, path, body, nil)
}

func (a *attacker) forbiddenHdr(t *testing.T, who, token, method, path, body string, hdr http.Header) {
	t.Helper()
	resp := a.apiAs(t, token, method, path, body, hdr)
	if resp.Status != http.StatusForbidden {
		t.Errorf("%s %s %s: %d, want 403\n%s", who, method, path, resp.Status, snippet(resp.Body))
		return
	}
	for _, leak := range []string{`"items"`, `"data"`, "signingKey", "refreshToken"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("%s %s %s: the 403 body holds %s:\n%s", who, method, path, leak, snippet(resp.Body))
		}
	}
	t.Logf("refused: %s %s %s (403)", who, method, path)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Attempt 8 (docs/security.md): X-Auth-Request-* headers from the client, in
// every spelling.
func (a *attacker) identityHeaders(t *testing.T) {
	forged := http.Header{
		"X-Auth-Request-User":               {"admin"},
		"X-Auth-Request-Email":              {"admin@evil.example"},
		"X-Auth-Request-Groups":             {"system:masters,readonly-admins"},
		"X-Auth-Request-Preferred-Username": {"admin"},
		"x-auth-request-groups":             {"readonly-admins"},
		"X_Auth_Request_User":               {"admin"},
		"X_Auth_Request_Groups":             {"system:masters"},
	}
	for _, u := range []ldapUser{alice, carol} {
		w := a.s.newWeb(t, a.log)
		w.login(t, a.heads.URL, u)
		base := w.get(t, a.heads.URL, nil)
		if base.Status != http.StatusOK {
			t.Fatalf("%s's own request to the headers app: %d", u.UID, base.Status)
		}
		want := pageFields(base.Body)
		if want["email"] != u.Mail {
			t.Fatalf("the headers app sees %s's email as %q", u.UID, want["email"])
		}
		if u.UID == carol.UID && want["groups"] != "" {
			t.Fatalf("carol has no group, yet the headers app sees %q", want["groups"])
		}
		got := w.get(t, a.heads.URL, forged)
		if got.Status != http.StatusOK {
			t.Fatalf("%s's request with forged headers: %d", u.UID, got.Status)
		}
		fields := pageFields(got.Body)
		for _, f := range []string{"user", "email", "groups", "identity-headers"} {
			if fields[f] != want[f] {
				t.Errorf("signed in as %s with forged headers, the app's %s is %q, want %q (what oauth2-proxy said)", u.UID, f, fields[f], want[f])
			}
		}
		for _, bad := range []string{"admin@evil.example", "system:masters", "admin"} {
			if strings.Contains(fields["identity-headers"], ": "+bad) || strings.Contains(fields["identity-headers"], ","+bad) {
				t.Errorf("signed in as %s, a forged value %q reached the app:\n%s", u.UID, bad, fields["identity-headers"])
			}
		}
		t.Logf("%s: the app saw only oauth2-proxy's headers:\n%s", u.UID, fields["identity-headers"])
	}
	a.signInOnly(t, a.heads, a.s.raw(t, nil, newRequest(t, http.MethodGet, a.heads.URL, forged)), "forged identity headers without a session")
}

// Attempt 9 (docs/security.md): A client-sent bearer token next to a real
// session.
func (a *attacker) clientAuthorization(t *testing.T) {
	bobToken := a.s.PasswordToken(t, bob)
	hdr := http.Header{"Authorization": {"Bearer " + bobToken}}

	w := a.s.newWeb(t, a.log)
	w.login(t, a.token.URL, alice)
	resp := w.get(t, a.token.URL, hdr)
	if got := pageFields(resp.Body)["user"]; resp.Status != http.StatusOK || got != "oidc:"+alice.Mail {
		t.Errorf("alice's session with bob's bearer token: the token app sees %q (%d), want oidc:%s", got, resp.Status, alice.Mail)
	}

	w.login(t, a.heads.URL, alice)
	base := pageFields(w.get(t, a.heads.URL, nil).Body)
	resp = w.get(t, a.heads.URL, hdr)
	got := pageFields(resp.Body)
	if resp.Status != http.StatusOK || got["email"] != alice.Mail || got["user"] != base["user"] || got["groups"] != base["groups"] {
		t.Errorf("alice's session with bob's bearer token: the headers app sees user %q email %q groups %q (%d), want alice's", got["user"], got["email"], got["groups"], resp.Status)
	}
	// The headers app's Ingress lists Authorization among the auth
	// response headers, so the edge replaces the client's with oauth2-proxy's
	// (none): an app that also reads Authorization never sees bob.
	if got["authorization"] == "true" {
		t.Errorf("the client's Authorization header reached the headers-mode app")
	}
}

// Attempt 10 (docs/security.md): Open redirect through oauth2-proxy's return
// address.
func (a *attacker) openRedirect(t *testing.T) {
	evil := []string{
		"https://evil.example/",
		"//evil.example",
		`/\evil.example`,
		`\\evil.example`,
		"/\t/evil.example",
		"https://localhost.evil.example/",
		"https://" + a.token.Host + ".evil.example/",
		"https://" + a.token.Host + "@evil.example/",
		`https://evil.example\@` + a.token.Host + "/",
		"https:evil.example",
		"javascript:alert(document.cookie)",
		"/%2F%2Fevil.example",
	}
	start := "https://" + a.token.Host + "/oauth2/start"
	try := func(t *testing.T, what, target string, hdr http.Header) {
		t.Helper()
		w := a.s.newWeb(t, a.log)
		resp := w.get(t, w.untilCallback(t, target, alice, hdr), nil)
		if resp.Status != http.StatusFound {
			t.Errorf("%s: the callback answered %d, want 302", what, resp.Status)
			return
		}
		dest, err := browserTarget(resp.URL, resp.Location)
		if err != nil || dest.Scheme != "https" || dest.Host != a.token.Host {
			t.Errorf("%s: after login the browser goes to %q (Location %q), off %s", what, dest, resp.Location, a.token.Host)
			return
		}
		t.Logf("%s: stays on %s (Location %q)", what, a.token.Host, resp.Location)
	}
	for _, rd := range evil {
		try(t, fmt.Sprintf("rd=%q", rd), start+"?rd="+url.QueryEscape(rd), nil)
	}
	try(t, "X-Auth-Request-Redirect and X-Forwarded-Uri from the client", start, http.Header{
		"X-Auth-Request-Redirect": {"https://evil.example/"},
		"X-Forwarded-Uri":         {"//evil.example/"},
		"X-Forwarded-Host":        {"evil.example"},
	})
	// The control: a return address on the app itself is kept.
	w := a.s.newWeb(t, a.log)
	resp := w.get(t, w.untilCallback(t, start+"?rd="+url.QueryEscape("https://"+a.token.Host+"/deep/page?x=1"), alice, nil), nil)
	if resp.Location != "https://"+a.token.Host+"/deep/page?x=1" {
		t.Errorf("a valid rd on the app was not kept: Location %q", resp.Location)
	}
}

// Attempt 11 (docs/security.md): dex compares redirect_uri with the client's
// registered list. dex first redirects to its only connector's page, which
// then refuses the request (dex server/handlers.go
// parseAuthorizationRequest).
func (a *attacker) dexRedirectURI(t *testing.T) {
	dex, err := url.Parse(a.issuer)
	if err != nil {
		t.Fatal(err)
	}
	for _, ru := range []string{
		"https://evil.example/oauth2/callback",
		"https://" + a.token.Host + "/oauth2/callback/../../evil",
		"https://" + a.token.Host + "/oauth2/callback?next=https://evil.example",
		"https://" + a.heads.Host + "/oauth2/callback",
	} {
		q := url.Values{"client_id": {"oauth2-proxy-dashboard"}, "redirect_uri": {ru}, "response_type": {"code"}, "scope": {"openid email"}, "state": {"attack-state-0123456789"}}
		target := a.issuer + "/auth?" + q.Encode()
		var resp *response
		for hop := 0; hop < 5; hop++ {
			resp = a.s.raw(t, a.log, newRequest(t, http.MethodGet, target, nil))
			if resp.Location == "" {
				break
			}
			next, err := resp.URL.Parse(resp.Location)
			if err != nil || next.Host != dex.Host {
				t.Errorf("dex /auth with redirect_uri %s redirects off dex to %q", ru, resp.Location)
				break
			}
			target = next.String()
		}
		if resp.Status != http.StatusBadRequest || !strings.Contains(resp.Body, "redirect_uri") {
			t.Errorf("dex /auth with redirect_uri %s ended at %s with %d, want 400 naming the redirect_uri\n%s", ru, resp.URL, resp.Status, snippet(resp.Body))
			continue
		}
		t.Logf("refused: redirect_uri %s (400 at %s)", ru, resp.URL.Path)
	}
}

// Attempt 12 (docs/security.md): Login CSRF: the victim's browser is made to
// finish the attacker's login.
func (a *attacker) foreignState(t *testing.T) {
	attacker := a.s.newWeb(t, a.log)
	cb := attacker.untilCallback(t, "https://"+a.token.Host+"/oauth2/start?rd=/", alice, nil)

	// A browser that never started a login.
	victim := a.s.newWeb(t, a.log)
	resp := victim.get(t, cb, nil)
	a.noSession(t, "a browser without a CSRF cookie", victim, resp, http.StatusForbidden)

	// A browser in the middle of its own login: its CSRF cookie and PKCE
	// verifier belong to another state.
	victim2 := a.s.newWeb(t, a.log)
	if r := victim2.get(t, "https://"+a.token.Host+"/oauth2/start?rd=/", nil); r.Status != http.StatusFound {
		t.Fatalf("the victim's own /oauth2/start: %d", r.Status)
	}
	resp = victim2.get(t, cb, nil)
	a.noSession(t, "a browser with its own CSRF cookie", victim2, resp, 0)

	// The control: the code and state were good for the browser that
	// started the login (the refusals above redeemed nothing: oauth2-proxy
	// checks the CSRF cookie first, dex refuses a wrong PKCE verifier
	// without spending the code).
	if resp := attacker.get(t, cb, nil); resp.Status != http.StatusFound || len(attacker.sessionCookies(a.token)) == 0 {
		t.Errorf("the attacker's own callback: %d, want 302 with a session (the control)", resp.Status)
	}

	// A state rewritten on the way, in the browser that started the login:
	// the code is redeemed, then the nonce does not match the CSRF cookie.
	w := a.s.newWeb(t, a.log)
	u, err := url.Parse(w.untilCallback(t, "https://"+a.token.Host+"/oauth2/start?rd=/", alice, nil))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:/")
	u.RawQuery = q.Encode()
	a.noSession(t, "a rewritten state in the browser that started the login", w, w.get(t, u.String(), nil), http.StatusForbidden)
}

// noSession asserts a refused callback: want if it is not 0, else any
// 4xx/5xx; and no session cookie.
func (a *attacker) noSession(t *testing.T, what string, w *web, resp *response, want int) {
	t.Helper()
	if want != 0 && resp.Status != want {
		t.Errorf("%s at the callback: %d, want %d\n%s", what, resp.Status, want, snippet(resp.Body))
	} else if resp.Status < 400 {
		t.Errorf("%s at the callback: %d, want a refusal (4xx/5xx)", what, resp.Status)
	}
	for _, h := range resp.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(h, "=")
		if isSessionCookie(name, a.token.Cookie) {
			t.Errorf("%s at the callback got a session cookie: %s", what, name)
		}
	}
	if len(w.sessionCookies(a.token)) != 0 {
		t.Errorf("%s at the callback has a session", what)
	}
	t.Logf("refused: %s (%d)", what, resp.Status)
}

// Attempt 13 (docs/security.md): Session cookies that oauth2-proxy did not
// issue for this app.
func (a *attacker) forgedCookies(t *testing.T) {
	if a.token.Cookie == a.heads.Cookie {
		t.Errorf("both apps' oauth2-proxies use the cookie name %s", a.token.Cookie)
	}
	tokSecret := a.s.secretData(t, "apps", "oauth2-proxy-dashboard")["cookie-secret"]
	headSecret := a.s.secretData(t, "apps", "oauth2-proxy-prometheus")["cookie-secret"]
	if bytes.Equal(tokSecret, headSecret) {
		t.Errorf("both apps' oauth2-proxies share one cookie secret")
	}

	w := a.s.newWeb(t, a.log)
	w.login(t, a.heads.URL, alice)
	w.login(t, a.token.URL, alice)
	headsSession, tokenSession := w.sessionCookies(a.heads), w.sessionCookies(a.token)
	if len(headsSession) == 0 || len(tokenSession) == 0 {
		t.Fatalf("after logging in to both apps the jar holds %d %s and %d %s cookies", len(headsSession), a.heads.Cookie, len(tokenSession), a.token.Cookie)
	}
	auth := func(app appTarget, cookie string) int {
		return a.s.raw(t, nil, newRequest(t, http.MethodGet, app.Auth, http.Header{"Cookie": {cookie}})).Status
	}
	if got := auth(a.heads, cookieHeader(headsSession, "")); got != http.StatusAccepted {
		t.Fatalf("the headers app's own session at its oauth2-proxy: %d, want 202 (the control)", got)
	}
	if got := auth(a.token, cookieHeader(tokenSession, "")); got != http.StatusAccepted {
		t.Fatalf("the token app's own session at its oauth2-proxy: %d, want 202 (the control)", got)
	}
	tampered := append([]*http.Cookie(nil), tokenSession...)
	first := *tampered[0]
	v := []byte(first.Value)
	v[len(v)/3] ^= 0x01
	first.Value = string(v)
	tampered[0] = &first
	for what, cookie := range map[string]string{
		"garbage": a.token.Cookie + "=garbage",
		"a well-formed value|timestamp|signature":              a.token.Cookie + "=" + b64([]byte("attacker")) + "|" + fmt.Sprint(time.Now().Unix()) + "|" + b64(make([]byte, 32)),
		"the token app's own cookie, one byte changed":         cookieHeader(tampered, ""),
		"the headers app's session under its own name":         cookieHeader(headsSession, ""),
		"the headers app's session renamed to the token app's": cookieHeader(headsSession, a.token.Cookie),
	} {
		if got := auth(a.token, cookie); got != http.StatusUnauthorized {
			t.Errorf("%s at the token app's oauth2-proxy: %d, want 401", what, got)
		}
		a.signInOnly(t, a.token, a.s.raw(t, nil, newRequest(t, http.MethodGet, a.token.URL, http.Header{"Cookie": {cookie}})), what)
	}
	if got := auth(a.heads, cookieHeader(tokenSession, a.heads.Cookie)); got != http.StatusUnauthorized {
		t.Errorf("the token app's session renamed to the headers app's: %d, want 401", got)
	}

	// Not a refusal, a property to document: the session lives in the
	// cookie, so a copy taken before sign-out keeps working until it expires.
	w.get(t, "https://"+a.heads.Host+"/oauth2/sign_out", nil)
	t.Logf("note: a session cookie copied before /oauth2/sign_out is still accepted afterwards: %d (cookie session store, no server-side revocation)", auth(a.heads, cookieHeader(headsSession, "")))
}

// Attempt 14 (docs/security.md): Requests without a session, to each app
// through nginx.
func (a *attacker) unauthenticated(t *testing.T) {
	for _, app := range []appTarget{a.token, a.heads} {
		base := "https://" + app.Host
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/"},
			{http.MethodGet, "/deep/path?q=1"},
			{http.MethodGet, "/oauth2/../"},
			{http.MethodGet, "//" + app.Host + "/"},
			{http.MethodHead, "/"},
			{http.MethodPost, "/"},
			{http.MethodDelete, "/api"},
		} {
			a.signInOnly(t, app, a.s.raw(t, nil, newRequest(t, r.method, base+r.path, nil)), r.method+" "+r.path)
		}
		// A path that climbs above the root is nginx's 400, before any
		// location: still not the app.
		for _, p := range []string{"/%2e%2e/", "/..%2f..%2fapp"} {
			resp := a.s.raw(t, nil, newRequest(t, http.MethodGet, base+p, nil))
			if resp.Status == http.StatusBadRequest && !strings.Contains(resp.Body, app.Page) {
				t.Logf("refused: GET %s (400 from nginx)", p)
				continue
			}
			a.signInOnly(t, app, resp, "GET "+p)
		}
		for _, p := range []string{"/oauth2/auth", "/oauth2/userinfo"} {
			if resp := a.s.raw(t, nil, newRequest(t, http.MethodGet, base+p, nil)); resp.Status != http.StatusUnauthorized {
				t.Errorf("GET %s%s without a session: %d, want 401", app.Host, p, resp.Status)
			}
		}
	}
}

// Attempt 15 (docs/security.md): The read-only group reads, but not Secrets,
// not exec, not dex's keys.
func (a *attacker) readOnly(t *testing.T) {
	tok := a.s.PasswordToken(t, bob)
	// The control: bob's token works and reads what read-only may read.
	if resp := a.apiAs(t, tok, http.MethodGet, "/api/v1/namespaces/apps/configmaps", "", nil); resp.Status != http.StatusOK {
		t.Fatalf("bob (read-only) listing ConfigMaps: %d, want 200 (the control)\n%s", resp.Status, snippet(resp.Body))
	}
	// A pod to exec into; it never runs (no kubelet), but authorization
	// comes before the API server looks for a node.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "victim", Namespace: "apps"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
	}}
	if err := poll(30*time.Second, 500*time.Millisecond, func() error {
		_, err := a.s.Client.CoreV1().Pods("apps").Create(context.Background(), pod, metav1.CreateOptions{})
		return err
	}); err != nil {
		t.Fatalf("create the pod to exec into: %v", err)
	}
	exec := "/api/v1/namespaces/apps/pods/victim/exec?command=id&stdout=true&stderr=true"
	websocket := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-Websocket-Protocol": {"v5.channel.k8s.io"}}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/secrets"},
		// A watch that is let through streams: end it after a second.
		{http.MethodGet, "/api/v1/secrets?watch=true&timeoutSeconds=1"},
		{http.MethodGet, "/api/v1/namespaces/dex/secrets"},
		{http.MethodGet, "/api/v1/namespaces/dex/secrets/" + render.DexConfigSecret},
		{http.MethodGet, "/api/v1/namespaces/apps/secrets/oauth2-proxy-dashboard"},
		{http.MethodPost, exec},
		{http.MethodGet, "/api/v1/namespaces/apps/pods/victim/attach?stdout=true"},
		// dex's storage: its signing key mints anyone's token, its refresh
		// tokens are sessions.
		{http.MethodGet, "/apis/dex.coreos.com/v1/signingkeies"},
		{http.MethodGet, "/apis/dex.coreos.com/v1/namespaces/dex/refreshtokens"},
	} {
		a.forbidden(t, "bob (read-only)", tok, r.method, r.path, "")
	}
	a.forbiddenHdr(t, "bob (read-only) over websocket", tok, http.MethodGet, exec, "", websocket)
}

// Attempt 16 (docs/security.md): An LDAP administrator removes dave from his
// team's group.
func (a *attacker) groupRemoval(t *testing.T) *groupRemoval {
	const group = "e2e:developer:shop"
	const testRefresh = "2s"
	m := &groupRemoval{TestCookieRefresh: testRefresh}
	if l, err := time.ParseDuration(a.s.Spec(t).Spec.Issuer.Dex.IDTokenLifetime); err == nil {
		m.IDTokenLifetimeSeconds = l.Seconds()
	}
	cfg := a.s.configMap(t, "apps", "oauth2-proxy-prometheus").Data["oauth2_proxy.cfg"]
	if mm := regexp.MustCompile(`(?m)^cookie_refresh = "([^"]+)"`).FindStringSubmatch(cfg); mm != nil {
		if d, err := time.ParseDuration(mm[1]); err == nil {
			m.RenderedCookieRefreshSecond = d.Seconds()
		}
	}
	cm := func(tok, name string) int {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q}}`, name)
		return a.apiAs(t, tok, http.MethodPost, "/api/v1/namespaces/shop/configmaps", body, nil).Status
	}

	// Before: dave's kubectl token and his app session carry the group.
	before := a.s.PasswordGrant(t, dave, KubectlClient, "", "openid email profile groups offline_access")
	if before.RefreshToken == "" {
		t.Fatal("dex gave the kubectl client no refresh token for offline_access")
	}
	if _, _, groups := a.whoami(t, before.IDToken); !contains(groups, "oidc:"+group) {
		t.Fatalf("dave's groups before the removal: %v, want oidc:%s", groups, group)
	}
	if got := cm(before.IDToken, "dave-before"); got != http.StatusCreated {
		t.Fatalf("dave creating a ConfigMap in shop before the removal: %d, want 201", got)
	}
	// The app session: oauth2-proxy refreshes every cookie_refresh, lowered
	// so that the measurement does not wait the rendered value.
	a.s.RestartProxy(t, "prometheus", nil, "--cookie-refresh="+testRefresh)
	defer a.s.RestartProxy(t, "prometheus", nil)
	w := a.s.newWeb(t, a.log)
	w.login(t, a.heads.URL, dave)
	if got := pageFields(w.get(t, a.heads.URL, nil).Body)["groups"]; !strings.Contains(got, group) {
		t.Fatalf("the headers app sees dave's groups as %q before the removal", got)
	}

	a.s.LDAPModify(t, fmt.Sprintf("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n\n", groupDN(group), userDN(dave)))
	removed := time.Now()

	// kubectl: kubelogin's refresh grant.
	after := a.s.RefreshGrant(t, KubectlClient, "", before.RefreshToken)
	if strings.Contains(fmt.Sprint(decodeJWT(t, after.IDToken).Claims["groups"]), group) {
		t.Errorf("the refreshed id token still has %s", group)
	}
	if _, _, groups := a.whoami(t, after.IDToken); contains(groups, "oidc:"+group) {
		t.Errorf("the API server still puts dave in oidc:%s after the refresh: %v", group, groups)
	}
	if got := cm(after.IDToken, "dave-after"); got != http.StatusForbidden {
		t.Errorf("dave creating a ConfigMap in shop after the removal and a refresh: %d, want 403", got)
	}
	m.RefreshGrantSeconds = time.Since(removed).Seconds()
	m.OldTokenStillAccepted = cm(before.IDToken, "dave-old-token") == http.StatusCreated
	t.Logf("kubectl: the group was gone %.3fs after the removal, at the refresh; the id token from before still works: %t (until it expires, %.0fs at most)",
		m.RefreshGrantSeconds, m.OldTokenStillAccepted, m.IDTokenLifetimeSeconds)

	// The app: the next request after cookie_refresh refreshes the session.
	var last string
	err := poll(30*time.Second, 250*time.Millisecond, func() error {
		resp := w.get(t, a.heads.URL, nil)
		if resp.Status != http.StatusOK {
			return fmt.Errorf("the headers app answered %d", resp.Status)
		}
		f := pageFields(resp.Body)
		if f["email"] != dave.Mail {
			return fmt.Errorf("the headers app sees %q", f["email"])
		}
		if last = f["groups"]; strings.Contains(last, group) {
			return fmt.Errorf("groups still %q", last)
		}
		return nil
	})
	if err != nil {
		t.Errorf("the headers app kept dave's removed group: %v", err)
	} else {
		m.ProxyRefreshSeconds = time.Since(removed).Seconds()
		t.Logf("app: the group was gone %.3fs after the removal (cookie_refresh %s for the test; rendered %.0fs)", m.ProxyRefreshSeconds, testRefresh, m.RenderedCookieRefreshSecond)
	}
	return m
}

// Attempt 17 (docs/security.md): Every cookie oauth2-proxy or dex set during
// the suite, and during a login and sign-out to each app here.
func (a *attacker) cookieAttributes(t *testing.T) {
	for _, app := range []appTarget{a.token, a.heads} {
		w := a.s.newWeb(t, a.log)
		w.login(t, app.URL, alice)
		w.get(t, "https://"+app.Host+"/oauth2/sign_out", nil)
	}
	dexHost := strings.TrimPrefix(a.issuer, "https://")
	seen := a.log.all()
	fromDex := 0
	for _, c := range seen {
		u, _ := url.Parse(c.URL)
		if u.Host == dexHost {
			fromDex++
		}
		name, _, _ := strings.Cut(c.Header, "=")
		attrs := map[string]string{}
		for _, part := range strings.Split(c.Header, ";")[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			attrs[strings.ToLower(k)] = strings.ToLower(v)
		}
		_, secure := attrs["secure"]
		_, httpOnly := attrs["httponly"]
		sameSite := attrs["samesite"]
		if !secure || !httpOnly || (sameSite != "lax" && sameSite != "strict") {
			t.Errorf("Set-Cookie %s from %s: Secure=%t HttpOnly=%t SameSite=%q, want all three (Lax or Strict)", name, c.URL, secure, httpOnly, sameSite)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no Set-Cookie seen: the attempt checked nothing")
	}
	t.Logf("%d Set-Cookie headers checked (%d from dex)", len(seen), fromDex)
}
