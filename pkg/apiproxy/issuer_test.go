package apiproxy

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// testIssuer is an in-process OIDC issuer over TLS: discovery, JWKS, and
// real RS256 signatures. Rotate replaces its key (new kid) the way a
// provider rotates, to exercise the authenticator's refetch on unknown kid.
type testIssuer struct {
	srv       *httptest.Server
	mu        sync.Mutex
	key       *rsa.PrivateKey
	kid       string
	jwksFetch int
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	iss := &testIssuer{}
	iss.rotate(t, "k1")
	iss.srv = httptest.NewTLSServer(http.HandlerFunc(iss.serve))
	t.Cleanup(iss.srv.Close)
	return iss
}

func (i *testIssuer) rotate(t testing.TB, kid string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	i.mu.Lock()
	i.key, i.kid = key, kid
	i.mu.Unlock()
}

func (i *testIssuer) url() string { return i.srv.URL }

func (i *testIssuer) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.srv.Certificate().Raw}))
}

func (i *testIssuer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": i.url(), "jwks_uri": i.url() + "/keys",
			"authorization_endpoint": i.url() + "/auth", "token_endpoint": i.url() + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
		})
	case "/keys":
		i.mu.Lock()
		i.jwksFetch++
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: "RS256", Use: "sig"}}}
		i.mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	default:
		http.NotFound(w, r)
	}
}

// claims returns valid claims for email in groups, for audience aud.
func (i *testIssuer) claims(email, aud string, groups ...string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.url(), "sub": "sub-" + email, "aud": aud, "email": email, "email_verified": true,
		"groups": groups, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func (i *testIssuer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	key, kid := i.key, i.kid
	i.mu.Unlock()
	return signWith(t, key, kid, claims)
}

func signWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// authConfigYAML is an AuthenticationConfiguration trusting iss for the
// audience, usernames from email and groups from groups, without prefixes
// (so the proxy's own system: check is what refuses reserved names).
func authConfigYAML(iss *testIssuer, audience string) string {
	ca, _ := json.Marshal(iss.caPEM())
	return `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ` + iss.url() + `
    audiences: [` + audience + `]
    certificateAuthority: ` + string(ca) + `
  claimMappings:
    username: {claim: email, prefix: ""}
    groups: {claim: groups, prefix: ""}
`
}
