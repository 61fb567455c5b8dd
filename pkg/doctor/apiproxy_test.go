package doctor

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// The proxy's RBAC check fails for what the API server would refuse (no
// impersonate on groups) and warns for more than impersonation.
func TestAPIProxyImpersonateRBAC(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  []string
	}{
		{"as rendered", apiproxy.ImpersonatorRules(), nil},
		{"no groups", []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"users", "serviceaccounts"}, Verbs: []string{"impersonate"}}},
			[]string{"error: the proxy's ServiceAccount may not impersonate groups"}},
		{"wildcard", []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
			[]string{"warning: the proxy's ServiceAccount holds more than impersonation"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &Model{APIProxy: &APIProxy{Source: "test", RulesKnown: true, Rules: c.rules,
				Args: []string{"--authentication-config=/a", "--tls-cert-file=/c", "--tls-private-key-file=/k"}}}
			var got []string
			for _, f := range Diagnose(m).Findings {
				if f.Code == "AP-01" || f.Code == "AP-02" {
					got = append(got, string(f.Severity)+": "+f.Message)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("findings %q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("finding %q, want %q", got[i], c.want[i])
				}
			}
		})
	}
}

func TestAPIProxyFlags(t *testing.T) {
	m := &Model{APIProxy: &APIProxy{Source: "test", Args: []string{"--authentication-config=/a"}}}
	var got []string
	for _, f := range Diagnose(m).Findings {
		if f.Code == "AP-02" {
			got = append(got, f.Message)
		}
	}
	if strings.Join(got, ";") != "the proxy has no --tls-cert-file;the proxy has no --tls-private-key-file" {
		t.Errorf("findings %q", got)
	}
}
