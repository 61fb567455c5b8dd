package doctor

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Checks of authstack-apiproxy (apiServer.mode proxy). The proxy reads the
// same AuthenticationConfiguration as kube-apiserver, so the API server
// checks (issuer, audiences, prefixes) run on it too.

// impersonateTargets are what the proxy must impersonate for every request:
// the user, its groups (Kubernetes docs, "User impersonation": impersonate
// on users, groups, serviceaccounts in the core group).
var impersonateTargets = []string{"users", "groups", "serviceaccounts"}

func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		in := func(l []string, v string) bool { return slices.Contains(l, v) || slices.Contains(l, "*") }
		return len(r.ResourceNames) == 0 && in(r.APIGroups, group) && in(r.Resources, resource) && in(r.Verbs, verb)
	})
}

var (
	_ = register(Check{
		Code: "AP-01", Name: "apiproxy-impersonate-rbac", Category: CatRBAC, Severity: Error,
		Title:   "the API proxy may impersonate users, groups and service accounts, and nothing else",
		Symptom: `every request through the proxy: 403 users "alice@example.com" is forbidden: User "system:serviceaccount:authstack-proxy:authstack-apiproxy" cannot impersonate resource "users" in API group "" at the cluster scope; or a proxy identity that could do much more if its token leaked.`,
		Cause:   "The proxy forwards each request with Impersonate-User and Impersonate-Group headers; the API server checks impersonate on users, groups and serviceaccounts for the proxy's own identity (Kubernetes docs, User impersonation). Any other right is unused and widens what a stolen proxy token can do.",
		Fix:     "Bind the proxy's ServiceAccount to the ClusterRole authstack renders (authstack:apiproxy:impersonator), and nothing else.",
		Needs:   []Need{NeedAPIProxy},
		Run: func(m *Model) []Finding {
			p := m.APIProxy
			if !p.RulesKnown {
				return []Finding{skip("no ClusterRoleBinding of the proxy's ServiceAccount in the evidence")}
			}
			var out []Finding
			for _, res := range impersonateTargets {
				if !allows(p.Rules, "", res, "impersonate") {
					out = append(out, Finding{Message: fmt.Sprintf("the proxy's ServiceAccount may not impersonate %s: every request through the proxy gets 403", res), Evidence: p.RulesSource})
				}
			}
			for _, r := range p.Rules {
				extra := slices.ContainsFunc(r.Verbs, func(v string) bool { return v != "impersonate" })
				wild := slices.Contains(r.Resources, "*") || slices.Contains(r.APIGroups, "*")
				if extra || wild {
					out = append(out, Finding{Severity: Warning, Message: fmt.Sprintf("the proxy's ServiceAccount holds more than impersonation: %v on %v/%v", r.Verbs, r.APIGroups, r.Resources), Evidence: p.RulesSource})
				}
			}
			return out
		},
	})
	_ = register(Check{
		Code: "AP-02", Name: "apiproxy-flags", Category: CatAPIServer, Severity: Error,
		Title:   "the API proxy has its authentication config and TLS certificate",
		Symptom: "the proxy's pods crash at start, or serve no cluster.",
		Cause:   "authstack-apiproxy needs --authentication-config, and serves the API only over TLS (--tls-cert-file, --tls-private-key-file both required); with several clusters it needs --clusters-config.",
		Fix:     "Render the proxy with authstack render and apply it as rendered.",
		Needs:   []Need{NeedAPIProxy},
		Run: func(m *Model) []Finding {
			p := m.APIProxy
			var out []Finding
			for _, f := range []string{"authentication-config", "tls-cert-file", "tls-private-key-file"} {
				if v, ok := p.Flag(f); !ok || v == "" {
					out = append(out, Finding{Message: "the proxy has no --" + f, Evidence: []string{p.Source + ": args"}})
				}
			}
			return out
		},
	})
	_ = register(liveCheck(Check{
		Code: "AP-90", Name: "live-apiproxy-impersonate", Severity: Error,
		Title:   "the running API server lets the API proxy impersonate",
		Symptom: "every request through authstack-apiproxy: 403 ... cannot impersonate resource \"users\".",
		Cause:   "SubjectAccessReview as the proxy's ServiceAccount for impersonate on users, groups, serviceaccounts and the userextras the proxy forwards (scopes, and authentication.kubernetes.io/credential-id of tokens with a jti), the checks the API server's impersonation filter makes (k8s.io/apiserver pkg/endpoints/filters/impersonation/impersonation.go).",
		Fix:     "Apply the proxy's RBAC (authstack apply); on several clusters, in each of them.",
	}))
	_ = register(liveCheck(Check{
		Code: "AP-91", Name: "live-apiproxy-available", Severity: Error,
		Title:   "the API proxy has an available replica",
		Symptom: "kubectl through the proxy: connection refused, or 503 from the load balancer.",
		Cause:   "No replica of authstack-apiproxy is ready: it is ready once its config is loaded, the issuer's keys were fetched and each cluster's /readyz answered.",
		Fix:     "Read the proxy's logs; doctor's issuer checks say whether the issuer is reachable.",
	}))
)
