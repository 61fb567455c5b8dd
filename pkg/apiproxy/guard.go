package apiproxy

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apiserver/pkg/authentication/user"
)

// Reasons of the checks in this file.
const (
	// ReasonUnsafeIdentity: a username, group, uid or extra value that an
	// Impersonate-* header cannot carry byte for byte.
	ReasonUnsafeIdentity Reason = "unsafe_identity"
	// ReasonBadRequest: a method, upgrade or path the proxy does not
	// forward.
	ReasonBadRequest Reason = "bad_request"
)

// unsafeIdentity names the first part of u the API server would not read
// back exactly as the proxy checked it, or returns "".
//
// Go's HTTP/1.1 client trims spaces and tabs around every header value as
// it writes it (net/http Header.writeSubset calls textproto.TrimString), and
// HTTP/2 forbids them (RFC 9113 section 8.2.1): a group " system:masters"
// passes a prefix check here and arrives as system:masters. Control bytes
// make the transport refuse the request (httpguts.ValidHeaderFieldValue).
// Refused, never rewritten: the identity must reach the API server as the
// issuer asserted it.
func unsafeIdentity(u user.Info) string {
	if u.GetName() == "" {
		return "an empty username"
	}
	bad := func(v string) bool {
		return !httpguts.ValidHeaderFieldValue(v) || strings.TrimSpace(v) != v
	}
	if bad(u.GetName()) {
		return fmt.Sprintf("username %q", u.GetName())
	}
	if bad(u.GetUID()) {
		return fmt.Sprintf("uid %q", u.GetUID())
	}
	for _, g := range u.GetGroups() {
		if bad(g) {
			return fmt.Sprintf("group %q", g)
		}
	}
	for k, vv := range u.GetExtra() {
		for _, v := range vv {
			if bad(v) {
				return fmt.Sprintf("extra %s value %q", k, v)
			}
		}
	}
	return ""
}

// reservedInList is the first comma-separated element of name or a group
// that is in the system: namespace, or "". The API server reads each
// Impersonate-Group header as one group, but HTTP lets any intermediary
// fold or split header lines at commas (RFC 9110 section 5.3), so a group
// "dev,system:masters" is refused like system:masters itself.
func reservedInList(u user.Info) string {
	check := func(kind, v string) string {
		if !strings.Contains(v, ",") {
			return ""
		}
		for _, part := range strings.Split(v, ",") {
			if strings.HasPrefix(strings.TrimSpace(part), "system:") {
				return kind + " " + v
			}
		}
		return ""
	}
	if r := check("user", u.GetName()); r != "" {
		return r
	}
	for _, g := range u.GetGroups() {
		if r := check("group", g); r != "" {
			return r
		}
	}
	return ""
}

// forwardedMethods are the methods the API server serves: the verbs of
// k8s.io/apiserver's RequestInfoFactory and the proxy subresources'
// proxyMethods (kubernetes pkg/registry/core/pod/rest/subresources.go).
// CONNECT (HTTP/2 extended CONNECT tunnels) and TRACE are refused.
var forwardedMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// badRequest says why r is not forwarded, or returns "". It runs before the
// token is checked: nothing about r depends on who sends it.
func badRequest(r *http.Request, path string) string {
	if !forwardedMethods[r.Method] {
		return fmt.Sprintf("method %s is not served by the Kubernetes API", r.Method)
	}
	// The upgrade the ReverseProxy would forward is its upgradeType: the
	// Upgrade header when Connection lists "upgrade". The API server
	// upgrades to SPDY/3.1 (k8s.io/apimachinery util/httpstream/spdy) and
	// websocket (k8s.io/streaming wsstream.IsWebSocketRequest) only; an
	// h2c upgrade would open an HTTP/2 connection to the API server on
	// which later requests carry neither the proxy's token nor the
	// impersonation headers.
	if r.Header.Get("Upgrade") != "" || httpguts.HeaderValuesContainsToken(r.Header["Connection"], "upgrade") {
		up := r.Header.Values("Upgrade")
		if len(up) != 1 || !strings.EqualFold(up[0], "SPDY/3.1") && !strings.EqualFold(up[0], "websocket") {
			return fmt.Sprintf("upgrade %q is not one the Kubernetes API serves (SPDY/3.1, websocket)", strings.Join(up, ", "))
		}
	}
	// A chunked body may end in trailers; Go's server keeps them out of
	// r.Header, where the checks above and the API server's
	// impersonation filter look, so one declaring an identity header is
	// refused rather than left for an intermediary to merge into the
	// headers.
	for k := range r.Trailer {
		if isIdentityHeader(k) {
			return fmt.Sprintf("trailer %s carries an identity", k)
		}
	}
	// No object is reachable through a "." or ".." segment (their names
	// are refused by k8s.io/apimachinery api/validation/path), clients
	// clean them (client-go builds paths with path.Join), and the API
	// server authorizes them as literal resource names: refused here so
	// that no intermediary can resolve them into a path the audit line
	// does not describe.
	for rest := path; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "." || seg == ".." {
			return fmt.Sprintf("path %q has a %q segment", path, seg)
		}
	}
	return ""
}

// bearerProtocolPrefix marks the Sec-WebSocket-Protocol entry that carries a
// bearer token, for browsers, which cannot set Authorization on a
// WebSocket (k8s.io/apiserver pkg/authentication/request/websocket).
const bearerProtocolPrefix = "base64url.bearer.authorization.k8s.io."

// requestToken is the client's bearer token: the Authorization header, or,
// on a WebSocket upgrade without one, the token subprotocol read as the API
// server's websocket ProtocolAuthenticator reads it (one token entry, at
// least one other subprotocol to answer with, base64url without padding,
// valid UTF-8).
func requestToken(r *http.Request) (string, bool) {
	if len(r.Header.Values("Authorization")) > 0 {
		return bearerToken(r)
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !httpstream.IsUpgradeRequest(r) {
		return "", false
	}
	token, others, n := "", 0, 0
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			p = strings.TrimSpace(p)
			enc, ok := strings.CutPrefix(p, bearerProtocolPrefix)
			if !ok {
				others++
				continue
			}
			n++
			dec, err := base64.RawURLEncoding.DecodeString(enc)
			if err != nil || !utf8.Valid(dec) {
				return "", false
			}
			token = string(dec)
		}
	}
	if n != 1 || others == 0 || token == "" {
		return "", false
	}
	return token, true
}

// stripBearerProtocol removes every token subprotocol from h: the cluster
// sees the proxy's credential only, and the user's token must not travel on
// to the API server's logs or the kubelet.
func stripBearerProtocol(h http.Header) {
	vv := h.Values("Sec-WebSocket-Protocol")
	if len(vv) == 0 {
		return
	}
	var keep []string
	for _, v := range vv {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(p, bearerProtocolPrefix) {
				keep = append(keep, p)
			}
		}
	}
	h.Del("Sec-WebSocket-Protocol")
	if len(keep) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(keep, ", "))
	}
}

// auditURI is the request URI for the audit line with the value of any
// access_token query parameter replaced: the proxy never reads a token from
// the query (nor does the API server), but a client that puts one there must
// not find it in the logs or the webhook's records.
func auditURI(u *url.URL) string {
	if u.RawQuery == "" || !strings.Contains(strings.ToLower(u.RawQuery), "token") {
		return u.RequestURI()
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err != nil || strings.EqualFold(key, "access_token") {
			parts[i] = k + "=REDACTED"
		}
	}
	c := *u
	c.RawQuery = strings.Join(parts, "&")
	return c.RequestURI()
}
