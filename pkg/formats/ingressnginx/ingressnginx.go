package ingressnginx

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Prefix is ingress-nginx's default annotation prefix (--annotations-prefix).
const Prefix = "nginx.ingress.kubernetes.io/"

// Annotation names without Prefix.
const (
	AuthURL                 = "auth-url"
	AuthSignin              = "auth-signin"
	AuthSigninRedirectParam = "auth-signin-redirect-param"
	AuthResponseHeaders     = "auth-response-headers"
	AuthRequestRedirect     = "auth-request-redirect"
	AuthCacheKey            = "auth-cache-key"
	AuthCacheDuration       = "auth-cache-duration"
	AuthMethod              = "auth-method"
	AuthAlwaysSetCookie     = "auth-always-set-cookie"
	AuthProxySetHeaders     = "auth-proxy-set-headers"
	AuthKeepalive           = "auth-keepalive"
	AuthKeepaliveRequests   = "auth-keepalive-requests"
	AuthKeepaliveTimeout    = "auth-keepalive-timeout"
	AuthKeepaliveShareVars  = "auth-keepalive-share-vars"
	ProxyBufferSize         = "proxy-buffer-size"
	BackendProtocol         = "backend-protocol"
	WhitelistSourceRange    = "whitelist-source-range"
	AllowlistSourceRange    = "allowlist-source-range"
	DenylistSourceRange     = "denylist-source-range"
	Satisfy                 = "satisfy"
	AuthSnippet             = "auth-snippet"
	ConfigurationSnippet    = "configuration-snippet"
	ServerSnippet           = "server-snippet"
)

// Key is the full annotation key of name.
func Key(name string) string { return Prefix + name }

// Auth is the typed form of an Ingress's auth-related ingress-nginx
// annotations. A zero field is an annotation that is not set; Has tells
// an annotation set to "" apart from an absent one.
type Auth struct {
	URL                 string
	Signin              string
	SigninRedirectParam string
	ResponseHeaders     []string
	RequestRedirect     string
	CacheKey            string
	CacheDuration       []string
	Method              string
	AlwaysSetCookie     bool
	// ProxySetHeaders names a ConfigMap (namespace/name) of headers sent
	// to the auth service.
	ProxySetHeaders      string
	Keepalive            *int
	KeepaliveRequests    *int
	KeepaliveTimeout     *int
	KeepaliveShareVars   bool
	ProxyBufferSize      string
	BackendProtocol      string
	WhitelistSourceRange []string
	AllowlistSourceRange []string
	DenylistSourceRange  []string
	Satisfy              string
	// Snippets holds auth-snippet, configuration-snippet, server-snippet
	// and every other *-snippet by name: raw nginx configuration that
	// ingress-nginx does not validate. Parse keeps them for doctor and import to judge;
	// authstack never prints one (Annotations refuses).
	Snippets map[string]string

	set map[string]bool
}

// Has reports whether the annotation name (without Prefix) was given to
// Parse, even with an empty value.
func (a *Auth) Has(name string) bool { return a.set[name] }

// Guarded reports whether ingress-nginx asks an auth service for the
// Ingress's requests: only an Ingress with auth-url is guarded
// (authreq.Parse returns "annotation missing" without it).
func (a *Auth) Guarded() bool { return a.URL != "" }

// ResponseHeader reports whether auth-response-headers lists h (header
// names are case-insensitive).
func (a *Auth) ResponseHeader(h string) bool {
	for _, v := range a.ResponseHeaders {
		if strings.EqualFold(v, h) {
			return true
		}
	}
	return false
}

// AnnotationError is a value ingress-nginx refuses, named by its
// annotation key.
type AnnotationError struct {
	Key string
	Err error
}

func (e *AnnotationError) Error() string { return fmt.Sprintf("annotation %s: %v", e.Key, e.Err) }
func (e *AnnotationError) Unwrap() error { return e.Err }

// The value syntax ingress-nginx accepts (authreq/main.go headerRegexp,
// statusCodeRegex, durationRegex, methods; proxy/main.go size values
// follow nginx's size syntax).
var (
	headerName    = regexp.MustCompile(`^[a-zA-Z\d\-_]+$`)
	statusCode    = regexp.MustCompile(`^\d{3}$`)
	nginxDuration = regexp.MustCompile(`^\d+(ms|s|m|h|d|w|M|y)$`)
	nginxSize     = regexp.MustCompile(`^\d+[bBkKmMgG]?$`)
	methods       = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}
	// backendprotocol/main.go validProtocols, the union over releases
	// (AJP in older ones, FCGI in newer ones).
	protocols      = []string{"HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "AJP", "FCGI"}
	satisfyValues  = []string{"any", "all"}
	truthy, falsey = []string{"true", "True", "TRUE", "1", "t", "T"}, []string{"false", "False", "FALSE", "0", "f", "F"}
)

