package verify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render/dex"
	"github.com/authstack/authstack/pkg/secrets"
)

// DefaultRedirectURI is the kubectl client's loopback redirect URI that
// verify asks dex for; verify intercepts it, nothing listens on it.
const DefaultRedirectURI = "http://localhost:8000"

// Options are the inputs of one verification.
type Options struct {
	Stack    *config.Stack
	User     string
	Password string
	// Kubeconfig, when set, locates the API server (the current context's
	// cluster) instead of spec.cluster.server and certificateAuthority.
	Kubeconfig string
	// Secrets gives the kubectl client's secret when the client is confidential.
	Secrets secrets.Source
	// RedirectURI of the kubectl client (default DefaultRedirectURI).
	RedirectURI string
	// Timeout bounds each request (default 15s).
	Timeout time.Duration
	// DialContext, when set, opens the connections to the issuer and the
	// apps (authstack up reaches its edge at 127.0.0.1 whatever DNS says).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Hop is one checked step of the login path.
type Hop struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is every hop, in the order a login goes through them.
type Report struct {
	Hops []Hop `json:"hops"`
}

// OK is true when every hop passed.
func (r *Report) OK() bool {
	for _, h := range r.Hops {
		if !h.OK {
			return false
		}
	}
	return len(r.Hops) > 0
}

// Failed returns the first hop that failed, or nil.
func (r *Report) Failed() *Hop {
	for i := range r.Hops {
		if !r.Hops[i].OK {
			return &r.Hops[i]
		}
	}
	return nil
}

// Hop returns the hop called name, or nil.
func (r *Report) Hop(name string) *Hop {
	for i := range r.Hops {
		if r.Hops[i].Name == name {
			return &r.Hops[i]
		}
	}
	return nil
}

func (r *Report) add(name string, ok bool, format string, args ...any) {
	r.Hops = append(r.Hops, Hop{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) pass(name, format string, args ...any) { r.add(name, true, format, args...) }
func (r *Report) fail(name, format string, args ...any) { r.add(name, false, format, args...) }

// Hop names that do not depend on the spec's content.
const (
	HopDiscovery = "issuer discovery"
	HopClaims    = "token claims"
	HopAPIServer = "api server accepts token"
)

// HopLogin is the name of the login hop through connector id ("" when
// the issuer is not dex and shows its own form).
func HopLogin(connector string) string {
	if connector == "" {
		return "login through the issuer's form"
	}
	return "login through connector " + connector
}

// HopAppLoggedOut and HopAppLoggedIn are the names of an app's two hops.
func HopAppLoggedOut(app string) string { return "app " + app + " logged out" }
func HopAppLoggedIn(app string) string  { return "app " + app + " logged in" }

type verifier struct {
	opts      Options
	spec      *v1alpha1.Spec
	issuer    *url.URL
	transport *http.Transport
	jar       http.CookieJar
	report    *Report
	connector string

	provider *oidc.Provider
	rawToken string
	claims   map[string]any
	// user and groups are the API server's view of the token.
	user   string
	groups []string
}

// Run verifies the stack and returns the report; the error is for problems
// with the inputs, not with the stack.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Stack == nil {
		return nil, errors.New("verify: no spec")
	}
	if opts.User == "" || opts.Password == "" {
		return nil, errors.New("verify: a user name and a password are needed")
	}
	if opts.RedirectURI == "" {
		opts.RedirectURI = DefaultRedirectURI
	}
	if opts.Timeout == 0 {
		opts.Timeout = 15 * time.Second
	}
	spec := &opts.Stack.Spec
	issuer, err := url.Parse(spec.IssuerURL())
	if err != nil {
		return nil, fmt.Errorf("verify: issuer URL: %w", err)
	}
	pool, err := trustPool(opts.Stack)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	base.ResponseHeaderTimeout = opts.Timeout
	if opts.DialContext != nil {
		base.DialContext = opts.DialContext
	}
	v := &verifier{opts: opts, spec: spec, issuer: issuer, transport: base, jar: jar, report: &Report{}, connector: loginConnector(spec)}
	// Each hop needs the one before; after a failure the rest are listed
	// as not checked, so the report still names every hop.
	login := []stage{
		{HopDiscovery, func() bool { v.discovery(ctx); return v.provider != nil }},
		{HopLogin(v.connector), func() bool { return v.login(ctx) }},
		{HopClaims, func() bool { return v.claimsHop(ctx) }},
	}
	// Then the API server's (or in proxy mode each cluster's) view of the
	// user, and RBAC as that view: one chain per cluster, so one cluster
	// failing leaves the others checked.
	var clusters [][]stage
	for _, t := range v.targets() {
		var user string
		var groups []string
		clusters = append(clusters, []stage{
			{t.hop(HopAPIServer), func() bool {
				var ok bool
				user, groups, ok = v.apiServer(ctx, t)
				if ok && v.user == "" {
					v.user, v.groups = user, groups
				}
				return ok
			}},
			{t.hop("rbac"), func() bool { v.rbac(ctx, t, user, groups); return true }},
		})
	}
	if failed := runChain(v.report, login); failed != "" {
		for _, c := range clusters {
			for _, st := range c {
				v.report.fail(st.name, "not checked: %s failed", failed)
			}
		}
	} else {
		for _, c := range clusters {
			runChain(v.report, c)
		}
	}
	v.apps(ctx)
	return v.report, nil
}

// stage is one hop of Run: each needs the ones before it in its chain.
type stage struct {
	name string
	run  func() bool
}

// runChain runs stages in order; after a failure the rest are reported as
// not checked, so the report still names every hop. It returns the name of
// the stage that failed, "" when none did.
func runChain(r *Report, stages []stage) string {
	for i, st := range stages {
		if st.run() {
			continue
		}
		for _, rest := range stages[i+1:] {
			r.fail(rest.name, "not checked: %s failed", st.name)
		}
		return st.name
	}
	return ""
}

// trustPool is the system roots plus the spec's issuer and cluster CAs.
func trustPool(stack *config.Stack) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, p := range []string{stack.Spec.IssuerCAFile(), stack.Spec.Cluster.CertificateAuthority} {
		if p == "" {
			continue
		}
		data, err := safefile.Read(stack.Path(p))
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", p)
		}
	}
	return pool, nil
}

