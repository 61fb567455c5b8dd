package apiproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/oauth2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/sets"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
)

// Options are the proxy's settings; cmd/authstack-apiproxy fills them from
// its flags.
type Options struct {
	AuthenticationConfig string
	ClustersConfig       string
	Kubeconfig           string
	SecurePort           int
	BindAddress          string
	TLSCertFile          string
	TLSKeyFile           string
	ProbeBindAddress     string
	AuditWebhookURL      string
	AuditWebhookFormat   string
	AuditWebhookCAFile   string
	AuditQueueSize       int
	IdleTimeout          time.Duration
	MaxStreamDuration    time.Duration
	TokenCacheSize       int
	ShutdownGracePeriod  time.Duration
}

// DefaultOptions are the flags' defaults.
func DefaultOptions() Options {
	return Options{
		SecurePort: 8443, ProbeBindAddress: ":8081", AuditWebhookFormat: FormatRecords, AuditQueueSize: 10000,
		IdleTimeout: 15 * time.Minute, MaxStreamDuration: 4 * time.Hour, TokenCacheSize: 4096,
		ShutdownGracePeriod: 30 * time.Second,
	}
}

// Proxy is the authenticating, impersonating handler.
type Proxy struct {
	authn     *Authenticator
	single    *backend            // without --clusters-config: served at /
	clusters  map[string]*backend // with it: served at /<name>/
	metrics   *metrics
	audit     *auditor
	log       *slog.Logger
	idle      time.Duration
	maxStream time.Duration
	reqInfo   *genericapirequest.RequestInfoFactory
	bodies    bool // capture request bodies for the records webhook
	ready     atomic.Bool
	draining  atomic.Bool
	authCfg   *apiserverapi.AuthenticationConfiguration
	keysOK    atomic.Bool // every issuer's JWKS fetched once
}

type backend struct {
	name   string
	target *url.URL
	rest   http.RoundTripper // client-go's, with the proxy's credential: health checks
	// Forwarding sets the credential and impersonation headers on the
	// ReverseProxy's outgoing request itself, over TLS-only transports:
	// client-go's wrappers would copy each request's headers three times.
	plain   http.RoundTripper  // h2 allowed
	upgrade http.RoundTripper  // HTTP/1.1 only: upgrades never use h2
	token   oauth2.TokenSource // the proxy's credential, a file re-read as client-go does
	proxy   *httputil.ReverseProxy
	healthy atomic.Bool
}

// New loads the configuration files and builds the proxy. Issuer discovery
// and cluster health checks run in the background until ctx ends.
func New(ctx context.Context, opts Options, stderr io.Writer) (*Proxy, error) {
	if opts.AuthenticationConfig == "" {
		return nil, errors.New("--authentication-config is required")
	}
	cfg, err := LoadAuthenticationConfiguration(opts.AuthenticationConfig)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		metrics:   newMetrics(),
		log:       slog.New(slog.NewJSONHandler(stderr, nil)),
		idle:      opts.IdleTimeout,
		maxStream: opts.MaxStreamDuration,
		reqInfo: &genericapirequest.RequestInfoFactory{
			APIPrefixes:          sets.NewString("api", "apis"),
			GrouplessAPIPrefixes: sets.NewString("api"),
		},
		bodies:  opts.AuditWebhookURL != "" && opts.AuditWebhookFormat == FormatRecords,
		authCfg: cfg,
	}
	p.authn, err = NewAuthenticator(ctx, cfg, opts.TokenCacheSize)
	if err != nil {
		return nil, fmt.Errorf("--authentication-config %s: %w", opts.AuthenticationConfig, err)
	}
	p.authn.hit = p.metrics.cacheHits.Inc
	p.audit, err = newAuditor(stderr, opts.AuditWebhookURL, opts.AuditWebhookFormat, opts.AuditWebhookCAFile,
		opts.AuditQueueSize, func(n int) { p.metrics.auditDropped.Add(float64(n)) })
	if err != nil {
		return nil, err
	}
	p.audit.warn = p.log.Warn
	if opts.ClustersConfig != "" {
		clusters, err := LoadClusters(opts.ClustersConfig)
		if err != nil {
			return nil, err
		}
		p.clusters = map[string]*backend{}
		for _, c := range clusters {
			rc, err := c.restConfig()
			if err != nil {
				return nil, fmt.Errorf("--clusters-config %s: %w", opts.ClustersConfig, err)
			}
			if p.clusters[c.Name], err = p.newBackend(c.Name, rc); err != nil {
				return nil, err
			}
		}
	} else {
		rc, err := defaultCluster(opts.Kubeconfig)
		if err != nil {
			return nil, err
		}
		if p.single, err = p.newBackend("", rc); err != nil {
			return nil, err
		}
	}
	go p.audit.run(ctx)
	go p.watchHealth(ctx)
	return p, nil
}

