package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxSteps bounds the redirects and forms of one login; dex's LDAP login
// takes about eight.
const maxSteps = 30

// browser drives a login the way a person's browser does: it follows
// redirects, picks the connector on dex's login page, fills in the username
// and password form and approves the request if dex asks. Cookies are kept in
// the client's jar across flows.
type browser struct {
	client    *http.Client
	issuer    *url.URL
	connector string
	username  string
	password  string
}

// flowResult is where a flow ended.
type flowResult struct {
	// redirect is the intercepted redirect, when stop matched one.
	redirect *url.URL
	// final is the last page fetched when nothing was intercepted.
	final  *url.URL
	status int
	page   *page
	body   []byte
	// trail lists each request, for details: "GET 127.0.0.1:1234/ 302".
	trail []string
	// sawIssuer says whether the flow passed through the issuer.
	sawIssuer bool
}

// loginError is a login that dex refused, with what dex said.
type loginError struct{ msg string }

func (e *loginError) Error() string { return e.msg }

// newBrowserClient returns a client that never follows redirects itself:
// the browser does, so that it can intercept them.
func newBrowserClient(transport http.RoundTripper, jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport:     transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (b *browser) onIssuer(u *url.URL) bool {
	return u.Scheme == b.issuer.Scheme && u.Host == b.issuer.Host && strings.HasPrefix(u.Path, b.issuer.Path)
}

// run starts at start and follows the flow until stop matches a redirect
// target or a page outside the issuer is reached.
func (b *browser) run(ctx context.Context, start *url.URL, stop func(*url.URL) bool) (*flowResult, error) {
	res := &flowResult{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, start.String(), nil)
	if err != nil {
		return res, err
	}
	submitted := false
	for range maxSteps {
		resp, err := b.client.Do(req)
		if err != nil {
			return res, fmt.Errorf("%s %s: %w", req.Method, hostPath(req.URL), err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
		resp.Body.Close()
		if err != nil {
			return res, fmt.Errorf("%s %s: %w", req.Method, hostPath(req.URL), err)
		}
		res.trail = append(res.trail, fmt.Sprintf("%s %s %d", req.Method, hostPath(req.URL), resp.StatusCode))
		onIssuer := b.onIssuer(req.URL)
		res.sawIssuer = res.sawIssuer || onIssuer
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return res, fmt.Errorf("%s %s: bad redirect %q: %w", req.Method, hostPath(req.URL), loc, err)
			}
			if stop != nil && stop(next) {
				res.redirect = next
				return res, nil
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
				return res, err
			}
			continue
		}
		var p *page
		if strings.Contains(resp.Header.Get("Content-Type"), "html") {
			if p, err = parsePage(strings.NewReader(string(body))); err != nil {
				return res, fmt.Errorf("%s %s: %w", req.Method, hostPath(req.URL), err)
			}
		}
		if !onIssuer {
			res.final, res.status, res.page, res.body = req.URL, resp.StatusCode, p, body
			return res, nil
		}
		if resp.StatusCode != http.StatusOK || p == nil {
			return res, &loginError{fmt.Sprintf("dex answered %d at %s: %s", resp.StatusCode, hostPath(req.URL), pageMessage(p, body))}
		}
		next, err := b.step(ctx, req.URL, p, &submitted)
		if err != nil {
			return res, err
		}
		req = next
	}
	return res, fmt.Errorf("login did not finish after %d steps: %s", maxSteps, strings.Join(res.trail, ", "))
}

// step decides what a person would do on a dex page.
func (b *browser) step(ctx context.Context, at *url.URL, p *page, submitted *bool) (*http.Request, error) {
	for i := range p.forms {
		f := &p.forms[i]
		if pw := f.passwordField(); pw != "" {
			if *submitted {
				return nil, &loginError{fmt.Sprintf("dex showed the login form again after the password was submitted: %s", pageMessage(p, nil))}
			}
			*submitted = true
			v := f.hiddenValues()
			if user := f.usernameField(); user != "" {
				v.Set(user, b.username)
			}
			v.Set(pw, b.password)
			return b.submit(ctx, at, f, v)
		}
		if val, ok := f.submitValue("approval"); ok && val == "approve" {
			v := f.hiddenValues()
			v.Set("approval", "approve")
			return b.submit(ctx, at, f, v)
		}
	}
	var choices []string
	for _, l := range p.links {
		u, err := at.Parse(l.href)
		if err != nil || !b.onIssuer(u) {
			continue
		}
		i := strings.LastIndex(u.Path, "/auth/")
		if i < 0 {
			continue
		}
		id := u.Path[i+len("/auth/"):]
		if id == b.connector {
			return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		}
		choices = append(choices, id)
	}
	if len(choices) > 0 {
		return nil, &loginError{fmt.Sprintf("dex's login page offers connectors %v but not %q", choices, b.connector)}
	}
	return nil, &loginError{fmt.Sprintf("dex page %s has no login form, approval or connector link: %s", hostPath(at), pageMessage(p, nil))}
}

func (f *form) hiddenValues() url.Values {
	v := url.Values{}
	for _, in := range f.inputs {
		if in.typ == "hidden" {
			v.Set(in.name, in.value)
		}
	}
	return v
}

func (b *browser) submit(ctx context.Context, at *url.URL, f *form, v url.Values) (*http.Request, error) {
	target, err := at.Parse(f.action)
	if err != nil {
		return nil, fmt.Errorf("form action %q: %w", f.action, err)
	}
	if f.method == http.MethodGet {
		target.RawQuery = v.Encode()
		return http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// pageMessage is what a person would read on an error page: the error boxes
// if there are any, else the page text, shortened.
func pageMessage(p *page, body []byte) string {
	switch {
	case p != nil && len(p.errors) > 0:
		return short(strings.Join(p.errors, "; "), 300)
	case p != nil && p.text != "":
		return short(p.text, 300)
	}
	return short(collapse(string(body)), 300)
}

func hostPath(u *url.URL) string { return u.Host + u.Path }
