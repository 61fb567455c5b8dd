package doctor

import (
	"slices"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/formats/ingressnginx"
)

// With a shared sign-in host (spec.auth.host) the app Ingresses are on other
// hosts than oauth2-proxy's redirect_url; the Ingress checks must still find
// the proxy each app asks, run, and name what breaks.
func TestSharedSigninIngressesAreChecked(t *testing.T) {
	codes := []string{"AS-21", "AS-60", "AS-67"}
	m := edgeModel(t, "shared-signin")
	r := Diagnose(m)
	for _, c := range r.Checks {
		if slices.Contains(codes, c.Code) && c.Status != StatusPassed {
			t.Errorf("healthy shared sign-in: %s is %s (skipped: %v)", c.Code, c.Status, c.Skipped)
		}
	}
	for _, f := range r.Findings {
		if f.Severity == Error || f.Severity == Warning {
			t.Errorf("healthy shared sign-in: %s %s: %s", f.Severity, f.Code, f.Message)
		}
	}

	appIngress := func(m *Model, host string) *Ingress {
		for _, in := range m.Ingresses {
			if slices.Contains(in.Hosts, host) && !ownIngress(in) {
				return in
			}
		}
		t.Fatalf("no app Ingress on %s", host)
		return nil
	}
	faults := []struct {
		name, code, in string
		edit           func(m *Model)
		sev            Severity
	}{
		// Only whitelist_domains says the host is behind the proxy: a
		// warning, since a public page may be listed there too.
		{"the only Ingress of an app host without auth-url", "AS-21", "whitelist_domains that no Ingress protects", func(m *Model) {
			delete(appIngress(m, "grafana.example.com").Annotations, ingressnginx.Key(ingressnginx.AuthURL))
		}, Warning},
		{"a second, unprotected Ingress on an app host", "AS-21", "without auth-url", func(m *Model) {
			in := *appIngress(m, "prometheus.example.com")
			in.Name += "-api"
			in.Annotations = map[string]string{}
			m.Ingresses = append(m.Ingresses, &in)
		}, Error},
		{"token app asking the headers proxy", "AS-60", "does not set it", func(m *Model) {
			in := appIngress(m, "headlamp.example.com")
			k := ingressnginx.Key(ingressnginx.AuthURL)
			in.Annotations[k] = strings.Replace(in.Annotations[k], "oauth2-proxy-token.", "oauth2-proxy.", 1)
		}, Error},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			m := edgeModel(t, "shared-signin")
			f.edit(m)
			for _, got := range Diagnose(m).Findings {
				if got.Code == f.code && got.Severity == f.sev && strings.Contains(got.Message, f.in) {
					return
				}
			}
			t.Errorf("no %s %s containing %q", f.code, f.sev, f.in)
		})
	}
}