func (p *Proxy) newBackend(name string, rc *rest.Config) (*backend, error) {
	target, err := url.Parse(rc.Host)
	if err != nil || target.Scheme != "https" {
		return nil, fmt.Errorf("cluster %q: server %q must be an https URL", name, rc.Host)
	}
	// The proxy's own credential must be a bearer token (or file): a
	// client certificate of system:masters would make every user admin
	// the moment impersonation headers went missing.
	if rc.BearerToken == "" && rc.BearerTokenFile == "" {
		return nil, fmt.Errorf("cluster %q: the proxy's credential must be a bearer token (a ServiceAccount token with only the impersonate ClusterRole)", name)
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "authstack-apiproxy"
	rc.QPS, rc.Burst = -1, -1
	b := &backend{name: name, target: target}
	if b.rest, err = rest.TransportFor(rc); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	// The same TLS settings without any credential; client-go caches TLS
	// transports by their settings, so these share rest's connections.
	tlsOnly := rest.AnonymousClientConfig(rc)
	tlsOnly.UserAgent = ""
	if b.plain, err = rest.TransportFor(tlsOnly); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	h1 := rest.CopyConfig(tlsOnly)
	h1.NextProtos = []string{"http/1.1"}
	if b.upgrade, err = rest.TransportFor(h1); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	b.token = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: rc.BearerToken})
	if rc.BearerTokenFile != "" {
		b.token = transport.NewCachedFileTokenSource(rc.BearerTokenFile)
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			// The client's credential and any identity headers stay here:
			// the cluster sees only the proxy's token and the headers the
			// impersonating transport sets from the verified identity.
			for k := range pr.Out.Header {
				if isIdentityHeader(k) {
					pr.Out.Header.Del(k)
				}
			}
			pr.Out.Header.Del("X-Forwarded-Host")
			stripBearerProtocol(pr.Out.Header)
		},
		Transport:     &impersonatingTransport{b: b},
		FlushInterval: -1,
		BufferPool:    copyBuffers,
		ErrorLog:      slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client left, or a timeout ended the stream
			}
			p.log.Warn("forward", "cluster", name, "error", err.Error())
			writeStatus(w, http.StatusBadGateway, metav1.StatusReasonServiceUnavailable,
				fmt.Sprintf("authstack-apiproxy could not reach the API server of cluster %q", name), "")
		},
	}
	return b, nil
}

// isIdentityHeader is every request header that carries or asserts an
// identity: the client's own token, impersonation, and the front-proxy
// headers of the API server's request-header authenticator.
func isIdentityHeader(k string) bool {
	k = strings.ToLower(k)
	return k == "authorization" || k == "proxy-authorization" || k == "cookie" ||
		strings.HasPrefix(k, "impersonate-") || strings.HasPrefix(k, "x-remote-")
}

type userKey struct{}

// impersonatingTransport sends the request with the proxy's credential and
// the impersonation headers of the verified user, as client-go's
// impersonating round tripper would. The API server authorizes each header
// separately (k8s.io/apiserver pkg/endpoints/filters/impersonation): users,
// groups, and, only when the authentication configuration maps them, uids
// and userextras/<key> in authentication.k8s.io; a missing permission makes
// it refuse the request, so a mapping the impersonator's ClusterRole lacks
// fails closed.
type impersonatingTransport struct{ b *backend }

// RoundTrip sets headers on req: it is the ReverseProxy's own outgoing copy,
// from which Rewrite removed every identity header the client sent.
func (t *impersonatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u, ok := req.Context().Value(userKey{}).(user.Info)
	if !ok || u.GetName() == "" {
		// Never forward unauthenticated: without Impersonate-User the API
		// server would serve the request as the proxy itself.
		return nil, errors.New("no verified user on the request")
	}
	tok, err := t.b.token.Token()
	if err != nil {
		return nil, fmt.Errorf("the proxy's token for cluster %q: %w", t.b.name, err)
	}
	setImpersonation(req.Header, u)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "authstack-apiproxy")
	}
	if httpstream.IsUpgradeRequest(req) {
		return t.b.upgrade.RoundTrip(req)
	}
	return t.b.plain.RoundTrip(req)
}

// setImpersonation writes the headers client-go's impersonating round
// tripper writes for u (k8s.io/client-go/transport/round_trippers.go).
func setImpersonation(h http.Header, u user.Info) {
	h.Set(transport.ImpersonateUserHeader, u.GetName())
	if uid := u.GetUID(); uid != "" {
		h.Set(transport.ImpersonateUIDHeader, uid)
	}
	for _, g := range u.GetGroups() {
		h.Add(transport.ImpersonateGroupHeader, g)
	}
	for k, vv := range u.GetExtra() {
		name := extraHeader(k)
		for _, v := range vv {
			h.Add(name, v)
		}
	}
}