// Parse reads the auth-related annotations out of an Ingress's
// annotations; keys without Prefix and other annotations are ignored. The
// fields hold the values as written (lists trimmed), so doctor can show
// them; the error joins one *AnnotationError per value ingress-nginx
// refuses. For those ingress-nginx does not apply the value as written: the
// authreq and source-range parsers deny the location (LocationDenied, the
// location answers 503), others fall back to a default.
func Parse(annotations map[string]string) (*Auth, error) {
	a := &Auth{set: map[string]bool{}}
	var errs []error
	fail := func(name, format string, args ...any) {
		errs = append(errs, &AnnotationError{Key: Key(name), Err: fmt.Errorf(format, args...)})
	}
	get := func(name string) (string, bool) {
		v, ok := annotations[Key(name)]
		if ok {
			a.set[name] = true
		}
		return v, ok
	}
	if v, ok := get(AuthURL); ok {
		// ingress-nginx parser.StringToURL: a scheme and a host are
		// required, and a host with ".." is refused.
		a.URL = v
		if err := absoluteURL(v); err != nil {
			fail(AuthURL, "%v", err)
		}
	}
	if v, ok := get(AuthSignin); ok {
		// nginx redirects to auth-signin as written; a relative one stays
		// on the app's host, which ingress-nginx accepts.
		a.Signin = v
		if err := absoluteURL(v); v != "" && strings.Contains(v, "://") && err != nil {
			fail(AuthSignin, "%v", err)
		}
	}
	a.SigninRedirectParam, _ = get(AuthSigninRedirectParam)
	if v, ok := get(AuthMethod); ok && v != "" {
		a.Method = v
		if !slices.Contains(methods, v) {
			fail(AuthMethod, "%q is not an HTTP method (one of %s)", v, strings.Join(methods, ", "))
		}
	}
	if v, ok := get(AuthResponseHeaders); ok {
		var bad []string
		a.ResponseHeaders = splitList(v)
		for _, h := range a.ResponseHeaders {
			if !headerName.MatchString(h) {
				bad = append(bad, h)
			}
		}
		if len(bad) > 0 {
			fail(AuthResponseHeaders, "invalid header names %q: ingress-nginx refuses the whole list (letters, digits, - and _ only)", bad)
		}
	}
	a.RequestRedirect, _ = get(AuthRequestRedirect)
	a.CacheKey, _ = get(AuthCacheKey)
	if v, ok := get(AuthCacheDuration); ok {
		a.CacheDuration = splitList(v)
		for _, d := range a.CacheDuration {
			if !validCacheDuration(d) {
				fail(AuthCacheDuration, "invalid cache duration %q: want [status codes] time, as \"200 202 10m\"", d)
			}
		}
	}
	if v, ok := get(AuthAlwaysSetCookie); ok {
		a.AlwaysSetCookie = parseBool(AuthAlwaysSetCookie, v, fail)
	}
	a.ProxySetHeaders, _ = get(AuthProxySetHeaders)
	a.Keepalive = parseInt(AuthKeepalive, get, fail)
	a.KeepaliveRequests = parseInt(AuthKeepaliveRequests, get, fail)
	a.KeepaliveTimeout = parseInt(AuthKeepaliveTimeout, get, fail)
	if v, ok := get(AuthKeepaliveShareVars); ok {
		a.KeepaliveShareVars = parseBool(AuthKeepaliveShareVars, v, fail)
	}
	if v, ok := get(ProxyBufferSize); ok {
		a.ProxyBufferSize = v
		if !nginxSize.MatchString(strings.TrimSpace(v)) {
			fail(ProxyBufferSize, "%q is not an nginx size (as 16k)", v)
		}
	}
	if v, ok := get(BackendProtocol); ok {
		// ingress-nginx upper-cases the value and falls back to HTTP on an
		// unknown one, logging "is not a valid value for the
		// backend-protocol annotation. Using HTTP as protocol"
		// (backendprotocol/main.go): not what the user meant.
		a.BackendProtocol = v
		if !slices.Contains(protocols, strings.ToUpper(strings.TrimSpace(v))) {
			fail(BackendProtocol, "%q is not one of %s", v, strings.Join(protocols, ", "))
		}
	}
	for _, r := range []struct {
		name string
		into *[]string
	}{{WhitelistSourceRange, &a.WhitelistSourceRange}, {AllowlistSourceRange, &a.AllowlistSourceRange}, {DenylistSourceRange, &a.DenylistSourceRange}} {
		v, ok := get(r.name)
		if !ok {
			continue
		}
		// ipallowlist/ipdenylist: a list of CIDRs or addresses; one bad
		// entry denies the location.
		*r.into = splitList(v)
		for _, c := range *r.into {
			if !validRange(c) {
				fail(r.name, "%q is not an IP address or CIDR", c)
			}
		}
	}
	if v, ok := get(Satisfy); ok {
		a.Satisfy = v
		if v != "" && !slices.Contains(satisfyValues, v) {
			fail(Satisfy, "%q is not any or all", v)
		}
	}
	// Every *-snippet annotation (configuration, server, auth, stream,
	// modsecurity) is raw nginx configuration.
	for k, v := range annotations {
		if name, ok := strings.CutPrefix(k, Prefix); ok && strings.HasSuffix(name, "-snippet") {
			a.set[name] = true
			if a.Snippets == nil {
				a.Snippets = map[string]string{}
			}
			a.Snippets[name] = v
		}
	}
	return a, errors.Join(errs...)
}

