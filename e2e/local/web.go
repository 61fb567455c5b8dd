//go:build e2e

package local

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/testenv"
)

// The attack suite drives the login over plain HTTP rather than Chromium:
// it must stop half-way (a callback URL not yet visited), send headers and
// cookies a browser would not, and read every Set-Cookie header.

// cookieLog keeps every Set-Cookie header a web client received.
type cookieLog struct {
	mu   sync.Mutex
	seen []seenCookie
}

type seenCookie struct {
	// URL is the request that got the header.
	URL    string
	Header string
}

func (l *cookieLog) add(u *url.URL, headers []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range headers {
		l.seen = append(l.seen, seenCookie{URL: u.String(), Header: h})
	}
}

func (l *cookieLog) all() []seenCookie {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]seenCookie(nil), l.seen...)
}

// web is one browser: a cookie jar shared by all hosts of the tier (they
// are all "localhost"; cookies ignore ports, as in a browser), no automatic
// redirects.
type web struct {
	s   *Stack
	c   *http.Client
	jar *cookiejar.Jar
	log *cookieLog
}

func (s *Stack) newWeb(t testing.TB, log *cookieLog) *web {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &web{s: s, jar: jar, log: log, c: &http.Client{
		Transport: s.HTTP.Transport, Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a finished exchange: the body is read and closed.
type response struct {
	Status   int
	Header   http.Header
	Body     string
	URL      *url.URL
	Location string
}

// do sends req with the jar's cookies and records what comes back.
func (w *web) do(t testing.TB, req *http.Request) *response {
	t.Helper()
	return doRecorded(t, w.c, w.log, req)
}

// raw sends req with exactly the cookies and headers the test set, outside
// any jar: an attacker's hand-made request.
func (s *Stack) raw(t testing.TB, log *cookieLog, req *http.Request) *response {
	t.Helper()
	c := &http.Client{Transport: s.HTTP.Transport, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return doRecorded(t, c, log, req)
}

func doRecorded(t testing.TB, c *http.Client, log *cookieLog, req *http.Request) *response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	if log != nil {
		log.add(req.URL, resp.Header.Values("Set-Cookie"))
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: string(body), URL: req.URL, Location: resp.Header.Get("Location")}
}

func newRequest(t testing.TB, method, target string, hdr http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

func (w *web) get(t testing.TB, target string, hdr http.Header) *response {
	t.Helper()
	return w.do(t, newRequest(t, http.MethodGet, target, hdr))
}

var formAction = regexp.MustCompile(`<form[^>]*\saction="([^"]*)"`)

// untilCallback opens start (an app page or /oauth2/start), follows the
// redirects to dex, submits u's credentials on dex's password form and
// follows dex's redirects until one points at an oauth2-proxy callback,
// which it returns without visiting. hdr goes with the first request only.
func (w *web) untilCallback(t testing.TB, start string, u ldapUser, hdr http.Header) string {
	t.Helper()
	req := newRequest(t, http.MethodGet, start, hdr)
	posted := false
	for hop := 0; hop < 20; hop++ {
		resp := w.do(t, req)
		switch {
		case resp.Status >= 300 && resp.Status < 400:
			next, err := resp.URL.Parse(resp.Location)
			if err != nil || resp.Location == "" {
				t.Fatalf("%s: %d with Location %q (%v)", resp.URL, resp.Status, resp.Location, err)
			}
			if next.Path == "/oauth2/callback" {
				return next.String()
			}
			req = newRequest(t, http.MethodGet, next.String(), nil)
		case resp.Status == http.StatusOK && strings.Contains(resp.Body, `name="password"`):
			if posted {
				t.Fatalf("dex showed its password form again after %s's credentials (wrong password?) at %s", u.UID, resp.URL)
			}
			action := resp.URL
			if m := formAction.FindStringSubmatch(resp.Body); m != nil {
				a, err := resp.URL.Parse(html.UnescapeString(m[1]))
				if err != nil {
					t.Fatalf("dex's form action %q: %v", m[1], err)
				}
				action = a
			}
			form := url.Values{"login": {u.UID}, "password": {u.Password}}
			req = newRequest(t, http.MethodPost, action.String(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			req.Body = io.NopCloser(strings.NewReader(form.Encode()))
			req.ContentLength = int64(len(form.Encode()))
			posted = true
		default:
			t.Fatalf("login as %s from %s stopped at %s: %d\n%s\nnginx error.log:\n%s", u.UID, start, resp.URL, resp.Status, snippet(resp.Body),
				testenv.Tail(filepath.Join(w.s.Dir, "nginx", "error.log"), 10)+"\naccess.log:\n"+testenv.Tail(filepath.Join(w.s.Dir, "nginx", "access.log"), 10))
		}
	}
	t.Fatalf("login as %s from %s: more than 20 hops", u.UID, start)
	return ""
}

// login signs u in to the app at appURL as a browser does and returns the
// callback's response (oauth2-proxy's redirect back to the app).
func (w *web) login(t testing.TB, appURL string, u ldapUser) *response {
	t.Helper()
	cb := w.untilCallback(t, appURL, u, nil)
	resp := w.get(t, cb, nil)
	if resp.Status != http.StatusFound {
		t.Fatalf("oauth2-proxy's callback for %s: %d, want 302\n%s", u.UID, resp.Status, snippet(resp.Body))
	}
	return resp
}

// sessionCookies are the jar's cookies for app that are its session: the
// cookie named name or oauth2-proxy's chunks of it (name_0, name_1, ...).
func (w *web) sessionCookies(app appTarget) []*http.Cookie {
	u, err := url.Parse(app.URL)
	if err != nil {
		return nil
	}
	var out []*http.Cookie
	for _, c := range w.jar.Cookies(u) {
		if isSessionCookie(c.Name, app.Cookie) {
			out = append(out, c)
		}
	}
	return out
}

// isSessionCookie says whether cookie is the session cookie name or one of
// its chunks; the CSRF cookie (name_csrf) is not.
func isSessionCookie(cookie, name string) bool {
	if cookie == name {
		return true
	}
	rest, ok := strings.CutPrefix(cookie, name+"_")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// cookieHeader is the Cookie header carrying cookies, renamed to name (and
// its chunks) when name is not empty.
func cookieHeader(cookies []*http.Cookie, rename string) string {
	parts := make([]string, 0, len(cookies))
	for _, c := range cookies {
		n := c.Name
		if rename != "" {
			// Keep the chunk suffix, change the prefix.
			if i := strings.LastIndex(n, "_"); i > 0 && isSessionCookie(n, n[:i]) {
				n = rename + n[i:]
			} else {
				n = rename
			}
		}
		parts = append(parts, n+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// browserTarget resolves a Location header as a browser does. The WHATWG
// URL parser drops tabs and newlines and treats a backslash as a slash in
// http(s) URLs, so "/\evil.example" leaves the site although Go's
// url.Parse reads it as a path.
func browserTarget(base *url.URL, location string) (*url.URL, error) {
	clean := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(strings.TrimSpace(location))
	return base.Parse(clean)
}

// snippet shortens a body for an error message.
func snippet(body string) string {
	if len(body) > 600 {
		return body[:600] + "…"
	}
	return body
}

var elementText = regexp.MustCompile(`(?s)<(?:p|pre) id="([^"]+)">(.*?)</(?:p|pre)>`)

// pageFields are the texts of the elements with an id on an app's page.
func pageFields(body string) map[string]string {
	out := map[string]string{}
	for _, m := range elementText.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}
