package doctor

import (
	"slices"
	"strings"
	"testing"
)

func edgeModel(t *testing.T, example string) *Model {
	t.Helper()
	t.Setenv("GITHUB_CLIENT_SECRET", "x")
	t.Setenv("LDAP_BIND_PASSWORD", "y")
	m, err := Load(Inputs{Spec: "../../examples/" + example + "/authstack.yaml", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func edgeCodes(m *Model) []string {
	var codes []string
	for _, f := range Diagnose(m).Findings {
		if strings.HasPrefix(f.Code, "AS-14") {
			codes = append(codes, f.Code+" "+f.Message)
		}
	}
	return codes
}

// The rendered Envoy Gateway and Traefik objects are read and pass the edge
// checks; each fault the checks know is then named.
func TestEdgeObjectsAreCheckedAgainstOAuth2Proxy(t *testing.T) {
	for _, example := range []string{"gateway-api", "traefik"} {
		t.Run(example, func(t *testing.T) {
			m := edgeModel(t, example)
			if len(m.EdgeAuths) != 2 {
				t.Fatalf("read %d edge auth objects, want one per app (2)", len(m.EdgeAuths))
			}
			for _, e := range m.EdgeAuths {
				if m.proxyForEdge(e) == nil {
					t.Errorf("%s: no oauth2-proxy found for Service %s/%s", e.ref(), e.ServiceNamespace, e.Service)
				}
			}
			if c := edgeCodes(m); len(c) > 0 {
				t.Errorf("healthy %s: %v", example, c)
			}
		})
	}
	faults := []struct {
		name, example, code string
		edit                func(m *Model)
	}{
		{"202 upstream behind Envoy", "gateway-api", "AS-140", func(m *Model) {
			for _, p := range m.Proxies {
				p.Upstreams = []string{"static://202"}
			}
		}},
		{"auth path prefix", "gateway-api", "AS-140", func(m *Model) { m.EdgeAuths[0].Path = "/oauth2/auth" }},
		{"no cookie", "gateway-api", "AS-141", func(m *Model) { m.EdgeAuths[0].RequestHeaders = []string{"Accept"} }},
		{"token not copied", "traefik", "AS-142", func(m *Model) {
			for _, e := range m.EdgeAuths {
				e.ResponseHeaders = []string{"X-Auth-Request-User"}
			}
		}},
		{"headers not sent", "gateway-api", "AS-142", func(m *Model) {
			for _, p := range m.Proxies {
				p.Config.SetXAuthRequest = false
			}
		}},
		{"fail open", "gateway-api", "AS-143", func(m *Model) { m.EdgeAuths[0].FailOpen = true }},
		{"trust forward header", "traefik", "AS-143", func(m *Model) { m.EdgeAuths[0].TrustForwardHeader = true }},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			m := edgeModel(t, f.example)
			f.edit(m)
			codes := edgeCodes(m)
			if !slices.ContainsFunc(codes, func(c string) bool { return strings.HasPrefix(c, f.code+" ") }) {
				t.Errorf("findings %v, want %s", codes, f.code)
			}
		})
	}
}
