package authproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Upstream is where the proxy currently sends requests: the local end of
// the port-forward. It changes when the forward is re-established.
type Upstream struct{ url atomic.Pointer[url.URL] }

// Set points the proxy at scheme://addr; an empty addr means the forward is
// down and requests get 503 until it is back.
func (u *Upstream) Set(scheme, addr string) {
	if addr == "" {
		u.url.Store(nil)
		return
	}
	u.url.Store(&url.URL{Scheme: scheme, Host: addr})
}

func (u *Upstream) get() *url.URL { return u.url.Load() }

// NewHandler serves the UI at upstream as the credential's user to a browser
// on listen (host:port of the loopback listener).
//
// It answers only requests addressed to listen by name (DNS rebinding: a
// page on evil.example whose name later resolves to 127.0.0.1 sends
// Host: evil.example) and refuses requests another site makes the browser
// send (CSRF: the proxy adds the user's token to whatever reaches it, so a
// form on another site must not reach it). The browser's own Authorization
// and impersonation headers are dropped before the user's token is added.
func NewHandler(listen string, upstream *Upstream, cred *Credential) (http.Handler, error) {
	// The upstream is the local end of our own port-forward on the loopback
	// interface, reached only through the API server's authenticated tunnel:
	// the UI's certificate is typically self-signed (the Dashboard makes
	// one at start-up) and names no host we could check, so it is not
	// verified here. The dialer refuses anything but loopback so that this
	// never applies to another host.
	base := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("upstream %s is not the loopback port-forward", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback port-forward, see above
		ForceAttemptHTTP2:     false,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0,
	}
	rt, err := cred.Wrap(base)
	if err != nil {
		return nil, err
	}
	allowed, err := allowedHosts(listen)
	if err != nil {
		return nil, err
	}
	origin := "http://" + listen
	rp := &httputil.ReverseProxy{
		Transport: rt,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream.get())
			stripCredentials(r.Out.Header)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status := http.StatusBadGateway
			if errors.Is(err, ErrNoBearerToken) {
				status = http.StatusInternalServerError
			}
			http.Error(w, "authstack proxy: "+err.Error(), status)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[strings.ToLower(r.Host)] {
			http.Error(w, fmt.Sprintf("authstack proxy: host %q is not %s; open %s", r.Host, listen, origin), http.StatusMisdirectedRequest)
			return
		}
		if reason := crossSite(r, allowed); reason != "" {
			http.Error(w, "authstack proxy: refused a request from another site ("+reason+"); open "+origin+" directly", http.StatusForbidden)
			return
		}
		if upstream.get() == nil {
			http.Error(w, "authstack proxy: the port-forward is reconnecting; reload in a moment", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}), nil
}

// allowedHosts are the Host headers a browser sends for listen: the address
// itself and, for the loopback addresses, localhost with the same port.
func allowedHosts(listen string) (map[string]bool, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	allowed := map[string]bool{strings.ToLower(listen): true, "localhost:" + port: true}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen address %q is not a loopback address", listen)
	}
	return allowed, nil
}

// stripCredentials drops what the browser sent that would decide who the UI
// acts as: the proxy alone does that.
func stripCredentials(h http.Header) {
	h.Del("Authorization")
	h.Del("Proxy-Authorization")
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
			h.Del(k)
		}
	}
}

// crossSite says why r was sent by another site, or "" when it was not.
// Browsers send Sec-Fetch-Site on every request (Fetch Metadata) and Origin
// on every cross-origin and every non-GET request; a request that carries
// neither comes from a non-browser client on this machine, which the
// loopback listener already lets in. Top-level GET navigations from another
// site (a bookmark, a link) are let through: they carry no form data.
func crossSite(r *http.Request, allowed map[string]bool) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead
		if !(safe && r.Header.Get("Sec-Fetch-Mode") == "navigate") {
			return "Sec-Fetch-Site: " + site
		}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !allowed[strings.ToLower(u.Host)] {
			return "Origin: " + o
		}
	}
	return ""
}
