package doctor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const healthyDir = "../../testdata/doctor/healthy"

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
	otherKy *rsa.PrivateKey
)

func keys(t testing.TB) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKy, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// signJWT encodes and signs a JWT with RS256 or ES256: a minimal encoder,
// so that tests control every header field and claim.
func signJWT(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	keys(t)
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch header["alg"] {
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, ecKey, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(pad32(r), pad32(s)...)
	case "HS256":
		sig = []byte("not-a-real-mac")
	default:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func pad32(n *big.Int) []byte {
	b := n.Bytes()
	return append(make([]byte, 32-len(b)), b...)
}

// jwksJSON is the issuer's key set: the RSA and EC keys under kid key-1 and key-ec.
func jwksJSON(t testing.TB, useOther bool) string {
	keys(t)
	k := rsaKey
	if useOther {
		k = otherKy
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.PublicKey, KeyID: "key-1", Algorithm: "RS256", Use: "sig"},
		{Key: &ecKey.PublicKey, KeyID: "key-ec", Algorithm: "ES256", Use: "sig"},
	}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func healthyClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss": "https://dex.example.com", "sub": "CgVhbGljZRIEbGRhcA", "aud": "kubernetes",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix(), "azp": "kubernetes",
		"email": "alice@example.com", "email_verified": true, "name": "Alice",
		"groups": []any{"platform", "developers"},
	}
}

// artifacts are the files of one scenario, by base name, and the token.
type artifacts struct {
	files  map[string]string
	header map[string]any
	claims map[string]any
	jwks   string
}

var defaultFiles = []string{"authentication-config.yaml", "dex.yaml", "oauth2_proxy.cfg", "ingress.yaml", "rbac.yaml", "kubeconfig.yaml"}

func healthy(t testing.TB) *artifacts {
	t.Helper()
	a := &artifacts{files: map[string]string{}, header: map[string]any{"alg": "RS256", "kid": "key-1", "typ": "JWT"}, claims: healthyClaims(testNow), jwks: jwksJSON(t, false)}
	for _, f := range defaultFiles {
		a.files[f] = readHealthy(t, f)
	}
	return a
}

func readHealthy(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(healthyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old by new in file, failing when old is absent so that a
// test cannot silently stop breaking anything.
func (a *artifacts) edit(t testing.TB, file, old, new string) {
	t.Helper()
	if !strings.Contains(a.files[file], old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	a.files[file] = strings.Replace(a.files[file], old, new, 1)
}

// model loads the artifacts as the CLI would, by file name.
func (a *artifacts) model(t testing.TB) *Model {
	t.Helper()
	m := &Model{Now: testNow}
	names := make([]string, 0, len(a.files))
	for n := range a.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		data := []byte(a.files[name])
		var err error
		switch name {
		case "authentication-config.yaml":
			err = m.AddAuthenticationConfig(name, data)
		case "kube-apiserver.yaml":
			err = m.AddAPIServerManifest(name, data)
		case "kubespray-vars.yaml":
			err = m.AddKubesprayVars(name, data)
		case "kubeadm-config.yaml":
			err = m.AddKubeadmConfig(name, data)
		case "dex.yaml":
			err = m.AddDexConfig(name, data)
		case "oauth2_proxy.cfg", "oauth2_proxy.yaml":
			err = m.AddProxyConfig(name, "dashboard", data)
		case "ingress.yaml":
			err = m.AddIngresses(name, data)
		case "rbac.yaml":
			err = m.AddRBAC(name, data)
		case "kubeconfig.yaml":
			err = m.AddKubeconfig(name, data)
		default:
			t.Fatalf("no loader for %s", name)
		}
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
	}
	if a.claims != nil {
		tok, err := ParseToken("token.jwt", []byte(signJWT(t, a.header, a.claims)))
		if err != nil {
			t.Fatal(err)
		}
		m.Token = tok
	}
	if a.jwks != "" {
		if err := m.AddJWKS("jwks.json", []byte(a.jwks)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