// Annotations prints the model as an Ingress's annotations, the inverse of
// Parse. It refuses snippets: authstack never writes raw nginx
// configuration (they are disabled on secure controllers, and can set
// identity headers behind oauth2-proxy's back).
func (a *Auth) Annotations() (map[string]string, error) {
	if len(a.Snippets) > 0 {
		names := make([]string, 0, len(a.Snippets))
		for k := range a.Snippets {
			names = append(names, Key(k))
		}
		sort.Strings(names)
		return nil, fmt.Errorf("annotations %s: authstack renders no nginx snippet; use the dedicated annotations", strings.Join(names, ", "))
	}
	out := map[string]string{}
	put := func(name, v string) {
		if v != "" || a.set[name] {
			out[Key(name)] = v
		}
	}
	putBool := func(name string, v bool) {
		if v || a.set[name] {
			out[Key(name)] = strconv.FormatBool(v)
		}
	}
	putInt := func(name string, v *int) {
		if v != nil {
			out[Key(name)] = strconv.Itoa(*v)
		}
	}
	put(AuthURL, a.URL)
	put(AuthSignin, a.Signin)
	put(AuthSigninRedirectParam, a.SigninRedirectParam)
	put(AuthResponseHeaders, strings.Join(a.ResponseHeaders, ","))
	put(AuthRequestRedirect, a.RequestRedirect)
	put(AuthCacheKey, a.CacheKey)
	put(AuthCacheDuration, strings.Join(a.CacheDuration, ","))
	put(AuthMethod, a.Method)
	putBool(AuthAlwaysSetCookie, a.AlwaysSetCookie)
	put(AuthProxySetHeaders, a.ProxySetHeaders)
	putInt(AuthKeepalive, a.Keepalive)
	putInt(AuthKeepaliveRequests, a.KeepaliveRequests)
	putInt(AuthKeepaliveTimeout, a.KeepaliveTimeout)
	putBool(AuthKeepaliveShareVars, a.KeepaliveShareVars)
	put(ProxyBufferSize, a.ProxyBufferSize)
	put(BackendProtocol, a.BackendProtocol)
	put(WhitelistSourceRange, strings.Join(a.WhitelistSourceRange, ","))
	put(AllowlistSourceRange, strings.Join(a.AllowlistSourceRange, ","))
	put(DenylistSourceRange, strings.Join(a.DenylistSourceRange, ","))
	put(Satisfy, a.Satisfy)
	return out, nil
}

// ParseSize reads an nginx size ("16k", "1m", "4096") in bytes: the
// syntax ingress-nginx's annotation validation accepts (parser.SizeRegex,
// b, k, m and g suffixes, either case).
func ParseSize(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !nginxSize.MatchString(s) {
		return 0, false
	}
	mult := 1
	switch s[len(s)-1] {
	case 'k':
		mult = 1 << 10
	case 'm':
		mult = 1 << 20
	case 'g':
		mult = 1 << 30
	}
	n, err := strconv.Atoi(strings.TrimRight(s, "bkmg"))
	if err != nil {
		return 0, false
	}
	return n * mult, true
}

// absoluteURL is ingress-nginx's parser.StringToURL rule.
func absoluteURL(v string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a valid URL: %v", v, err)
	case u.Scheme == "":
		return fmt.Errorf("%q is not an absolute URL: the scheme is empty", v)
	case u.Host == "":
		return fmt.Errorf("%q is not an absolute URL: the host is empty", v)
	case strings.Contains(u.Host, ".."):
		return fmt.Errorf("%q has an invalid host", v)
	}
	return nil
}

// splitList reads ingress-nginx's comma lists: entries trimmed, empty ones
// skipped.
func splitList(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// validCacheDuration is authreq's ValidCacheDuration: status codes, then at
// least one nginx time; no code after a time (other words are ignored, as
// there).
func validCacheDuration(d string) bool {
	seenTime := false
	for _, e := range strings.Fields(d) {
		switch {
		case statusCode.MatchString(e):
			if seenTime {
				return false
			}
		case nginxDuration.MatchString(e):
			seenTime = true
		}
	}
	return seenTime
}

func validRange(c string) bool {
	if _, _, err := net.ParseCIDR(c); err == nil {
		return true
	}
	return net.ParseIP(c) != nil
}

// parseBool follows ingress-nginx's parser.GetBoolAnnotation (strconv.ParseBool).
func parseBool(name, v string, fail func(string, string, ...any)) bool {
	switch {
	case slices.Contains(truthy, v):
		return true
	case slices.Contains(falsey, v):
		return false
	}
	fail(name, "%q is not true or false", v)
	return false
}

func parseInt(name string, get func(string) (string, bool), fail func(string, string, ...any)) *int {
	v, ok := get(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		fail(name, "%q is not a number", v)
		return nil
	}
	return &n
}