// loginConnector is the dex connector whose form verify fills in: the
// password connector if set, else the first LDAP connector, else dex's
// static password database ("local").
func loginConnector(spec *v1alpha1.Spec) string {
	d := spec.Issuer.Dex
	if d == nil {
		return ""
	}
	if d.PasswordConnector != "" {
		return d.PasswordConnector
	}
	for _, c := range d.Connectors {
		if c.LDAP != nil {
			return c.ID
		}
	}
	for _, c := range d.Connectors {
		if c.Static != nil {
			return "local"
		}
	}
	if len(d.Connectors) > 0 {
		return d.Connectors[0].ID
	}
	return ""
}

func (v *verifier) httpClient() *http.Client {
	return &http.Client{Transport: v.transport, Timeout: v.opts.Timeout}
}

func (v *verifier) discovery(ctx context.Context) {
	ctx = oidc.ClientContext(ctx, v.httpClient())
	p, err := oidc.NewProvider(ctx, v.issuer.String())
	if err != nil {
		v.report.fail(HopDiscovery, "%s/.well-known/openid-configuration: %s", v.issuer, explainTLS(err, v.spec))
		return
	}
	v.provider = p
	trust := "system roots"
	if v.spec.IssuerCAFile() != "" {
		trust = "the spec's CA " + v.spec.IssuerCAFile()
	}
	v.report.pass(HopDiscovery, "%s reachable, TLS trusted through %s, issuer string matches", v.issuer, trust)
}

// explainTLS adds what to do to a certificate error.
func explainTLS(err error, spec *v1alpha1.Spec) string {
	var unknown x509.UnknownAuthorityError
	var verr *tls.CertificateVerificationError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown), errors.As(err, &verr) && strings.Contains(verr.Error(), "unknown authority"):
		if spec.IssuerCAFile() == "" {
			return err.Error() + " (the issuer's certificate is not publicly trusted: set spec.issuer.dex.caFile or external.caFile to its CA)"
		}
		return err.Error() + " (the issuer's certificate is not signed by " + spec.IssuerCAFile() + ")"
	case errors.As(err, &host):
		return err.Error() + " (the issuer's certificate does not name the issuer host)"
	}
	return err.Error()
}

