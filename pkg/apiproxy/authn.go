package apiproxy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authenticationcel "k8s.io/apiserver/pkg/authentication/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"
)

// LoadAuthenticationConfiguration reads an AuthenticationConfiguration file
// (apiserver.config.k8s.io/v1 or v1beta1) strictly and runs the validation
// kube-apiserver runs on --authentication-config at start-up.
func LoadAuthenticationConfiguration(path string) (*apiserverapi.AuthenticationConfiguration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--authentication-config: %w", err)
	}
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme, serializer.EnableStrict)
	obj, _, err := codecs.UniversalDecoder().Decode(data, nil, &apiserverapi.AuthenticationConfiguration{})
	if err != nil {
		return nil, fmt.Errorf("--authentication-config %s: %w", path, err)
	}
	cfg, ok := obj.(*apiserverapi.AuthenticationConfiguration)
	if !ok {
		return nil, fmt.Errorf("--authentication-config %s: decoded %T, want AuthenticationConfiguration", path, obj)
	}
	if len(cfg.JWT) == 0 {
		return nil, fmt.Errorf("--authentication-config %s: jwt: lists no issuer; the proxy would let nobody in", path)
	}
	if errs := validation.ValidateAuthenticationConfiguration(authenticationcel.NewDefaultCompiler(), cfg, nil); len(errs) > 0 {
		return nil, fmt.Errorf("--authentication-config %s is invalid: %w", path, errs.ToAggregate())
	}
	return cfg, nil
}

// Reason says why a token was refused. It is the value of the reason label
// of authstack_apiproxy_auth_failures_total and of the 401 body's cause.
type Reason string

const (
	ReasonMissingToken   Reason = "missing_token"
	ReasonMalformed      Reason = "malformed_token"
	ReasonUnknownIssuer  Reason = "unknown_issuer"
	ReasonExpired        Reason = "expired"
	ReasonNotYetValid    Reason = "not_yet_valid"
	ReasonWrongAudience  Reason = "wrong_audience"
	ReasonBadSignature   Reason = "bad_signature"
	ReasonClaimRejected  Reason = "claim_rejected"
	ReasonIssuerNotReady Reason = "issuer_not_ready"
	ReasonInvalid        Reason = "invalid_token"
	ReasonReservedName   Reason = "reserved_identity"
	ReasonImpersonation  Reason = "client_impersonation"
	ReasonUnknownCluster Reason = "unknown_cluster"
)

// describe is the sentence a 401 body carries for a reason. It is written
// here, not taken from the verifier's error, so no claim value of the token
// is echoed back.
func (r Reason) describe() string {
	switch r {
	case ReasonMissingToken:
		return "no bearer token in the Authorization header"
	case ReasonMalformed:
		return "the bearer token is not a JWT"
	case ReasonUnknownIssuer:
		return "the token's issuer is not one this proxy trusts"
	case ReasonExpired:
		return "the token has expired; log in again"
	case ReasonNotYetValid:
		return "the token is not valid yet (nbf in the future); check the clocks"
	case ReasonWrongAudience:
		return "the token was issued for another audience"
	case ReasonBadSignature:
		return "the token's signature does not verify with the issuer's keys"
	case ReasonClaimRejected:
		return "the token's claims are refused by the authentication configuration's rules"
	case ReasonIssuerNotReady:
		return "the issuer's discovery document or keys could not be fetched yet"
	}
	return "the token is not valid"
}

// classify maps the error of k8s.io/apiserver's JWT authenticator (which
// wraps github.com/coreos/go-oidc with %v, so only the text survives) to a
// reason. The strings are go-oidc's (verify.go: "token is expired",
// "expected audience", "failed to verify signature", "before the nbf") and
// the authenticator's (plugin/pkg/authenticator/token/oidc/oidc.go:
// "authenticator not initialized", "required claim", "claim validation
// expression", "user info validation rule").
func classify(err error) Reason {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "token is expired"):
		return ReasonExpired
	case strings.Contains(msg, "before the nbf"):
		return ReasonNotYetValid
	case strings.Contains(msg, "expected audience"):
		return ReasonWrongAudience
	case strings.Contains(msg, "failed to verify signature"), strings.Contains(msg, "unsupported algorithm"),
		strings.Contains(msg, "id token not signed"):
		return ReasonBadSignature
	case strings.Contains(msg, "authenticator not initialized"):
		return ReasonIssuerNotReady
	case strings.Contains(msg, "required claim"), strings.Contains(msg, "claim validation expression"),
		strings.Contains(msg, "user info validation rule"), strings.Contains(msg, "claim mapping"),
		strings.Contains(msg, "claim not present"), strings.Contains(msg, "username"):
		return ReasonClaimRejected
	case strings.Contains(msg, "malformed"):
		return ReasonMalformed
	}
	return ReasonInvalid
}