// extraHeader is the Impersonate-Extra-<key> header name for an extra key:
// every byte that may not appear in a header name, and '%' itself, is
// %XX-escaped, because the API server takes the lower-cased rest of the
// header name through url.PathUnescape.
func extraHeader(key string) string {
	var b strings.Builder
	b.Grow(len(transport.ImpersonateUserExtraHeaderPrefix) + len(key))
	b.WriteString(transport.ImpersonateUserExtraHeaderPrefix)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '%' || !httpguts.IsTokenRune(rune(c)) {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// copyBuffers are the ReverseProxy's body buffers: without a pool each
// request allocates and clears 32 KiB.
var copyBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// ServeHTTP authenticates, routes and forwards one request, and writes its
// audit line and metrics.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ev := &AuditEvent{Time: start, Kind: "audit", ID: newAuditID(), SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
		Method: r.Method, URI: auditURI(r.URL)}
	rec := &recorder{ResponseWriter: w}
	longRunning := false
	defer func() {
		ev.Code = rec.code
		ev.Duration = time.Since(start).Seconds()
		p.metrics.requests.WithLabelValues(ev.Cluster, fmt.Sprint(ev.Code)).Inc()
		if !longRunning {
			p.metrics.latency.WithLabelValues(ev.Cluster).Observe(ev.Duration)
		}
		p.audit.record(ev)
	}()
	deny := func(code int, reason Reason, statusReason metav1.StatusReason, msg string) {
		p.metrics.authFailures.WithLabelValues(string(reason)).Inc()
		ev.Decision, ev.Reason = "denied", string(reason)
		writeStatus(rec, code, statusReason, msg, reason)
	}

	// Routed first so that refused requests are audited with their
	// cluster and verb too; nothing is forwarded before the checks below.
	b, out := p.route(r)
	var info *genericapirequest.RequestInfo
	if b == nil {
		// No cluster to parse the request for: the record keeps the path
		// that was asked for.
		ev.path = r.URL.Path
	} else {
		ev.Cluster = b.name
		var err error
		if info, err = p.reqInfo.NewRequestInfo(out); err == nil {
			ev.Verb, ev.APIGroup, ev.APIVersion, ev.Namespace = info.Verb, info.APIGroup, info.APIVersion, info.Namespace
			ev.Resource, ev.Subresource, ev.Name = info.Resource, info.Subresource, info.Name
			ev.isResource, ev.path, ev.parts, ev.apiPrefix = info.IsResourceRequest, info.Path, info.Parts, info.APIPrefix
			ev.fieldSelector, ev.labelSelector = info.FieldSelector, info.LabelSelector
			longRunning = isLongRunning(info, out)
		}
	}

	path := r.URL.Path
	if out != nil {
		path = out.URL.Path
	}
	if msg := badRequest(r, path); msg != "" {
		deny(http.StatusBadRequest, ReasonBadRequest, metav1.StatusReasonBadRequest, "authstack-apiproxy refuses the request: "+msg)
		return
	}

	token, ok := requestToken(r)
	if !ok {
		deny(http.StatusUnauthorized, ReasonMissingToken, metav1.StatusReasonUnauthorized, "Unauthorized: "+ReasonMissingToken.describe())
		return
	}
	u, reason := p.authn.Authenticate(r.Context(), token)
	if reason != "" {
		deny(http.StatusUnauthorized, reason, metav1.StatusReasonUnauthorized, "Unauthorized: "+reason.describe())
		return
	}
	ev.User, ev.UID, ev.Groups, ev.Extra = u.GetName(), u.GetUID(), u.GetGroups(), u.GetExtra()

	// No SubjectAccessReview pass-through in this release: a client that
	// asks to act as someone else is refused, whoever it is.
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
			deny(http.StatusForbidden, ReasonImpersonation, metav1.StatusReasonForbidden,
				fmt.Sprintf("authstack-apiproxy refuses client impersonation headers (%s); use your own identity", k))
			return
		}
	}
	if what := unsafeIdentity(u); what != "" {
		deny(http.StatusForbidden, ReasonUnsafeIdentity, metav1.StatusReasonForbidden,
			fmt.Sprintf("authstack-apiproxy refuses an identity it cannot pass on exactly: %s (empty, control characters, or spaces around it)", what))
		return
	}
	name := reservedName(u)
	if name == "" {
		name = reservedInList(u)
	}
	if name != "" {
		deny(http.StatusForbidden, ReasonReservedName, metav1.StatusReasonForbidden,
			fmt.Sprintf("authstack-apiproxy refuses identities in the reserved system: namespace (%s)", name))
		return
	}

	if b == nil {
		deny(http.StatusNotFound, ReasonUnknownCluster, metav1.StatusReasonNotFound,
			"authstack-apiproxy serves no cluster at this path; use https://<proxy>/<cluster>/")
		return
	}
	if p.bodies && info != nil {
		ev.body = captureBody(out, info)
	}

	ctx, cancel := context.WithTimeout(context.WithValue(out.Context(), userKey{}, u), p.maxStream)
	defer cancel()
	idle := newIdleWatch(p.idle, cancel)
	defer idle.stop()
	rec.idle = idle
	out = out.WithContext(ctx)
	if out.Body != nil && out.Body != http.NoBody {
		out.Body = &activeBody{ReadCloser: out.Body, idle: idle}
	}
	// Deferred: httputil.ReverseProxy ends a response it cannot finish
	// (a stream cut by a timeout) with panic(http.ErrAbortHandler), and the
	// outcome must still be recorded.
	defer func() {
		ev.Decision, ev.Reason = outcome(ctx, idle, rec.code)
	}()
	b.proxy.ServeHTTP(rec, out)
}

