//go:build e2e

package local

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The attack suite crafts JWTs by hand: a library would refuse to produce
// most of them (alg none, HS256 over an RSA key, a broken signature).

// jwtParts is a decoded compact JWS.
type jwtParts struct {
	Header, Claims map[string]any
	Sig            []byte
}

func decodeJWT(t testing.TB, token string) jwtParts {
	t.Helper()
	segs := strings.Split(token, ".")
	if len(segs) != 3 {
		t.Fatalf("not a compact JWS: %d segments", len(segs))
	}
	var p jwtParts
	for i, dst := range []*map[string]any{&p.Header, &p.Claims} {
		raw, err := base64.RawURLEncoding.DecodeString(segs[i])
		if err != nil {
			t.Fatalf("JWT segment %d: %v", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("JWT segment %d: %v", i, err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(segs[2])
	if err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	p.Sig = sig
	return p
}

func b64(data []byte) string { return base64.RawURLEncoding.EncodeToString(data) }

func jsonSeg(t testing.TB, v map[string]any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(data)
}

// signJWT signs header.claims with key: an *rsa.PrivateKey (RS256), a
// []byte (HS256) or nil (no signature, as for alg "none"). header's alg is
// written as given, so a test can lie about it.
func signJWT(t testing.TB, header, claims map[string]any, key any) string {
	t.Helper()
	input := jsonSeg(t, header) + "." + jsonSeg(t, claims)
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sum := sha256.Sum256([]byte(input))
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case nil:
	default:
		t.Fatalf("signJWT: unsupported key %T", key)
	}
	return input + "." + b64(sig)
}

// clone copies claims (shallowly) so that one attempt's change does not
// leak into the next.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// dexSigningKey reads dex's current private signing key from its storage:
// with the kubernetes storage dex keeps it in the SigningKey object
// "openid-connect-keys" (dex storage/kubernetes/types.go, resource
// "signingkeies"). Whoever can read that object can mint any user's token,
// so no role but the cluster admin's may read it (the read-only attempt
// checks that); the suite reads it as the cluster admin to build tokens that
// are valid except for the one property under test.
func (s *Stack) dexSigningKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(s.Env.Config)
	if err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "dex.coreos.com", Version: "v1", Resource: "signingkeies"}
	list, err := dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list dex's SigningKey objects: %v", err)
	}
	for _, item := range list.Items {
		if item.GetName() != "openid-connect-keys" {
			continue
		}
		raw, err := json.Marshal(item.Object["signingKey"])
		if err != nil {
			t.Fatal(err)
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			t.Fatalf("dex's signing key: %v", err)
		}
		key, ok := jwk.Key.(*rsa.PrivateKey)
		if !ok {
			t.Fatalf("dex's signing key is a %T, the suite signs RS256", jwk.Key)
		}
		return key, jwk.KeyID
	}
	t.Fatalf("no SigningKey openid-connect-keys among %d objects", len(list.Items))
	return nil, ""
}