func (v *verifier) login(ctx context.Context) bool {
	name := HopLogin(v.connector)
	spec := v.spec
	verifierBytes := make([]byte, 32)
	stateBytes := make([]byte, 16)
	if _, err := rand.Read(verifierBytes); err != nil {
		v.report.fail(name, "random: %v", err)
		return false
	}
	_, _ = rand.Read(stateBytes)
	codeVerifier := base64.RawURLEncoding.EncodeToString(verifierBytes)
	sum := sha256.Sum256([]byte(codeVerifier))
	state := base64.RawURLEncoding.EncodeToString(stateBytes)
	scopes := append([]string{oidc.ScopeOpenID}, spec.Kubectl.ExtraScopes...)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {spec.Kubectl.ClientID},
		"redirect_uri":          {v.opts.RedirectURI},
		"scope":                 {strings.Join(scopes, " ")},
		"state":                 {state},
		"nonce":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	if v.connector != "" {
		q.Set("connector_id", v.connector)
	}
	auth, err := url.Parse(v.provider.Endpoint().AuthURL)
	if err != nil {
		v.report.fail(name, "authorization endpoint: %v", err)
		return false
	}
	auth.RawQuery = q.Encode()
	redirect, err := url.Parse(v.opts.RedirectURI)
	if err != nil {
		v.report.fail(name, "redirect URI: %v", err)
		return false
	}
	b := &browser{client: newBrowserClient(v.transport, v.jar), issuer: v.issuer, connector: v.connector, username: v.opts.User, password: v.opts.Password}
	res, err := b.run(ctx, auth, func(u *url.URL) bool {
		return u.Scheme == redirect.Scheme && u.Host == redirect.Host && strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(redirect.Path, "/")
	})
	if err != nil {
		v.report.fail(name, "as %s: %v%s", v.opts.User, err, redirectHint(err, spec.Kubectl.ClientID, v.opts.RedirectURI))
		return false
	}
	if res.redirect == nil {
		v.report.fail(name, "as %s: the login ended at %s (%d) instead of redirecting to %s", v.opts.User, hostPath(res.final), res.status, v.opts.RedirectURI)
		return false
	}
	back := res.redirect.Query()
	if e := back.Get("error"); e != "" {
		v.report.fail(name, "as %s: dex returned error %s: %s", v.opts.User, e, back.Get("error_description"))
		return false
	}
	if back.Get("state") != state {
		v.report.fail(name, "as %s: the redirect carried a different state; the login is not bound to this request", v.opts.User)
		return false
	}
	token, err := v.exchange(ctx, back.Get("code"), codeVerifier)
	if err != nil {
		v.report.fail(name, "as %s: token exchange: %v", v.opts.User, err)
		return false
	}
	v.rawToken = token
	v.report.pass(name, "as %s: %d steps through dex's login form, code exchanged with PKCE for an id token", v.opts.User, len(res.trail))
	return true
}

func (v *verifier) exchange(ctx context.Context, code, codeVerifier string) (string, error) {
	spec := v.spec
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {v.opts.RedirectURI},
		"client_id":     {spec.Kubectl.ClientID},
		"code_verifier": {codeVerifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.provider.Endpoint().TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if spec.Kubectl.Public != nil && !*spec.Kubectl.Public {
		if v.opts.Secrets == nil {
			return "", errors.New("the kubectl client is confidential and no secrets file was given")
		}
		secret, err := v.opts.Secrets.Generated(dex.ClientSecretName(spec.Kubectl.ClientID), dex.ClientSecretSize)
		if err != nil {
			return "", err
		}
		req.SetBasicAuth(url.QueryEscape(spec.Kubectl.ClientID), url.QueryEscape(secret))
	}
	resp, err := v.httpClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	var out struct {
		IDToken          string `json:"id_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("%d from the token endpoint, not JSON: %s", resp.StatusCode, short(collapse(string(body)), 200))
	}
	if resp.StatusCode != http.StatusOK || out.Error != "" {
		return "", fmt.Errorf("%d from the token endpoint: %s %s", resp.StatusCode, out.Error, out.ErrorDescription)
	}
	if out.IDToken == "" {
		return "", errors.New("the token endpoint returned no id_token")
	}
	return out.IDToken, nil
}

// redirectHint says what to do when dex refuses a client's redirect URI.
func redirectHint(err error, client, uri string) string {
	if err == nil || !strings.Contains(err.Error(), "Unregistered redirect_uri") {
		return ""
	}
	return fmt.Sprintf(" (dex's client %s does not list the redirect URI %s: apply the rendered dex config with `authstack apply` and let dex restart)", client, uri)
}

// WriteText prints one line per hop, ✓ or ×, as a person reads it.
func (r *Report) WriteText(w io.Writer) error {
	for _, h := range r.Hops {
		mark := "✓"
		if !h.OK {
			mark = "×"
		}
		if _, err := fmt.Fprintf(w, "%s %s: %s\n", mark, h.Name, h.Detail); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON prints {"hops":[{"name","ok","detail"}]}.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