// outcome is the decision and reason of a forwarded request.
func outcome(ctx context.Context, idle *idleWatch, code int) (string, string) {
	switch {
	case idle.fired.Load():
		return "allowed", "stream closed after the idle timeout"
	case ctx.Err() == context.DeadlineExceeded:
		return "allowed", "stream closed at the maximum stream duration"
	case code == http.StatusForbidden:
		return "denied", "forbidden by the cluster's authorization (RBAC)"
	case code == http.StatusUnauthorized:
		return "denied", "the cluster refused the proxy's own credential"
	case code == http.StatusBadGateway:
		return "error", "the cluster's API server was unreachable"
	}
	return "allowed", ""
}

// route picks the cluster and returns the request as that cluster's API
// server should see it: the /<cluster> prefix removed.
func (p *Proxy) route(r *http.Request) (*backend, *http.Request) {
	if p.single != nil {
		return p.single, r
	}
	esc := r.URL.EscapedPath()
	rest := strings.TrimPrefix(esc, "/")
	name, tail, _ := strings.Cut(rest, "/")
	b := p.clusters[name]
	if b == nil {
		return nil, nil
	}
	tail = "/" + tail
	path, err := url.PathUnescape(tail)
	if err != nil {
		return nil, nil
	}
	out := new(http.Request)
	*out = *r
	u := *r.URL
	u.Path, u.RawPath = path, ""
	if path != tail {
		u.RawPath = tail
	}
	out.URL = &u
	return b, out
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// reservedName is the username or first group in the system: namespace
// Kubernetes reserves for its own identities, or "".
func reservedName(u user.Info) string {
	if strings.HasPrefix(u.GetName(), "system:") {
		return "user " + u.GetName()
	}
	groups := append([]string(nil), u.GetGroups()...)
	sort.Strings(groups)
	for _, g := range groups {
		if strings.HasPrefix(g, "system:") {
			return "group " + g
		}
	}
	return ""
}

// isLongRunning is kube-apiserver's notion (watch, and the streaming
// subresources), plus logs with follow=true.
func isLongRunning(info *genericapirequest.RequestInfo, r *http.Request) bool {
	if httpstream.IsUpgradeRequest(r) || info.Verb == "watch" {
		return true
	}
	switch info.Subresource {
	case "exec", "attach", "portforward", "proxy":
		return true
	case "log":
		return r.URL.Query().Get("follow") == "true"
	}
	return false
}

// maxAuditBody bounds the request body copied into a webhook record.
const maxAuditBody = 64 << 10

// captureBody returns the body of a write request for the records webhook
// and puts it back on the request: JSON as sent, protobuf (what kubectl
// sends for built-in objects) as its type and metadata (protobufSummary).
// Bodies that are or may carry credentials are never captured: Secrets,
// TokenReviews (spec.token) and anything mentioning kind Secret (a List of
// them, say).
func captureBody(r *http.Request, info *genericapirequest.RequestInfo) []byte {
	switch info.Verb {
	case "create", "update", "patch":
	default:
		return nil
	}
	ct := r.Header.Get("Content-Type")
	protobuf := strings.HasPrefix(ct, protobufContentType)
	if info.Resource == "secrets" || info.Resource == "tokenreviews" || info.Subresource == "token" ||
		r.ContentLength <= 0 || r.ContentLength > maxAuditBody || !protobuf && !strings.Contains(ct, "json") {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAuditBody+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil || len(body) > maxAuditBody {
		return nil
	}
	if protobuf {
		body = protobufSummary(body)
	}
	if bytes.Contains(body, []byte(`"Secret"`)) {
		return nil
	}
	return body
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
