package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/authstack/authstack/pkg/config"
)

// fakeDex serves dex's endpoints and HTML pages closely enough for the
// login flow: discovery, keys, the connector list, the password form, the
// approval redirect, and the token endpoint with PKCE.
type fakeDex struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	users        map[string]string // login -> password
	redirectURIs []string
	connectors   []string
	claims       func(login string) map[string]any

	mu    sync.Mutex
	codes map[string]pending
}

type pending struct {
	login, challenge, redirect string
}

func newFakeDex(t *testing.T) *fakeDex {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDex{
		t: t, key: key,
		users:        map[string]string{"alice": "wonderland"},
		redirectURIs: []string{DefaultRedirectURI},
		connectors:   []string{"ldap"},
		codes:        map[string]pending{},
	}
	d.claims = func(login string) map[string]any {
		return map[string]any{
			"email": login + "@example.org", "email_verified": true,
			"groups": []any{"developers"}, "name": login,
		}
	}
	d.srv = newLocalTLSServer(t, http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *fakeDex) issuer() string { return d.srv.URL }

func (d *fakeDex) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/.well-known/openid-configuration":
		writeJSON(w, map[string]any{
			"issuer": d.issuer(), "authorization_endpoint": d.issuer() + "/auth", "token_endpoint": d.issuer() + "/token",
			"jwks_uri": d.issuer() + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case r.URL.Path == "/keys":
		writeJSON(w, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(d.key.N.Bytes()), "e": b64(big.NewInt(int64(d.key.E)).Bytes()),
		}}})
	case r.URL.Path == "/auth":
		q := r.URL.Query()
		if !contains(d.redirectURIs, q.Get("redirect_uri")) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<html><body><div class="theme-panel"><h2 class="theme-heading">Bad Request</h2><p>Unregistered redirect_uri.</p></div></body></html>`)
			return
		}
		req := url.QueryEscape(q.Encode())
		if len(d.connectors) == 1 {
			http.Redirect(w, r, "/auth/"+d.connectors[0]+"?req="+req, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><body><h2>Log in to dex</h2>`)
		for _, c := range d.connectors {
			fmt.Fprintf(w, `<div class="theme-form-row"><a href="/auth/%s?req=%s" target="_self"><button class="dex-btn">Log in with %s</button></a></div>`, c, req, c)
		}
		fmt.Fprint(w, `</body></html>`)
	case strings.HasPrefix(r.URL.Path, "/auth/") && r.Method == http.MethodGet:
		d.form(w, r.URL.Query().Get("req"), false)
	case strings.HasPrefix(r.URL.Path, "/auth/") && r.Method == http.MethodPost:
		_ = r.ParseForm()
		login, pw := r.PostForm.Get("login"), r.PostForm.Get("password")
		if want, ok := d.users[login]; !ok || want != pw {
			d.form(w, r.PostForm.Get("req"), true)
			return
		}
		orig, _ := url.ParseQuery(r.PostForm.Get("req"))
		code := fmt.Sprintf("code-%d", time.Now().UnixNano())
		d.mu.Lock()
		d.codes[code] = pending{login: login, challenge: orig.Get("code_challenge"), redirect: orig.Get("redirect_uri")}
		d.mu.Unlock()
		// dex sends the browser to /approval, which redirects on when the
		// approval screen is skipped.
		http.Redirect(w, r, "/approval?next="+url.QueryEscape(orig.Get("redirect_uri")+"?code="+code+"&state="+orig.Get("state")), http.StatusSeeOther)
	case r.URL.Path == "/approval":
		http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusSeeOther)
	case r.URL.Path == "/token":
		_ = r.ParseForm()
		d.mu.Lock()
		p, ok := d.codes[r.PostForm.Get("code")]
		delete(d.codes, r.PostForm.Get("code"))
		d.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || p.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		claims := d.claims(p.login)
		claims["iss"], claims["sub"], claims["aud"] = d.issuer(), "sub-"+p.login, "kubernetes"
		claims["iat"], claims["exp"] = time.Now().Unix(), time.Now().Add(time.Hour).Unix()
		writeJSON(w, map[string]any{"access_token": "x", "token_type": "bearer", "id_token": d.sign(claims)})
	default:
		http.NotFound(w, r)
	}
}

