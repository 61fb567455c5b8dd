package doctor

import (
	"fmt"
	"slices"
	"strings"
)

// Need is a kind of evidence a check needs; a check runs only when the
// model has every kind it needs.
type Need int

// The kinds of evidence.
const (
	NeedAPIServer Need = iota
	NeedToken
	NeedDex
	NeedProxy
	NeedIngress
	NeedRBAC
	NeedKubeconfig
	NeedKubespray
	NeedKubeadm
	NeedLive
	// NeedJWT is an API server view with at least one issuer.
	NeedJWT
	// NeedIssuers is two or more artifacts that name an issuer, to compare.
	NeedIssuers
	// NeedInvalid is an artifact that could not be parsed.
	NeedInvalid
	// NeedAPIServerSettings is any API server settings, OIDC or not: a
	// view of the API server, or kubespray variables.
	NeedAPIServerSettings
	// NeedEdgeAuth is an edge object that asks oauth2-proxy (SecurityPolicy,
	// ExternalAuth filter, forwardAuth Middleware).
	NeedEdgeAuth
	// NeedAPIProxy is authstack-apiproxy's Deployment (apiServer.mode proxy).
	NeedAPIProxy
)

// Check is one unit of diagnosis. Adding a check is adding one Check to the
// table with register, in its own file, and a test case.
type Check struct {
	Code     string
	Name     string
	Category Category
	// Severity is the usual severity of the check's findings; a finding may
	// lower it.
	Severity Severity
	// Title is what the check verifies, shown with ✓ when it passes.
	Title string
	// Symptom, Cause and Fix document the check in docs/doctor.md.
	Symptom, Cause, Fix string
	Needs               []Need
	Run                 func(m *Model) []Finding
}

var checks []Check

// register adds a check to the table; codes are unique. It runs at package
// initialisation, which every command pays (even version): the check goes
// into its sorted place instead of re-sorting the table on each call, which
// cost about 0.3 ms per process.
func register(c Check) bool {
	for _, o := range checks {
		if o.Code == c.Code || o.Name == c.Name {
			panic(fmt.Sprintf("doctor: check %s %s registered twice", c.Code, c.Name))
		}
	}
	i, _ := slices.BinarySearchFunc(checks, c.Code, func(o Check, code string) int { return strings.Compare(o.Code, code) })
	checks = slices.Insert(checks, i, c)
	return true
}

// Checks returns the table of checks, sorted by code.
func Checks() []Check { return append([]Check(nil), checks...) }

// skip is the finding a check returns for evidence it could not examine
// (no key set to verify a signature with, a secret kept elsewhere...): the
// check then reports "skipped" with the reason, never ✓.
func skip(format string, args ...any) Finding {
	return Finding{Severity: skipped, Message: fmt.Sprintf(format, args...)}
}

// Diagnose runs every check that has its evidence and returns the report.
func Diagnose(m *Model) *Report { return diagnose(m, checks) }

// diagnose runs the checks in the order given; Ran keeps that order.
func diagnose(m *Model, order []Check) *Report {
	r := &Report{Findings: []Finding{}, Checks: []CheckResult{}}
	seen := map[string]bool{}
	// The model does not change while the checks run: index once.
	m.hostGuards = m.guardsByHost()
	defer func() { m.hostGuards = nil }()
	for _, c := range order {
		if !m.has(c.Needs) {
			continue
		}
		r.Ran = append(r.Ran, c.Code)
		res := CheckResult{Code: c.Code, Name: c.Name, Category: c.Category, Title: c.Title, Status: StatusPassed}
		for _, f := range c.Run(m) {
			if f.Severity == skipped {
				res.Skipped = appendNew(res.Skipped, f.Message)
				continue
			}
			f.Code, f.Name, f.Category = c.Code, c.Name, c.Category
			if f.Severity == "" {
				f.Severity = c.Severity
			}
			if f.Evidence == nil {
				f.Evidence = []string{}
			}
			key := f.Code + "\x00" + f.Message
			if seen[key] {
				continue
			}
			seen[key] = true
			r.Findings = append(r.Findings, f)
			res.Status = res.Status.worse(Status(f.Severity))
		}
		if len(res.Skipped) > 0 && res.Status.rank() > StatusSkipped.rank() {
			res.Status = StatusSkipped
		}
		r.Checks = append(r.Checks, res)
	}
	sortFindings(r.Findings)
	sortChecks(r.Checks)
	return r
}

func (m *Model) has(needs []Need) bool {
	for _, n := range needs {
		ok := false
		switch n {
		case NeedAPIServer:
			ok = len(m.APIServers) > 0
		case NeedToken:
			ok = m.Token != nil
		case NeedDex:
			ok = m.Dex != nil
		case NeedProxy:
			ok = len(m.Proxies) > 0
		case NeedIngress:
			ok = len(m.Ingresses) > 0
		case NeedEdgeAuth:
			ok = len(m.EdgeAuths) > 0
		case NeedRBAC:
			ok = m.RBAC != nil
		case NeedKubeconfig:
			ok = len(m.Kubeconfigs) > 0
		case NeedKubespray:
			ok = m.Kubespray != nil
		case NeedKubeadm:
			ok = m.Kubeadm != nil
		case NeedLive:
			ok = m.Live != nil
		case NeedJWT:
			ok = len(m.jwts()) > 0
		case NeedIssuers:
			ok = m.issuerSources() >= 2
		case NeedInvalid:
			ok = len(m.Invalid) > 0
		case NeedAPIServerSettings:
			ok = len(m.APIServers) > 0 || m.Kubespray != nil
		case NeedAPIProxy:
			ok = m.APIProxy != nil
		}
		if !ok {
			return false
		}
	}
	return true
}

// issuerSources counts the artifacts that name an issuer.
func (m *Model) issuerSources() int {
	n := 0
	for _, j := range m.jwts() {
		if j.Issuer != "" {
			n++
		}
	}
	for _, p := range m.Proxies {
		if p.Issuer != "" {
			n++
		}
	}
	for _, u := range m.Kubeconfigs {
		if u.IssuerURL != "" {
			n++
		}
	}
	if m.Dex != nil && m.Dex.Issuer != "" {
		n++
	}
	if m.Token != nil {
		n++
	}
	return n
}