// issuerAuthenticator is one jwt[] entry of the configuration.
type issuerAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (*authResponse, bool, error)
	HealthCheck() error
}

type authResponse struct{ User user.Info }

// oidcIssuer adapts oidc.New's authenticator.
type oidcIssuer struct {
	a oidc.AuthenticatorTokenWithHealthCheck
}

func (o oidcIssuer) AuthenticateToken(ctx context.Context, token string) (*authResponse, bool, error) {
	resp, ok, err := o.a.AuthenticateToken(ctx, token)
	if err != nil || !ok {
		return nil, ok, err
	}
	return &authResponse{User: resp.User}, true, nil
}

func (o oidcIssuer) HealthCheck() error { return o.a.HealthCheck() }

// Authenticator verifies bearer tokens with every jwt[] issuer of an
// AuthenticationConfiguration, as kube-apiserver does, and caches verified
// identities by the SHA-256 of the token for tokenCacheTTL, never past the token's exp.
type Authenticator struct {
	issuers []issuerAuthenticator
	cache   *tokenCache
	now     func() time.Time
	hit     func() // counts cache hits; may be nil
}

// NewAuthenticator builds one k8s.io/apiserver JWT authenticator per
// jwt[] entry, with the options kube-apiserver passes for
// --authentication-config (pkg/kubeapiserver/authenticator/config.go in
// kubernetes: every signing algorithm the authenticator supports, the
// issuer CA from certificateAuthority). Discovery and JWKS fetching run in
// the background until ctx ends; go-oidc's remote key set refetches the
// JWKS when a token names a kid it does not know, so the proxy does not.
func NewAuthenticator(ctx context.Context, cfg *apiserverapi.AuthenticationConfiguration, cacheSize int) (*Authenticator, error) {
	compiler := authenticationcel.NewDefaultCompiler()
	a := &Authenticator{cache: newTokenCache(cacheSize), now: time.Now}
	for i, j := range cfg.JWT {
		opts := oidc.Options{
			JWTAuthenticator:     j,
			Compiler:             compiler,
			SupportedSigningAlgs: oidc.AllValidSigningAlgorithms(),
		}
		if j.Issuer.CertificateAuthority != "" {
			opts.CAContentProvider = staticCA(j.Issuer.CertificateAuthority)
		}
		authn, err := oidc.New(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("jwt[%d] (issuer %s): %w", i, j.Issuer.URL, err)
		}
		a.issuers = append(a.issuers, oidcIssuer{authn})
	}
	return a, nil
}

type staticCA string

func (s staticCA) CurrentCABundleContent() []byte { return []byte(s) }

// HealthCheck is nil once every issuer's discovery document has been
// fetched.
func (a *Authenticator) HealthCheck() error {
	var errs []error
	for _, i := range a.issuers {
		if err := i.HealthCheck(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Authenticate returns the identity of a token, or the reason it is refused.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (user.Info, Reason) {
	if token == "" {
		return nil, ReasonMissingToken
	}
	if strings.Count(token, ".") != 2 {
		return nil, ReasonMalformed
	}
	key := sha256.Sum256([]byte(token))
	now := a.now()
	if u, ok := a.cache.get(key, now); ok {
		if a.hit != nil {
			a.hit()
		}
		return u, ""
	}
	// Like the union authenticator kube-apiserver uses: the first issuer
	// that accepts the token wins; an issuer whose URL differs from the
	// token's iss answers "not mine" (false, nil).
	var firstErr error
	for _, i := range a.issuers {
		resp, ok, err := i.AuthenticateToken(ctx, token)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if ok {
			if exp, ok := tokenExpiry(token); ok && exp.After(now) {
				a.cache.add(key, resp.User, cacheUntil(now, exp))
			}
			return resp.User, ""
		}
	}
	if firstErr != nil {
		return nil, classify(firstErr)
	}
	return nil, ReasonUnknownIssuer
}

// tokenExpiry reads exp from a token the authenticator has just verified.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return time.Time{}, false
	}
	f, err := c.Exp.Float64()
	if err != nil || f <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}
