package doctor

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// issuerDiff explains how two issuer strings differ; the API server and
// every OIDC library compare them byte for byte.
func issuerDiff(got, want string) string {
	if got == want {
		return ""
	}
	if got == "" || want == "" {
		return "one of them is empty"
	}
	if strings.TrimRight(got, "/") == strings.TrimRight(want, "/") {
		return "they differ only by a trailing slash"
	}
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	if err1 != nil || err2 != nil {
		return "they are different strings"
	}
	var diffs []string
	if g.Scheme != w.Scheme {
		diffs = append(diffs, fmt.Sprintf("scheme %q vs %q", g.Scheme, w.Scheme))
	}
	if !strings.EqualFold(g.Host, w.Host) {
		diffs = append(diffs, fmt.Sprintf("host %q vs %q", g.Host, w.Host))
	} else if g.Host != w.Host {
		diffs = append(diffs, "host letter case")
	}
	if strings.TrimRight(g.Path, "/") != strings.TrimRight(w.Path, "/") {
		diffs = append(diffs, fmt.Sprintf("path %q vs %q", g.Path, w.Path))
	}
	if len(diffs) == 0 {
		return "they are different strings"
	}
	return "they differ in " + strings.Join(diffs, ", ")
}

// issuers are the issuers the API server trusts, across every view.
func (m *Model) jwts() []*JWTAuth {
	var out []*JWTAuth
	for _, a := range m.APIServers {
		out = append(out, a.JWT...)
	}
	return out
}

// skipNoIssuer is the skip of a check on the API server's issuers when its
// settings name none (only --authentication-config without the file, or an
// AuthenticationConfiguration without jwt).
func (m *Model) skipNoIssuer() []Finding {
	if len(m.jwts()) > 0 {
		return nil
	}
	return []Finding{skip("the API server's settings name no issuer")}
}

// jwtFor is the authenticator that would handle a token from iss: the exact
// match, or the closest one so that the other checks still say something.
func (m *Model) jwtFor(iss string) (j *JWTAuth, exact bool) {
	all := m.jwts()
	for _, j := range all {
		if j.Issuer == iss {
			return j, true
		}
	}
	for _, j := range all {
		if strings.EqualFold(strings.TrimRight(j.Issuer, "/"), strings.TrimRight(iss, "/")) {
			return j, false
		}
	}
	if len(all) > 0 {
		return all[0], false
	}
	return nil, false
}

// expectedIssuer is the issuer clients must use: what the issuer itself
// publishes (dex's issuer, else the token's iss), else the API server's.
func (m *Model) expectedIssuer() (iss, where string) {
	if m.Dex != nil && m.Dex.Issuer != "" {
		return m.Dex.Issuer, m.Dex.Source + ": issuer"
	}
	if m.Token != nil {
		if s, ok := m.Token.Str("iss"); ok && s != "" {
			return s, "token: claim iss"
		}
	}
	for _, j := range m.jwts() {
		if j.Issuer != "" {
			return j.Issuer, j.IssuerField
		}
	}
	// Without the issuer or the API server, clients are compared with each other.
	for _, p := range m.Proxies {
		if p.Issuer != "" {
			return p.Issuer, p.at("oidc_issuer_url")
		}
	}
	for _, u := range m.Kubeconfigs {
		if u.IssuerURL != "" {
			return u.IssuerURL, fmt.Sprintf("%s: users.%s --oidc-issuer-url", u.Source, u.Name)
		}
	}
	return "", ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// appendNew appends each of add that list does not hold yet, in order.
func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

func anyIn(list, set []string) bool {
	for _, v := range list {
		if contains(set, v) {
			return true
		}
	}
	return false
}

// privateHost reports whether an issuer host is unlikely to have a publicly
// trusted certificate.
func privateHost(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()
	}
	if h == "localhost" {
		return true
	}
	for _, suf := range []string{".local", ".internal", ".lan", ".svc", ".cluster.local", ".corp", ".home.arpa", ".localhost", ".test"} {
		if strings.HasSuffix(h, suf) {
			return true
		}
	}
	return false
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func ql(l []string) string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = q(s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Host
}
