package authproxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"

	// The legacy oidc auth-provider of kubeconfig (users[].user.auth-provider
	// name: oidc) registers itself with client-go only when imported; client-go
	// still ships it (plugin/pkg/client/auth/oidc), unlike gcp and azure.
	_ "k8s.io/client-go/plugin/pkg/client/auth/oidc"
)

// ErrNoBearerToken is returned when the kubeconfig user authenticates in a
// way that a web UI cannot pass on to the API server.
var ErrNoBearerToken = errors.New("the kubeconfig user has no bearer token")

// Credential adds the kubeconfig user's bearer token to requests, through
// client-go's own machinery: static tokens, token files (re-read as
// client-go does), exec plugins (kubelogin, aws eks get-token,
// gke-gcloud-auth-plugin: run again when the credential they returned
// expires, or after a 401) and the legacy oidc auth-provider (refreshed
// with its refresh token).
type Credential struct {
	config *transport.Config
	// describe says what the kubeconfig user has instead of a token, for
	// the error when no token comes out.
	describe string
}

// NewCredential prepares the credential of cfg. It refuses what the proxy
// cannot pass on faithfully: impersonation (the web UI would act as the
// real user, not the impersonated one) and basic auth.
func NewCredential(cfg *rest.Config) (*Credential, error) {
	if imp := cfg.Impersonate; imp.UserName != "" || imp.UID != "" || len(imp.Groups) > 0 || len(imp.Extra) > 0 {
		// A web UI sends its own requests with the token it was given;
		// it would not impersonate, so it would act with more rights than
		// kubectl does with this kubeconfig.
		return nil, fmt.Errorf("%w: the kubeconfig context impersonates %q (as/as-groups), which a web UI behind the proxy cannot do; use a context without impersonation", ErrNoBearerToken, imp.UserName)
	}
	if cfg.Username != "" || cfg.Password != "" {
		return nil, fmt.Errorf("%w: it uses a username and password (basic auth); use a token, an exec plugin such as kubelogin, or a service account token", ErrNoBearerToken)
	}
	tc, err := cfg.TransportConfig()
	if err != nil {
		return nil, fmt.Errorf("read the kubeconfig credential: %w", err)
	}
	// Only the authentication of the API server's transport config is
	// used; the TLS settings (CA, client certificate) are for the API
	// server, not for the UI behind the port-forward.
	c := &Credential{config: &transport.Config{
		BearerToken:     tc.BearerToken,
		BearerTokenFile: tc.BearerTokenFile,
		WrapTransport:   tc.WrapTransport,
	}}
	switch {
	case cfg.CertFile != "" || len(cfg.CertData) > 0:
		c.describe = "it authenticates with a client certificate, which the proxy cannot pass on to a web UI"
	case cfg.ExecProvider != nil:
		c.describe = fmt.Sprintf("its exec plugin %q returned no token (a client certificate?)", cfg.ExecProvider.Command)
	default:
		c.describe = "it has no token, exec plugin or auth-provider"
	}
	return c, nil
}

// Wrap returns base with the user's bearer token added to every request
// that has no Authorization header. base is only ever called with one:
// a request without a token fails instead of reaching the UI anonymously.
func (c *Credential) Wrap(base http.RoundTripper) (http.RoundTripper, error) {
	rt, err := transport.HTTPWrappersForConfig(c.config, requireBearer{base: base, c: c})
	if err != nil {
		return nil, fmt.Errorf("kubeconfig credential: %w", err)
	}
	return rt, nil
}

// Check gets a token now, so that a missing token or a failing exec plugin
// (kubelogin's browser login included) shows at start-up, not on the
// first page.
func (c *Credential) Check() error {
	rt, err := c.Wrap(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
	}))
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, "http://authstack-proxy.invalid/", nil)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

type requireBearer struct {
	base http.RoundTripper
	c    *Credential
}

func (r requireBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
		return nil, fmt.Errorf("%w: %s", ErrNoBearerToken, r.c.describe)
	}
	return r.base.RoundTrip(req)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