func (d *fakeDex) form(w http.ResponseWriter, req string, invalid bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<html><head><title>dex</title><style>.x{}</style></head><body>
<form method="post" action="">
  <input type="hidden" name="req" value="%s"/>
  <input tabindex="1" required id="login" name="login" type="text" placeholder="username"/>
  <input tabindex="2" required id="password" name="password" type="password" placeholder="password"/>`, strings.ReplaceAll(req, `"`, "&quot;"))
	if invalid {
		fmt.Fprint(w, `<div id="login-error" class="dex-error-box">Invalid Username and password.</div>`)
	}
	fmt.Fprint(w, `<button tabindex="3" id="submit-login" type="submit">Login</button></form></body></html>`)
}

func (d *fakeDex) sign(claims map[string]any) string {
	header := b64([]byte(`{"alg":"RS256","kid":"k1","typ":"JWT"}`))
	payload, _ := json.Marshal(claims)
	signing := header + "." + b64(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, d.key, crypto.SHA256, sum[:])
	if err != nil {
		d.t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

// fakeAPIServer answers SelfSubjectReviews and SelfSubjectAccessReviews for
// bearer tokens, with allow deciding each access review.
func fakeAPIServer(t *testing.T, user string, groups []string, allow func(authorizationv1.ResourceAttributes) bool) *httptest.Server {
	srv := newLocalTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/apis/authentication.k8s.io/v1/selfsubjectreviews":
			review := authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{Username: user, Groups: groups}}}
			review.APIVersion, review.Kind = "authentication.k8s.io/v1", "SelfSubjectReview"
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			writeJSON(w, review)
		case "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
			// client-go may send protobuf; decode as the API server does.
			body, _ := io.ReadAll(r.Body)
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
			review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
			if err != nil || !ok {
				t.Errorf("fake API server: decode SelfSubjectAccessReview (%s): %v", r.Header.Get("Content-Type"), err)
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			review.Status.Allowed = allow(*review.Spec.ResourceAttributes)
			review.APIVersion, review.Kind = "authorization.k8s.io/v1", "SelfSubjectAccessReview"
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			writeJSON(w, review)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// writeStack writes a spec for the fake issuer and API server.
func writeStack(t *testing.T, dex *fakeDex, api *httptest.Server, extra string) *config.Stack {
	t.Helper()
	dir := t.TempDir()
	certPEM := func(s *httptest.Server) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	}
	if err := os.WriteFile(filepath.Join(dir, "issuer-ca.crt"), certPEM(dex.srv), 0o600); err != nil {
		t.Fatal(err)
	}
	server := ""
	if api != nil {
		if err := os.WriteFile(filepath.Join(dir, "cluster-ca.crt"), certPEM(api), 0o600); err != nil {
			t.Fatal(err)
		}
		server = "\n    server: " + api.URL + "\n    certificateAuthority: cluster-ca.crt"
	}
	spec := fmt.Sprintf(`apiVersion: authstack.dev/v1alpha1
kind: AuthStack
metadata:
  name: unit
spec:
  cluster:
    name: unit
    kubernetesVersion: "1.34"
    installer: authentication-config%s
  tls:
    insecureHTTP: true
  issuer:
    dex:
      host: %s
      caFile: issuer-ca.crt
      connectors:
        - id: ldap
          ldap:
            host: ldap.example.org:636
            userSearch:
              baseDN: ou=people,dc=example,dc=org
              username: uid
%s`, server, strings.TrimPrefix(dex.issuer(), "https://"), extra)
	p := filepath.Join(dir, "authstack.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	stack, err := config.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return stack
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// localCert is one certificate for every fake server, as httptest shares one
// certificate: trusting the issuer's CA then trusts the fake apps too.
var localCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// newLocalTLSServer is httptest.NewTLSServer with a certificate for
// "localhost" and a URL naming it: specs refuse IP-address hosts, which
// Ingress does not accept.
func newLocalTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	cert, err := localCert()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	srv.URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	return srv
}
