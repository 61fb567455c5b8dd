package doctor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Token is a decoded JWT. Its raw form and signature are kept to verify it
// and are never printed.
type Token struct {
	Source string
	Header map[string]any
	Claims map[string]any
	raw    string
}

// ParseToken reads a raw JWT or a client.authentication.k8s.io
// ExecCredential (what kubelogin prints) holding one.
func ParseToken(source string, data []byte) (*Token, error) {
	data = bytes.TrimSpace(data)
	raw := string(data)
	if bytes.HasPrefix(data, []byte("{")) {
		var cred struct {
			Kind   string `json:"kind"`
			Status struct {
				Token string `json:"token"`
			} `json:"status"`
		}
		if err := json.Unmarshal(data, &cred); err != nil {
			return nil, fmt.Errorf("not a JWT nor an ExecCredential JSON: %w", err)
		}
		if cred.Status.Token == "" {
			return nil, fmt.Errorf("the ExecCredential has no status.token")
		}
		raw = cred.Status.Token
	}
	raw = strings.TrimPrefix(raw, "Bearer ")
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a JWT has 3 dot-separated parts, this has %d", len(parts))
	}
	t := &Token{Source: source, raw: raw}
	if err := decodeSegment(parts[0], &t.Header); err != nil {
		return nil, fmt.Errorf("JWT header: %w", err)
	}
	if err := decodeSegment(parts[1], &t.Claims); err != nil {
		return nil, fmt.Errorf("JWT claims: %w", err)
	}
	return t, nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// Raw is the token itself, for calls to the API server. Never print it.
func (t *Token) Raw() string { return t.raw }

// Alg is the signing algorithm of the header.
func (t *Token) Alg() string { s, _ := t.Header["alg"].(string); return s }

// Kid is the key id of the header.
func (t *Token) Kid() string { s, _ := t.Header["kid"].(string); return s }

// Str returns a string claim.
func (t *Token) Str(name string) (string, bool) {
	s, ok := t.Claims[name].(string)
	return s, ok
}

// Audiences is the aud claim, a string or a list.
func (t *Token) Audiences() []string {
	switch v := t.Claims["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Time returns a NumericDate claim.
func (t *Token) Time(name string) (time.Time, bool) {
	n, ok := t.Claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// Summary describes the token without its signature: header and claims.
func (t *Token) Summary() string {
	var keys []string
	for k := range t.Claims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		b, _ := json.Marshal(t.Claims[k])
		parts = append(parts, k+"="+string(b))
	}
	out := fmt.Sprintf("header alg=%s kid=%q; claims %s", t.Alg(), t.Kid(), strings.Join(parts, " "))
	if exp, ok := t.Time("exp"); ok {
		out += "; expires " + exp.Format(time.RFC3339)
	}
	return out
}

// asymmetricAlgs are the algorithms a JWKS can verify.
var asymmetricAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// VerifyResult says how the signature check went.
type VerifyResult int

// Results of Verify.
const (
	Verified VerifyResult = iota
	UnknownKey
	BadSignature
	Unverifiable
)

// Verify checks the token's signature with the key set.
func (t *Token) Verify(keys jose.JSONWebKeySet) (VerifyResult, string) {
	sig, err := jose.ParseSigned(t.raw, asymmetricAlgs)
	if err != nil {
		return Unverifiable, fmt.Sprintf("the signature cannot be checked: %v", err)
	}
	candidates := keys.Keys
	if kid := t.Kid(); kid != "" {
		candidates = keys.Key(kid)
		if len(candidates) == 0 {
			return UnknownKey, fmt.Sprintf("no key with kid %q in the key set", kid)
		}
	}
	for _, k := range candidates {
		if _, err := sig.Verify(k.Key); err == nil {
			return Verified, ""
		}
	}
	return BadSignature, "no key of the key set verifies the signature"
}
