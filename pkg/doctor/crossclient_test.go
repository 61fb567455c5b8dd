package doctor

import "testing"

// A stack where oauth2-proxy gets the API server's audience through dex's
// cross-client scope, without oidc_extra_audiences, works with the real
// programs: dex's getAudience (server/oauth2.go; server/tokens/claims.go in
// newer releases) lists every audience:server:client_id:X peer and then the
// requesting client, and sets azp to the requesting client when aud has
// more than one entry; oauth2-proxy accepts the token because one aud entry
// is its client_id. doctor must find no error in it, with the token exactly
// as dex mints it.
func TestCrossClientTokenWithoutExtraAudiences(t *testing.T) {
	for _, tc := range []struct {
		name string
		aud  any
	}{
		// scope "... audience:server:client_id:kubernetes" from the proxy
		{"peer then requester", []any{"kubernetes", "oauth2-proxy-dashboard"}},
		// the proxy also names itself: dex does not add it twice
		{"requester named explicitly", []any{"kubernetes", "oauth2-proxy-dashboard"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := healthy(t)
			a.edit(t, "oauth2_proxy.cfg", `oidc_extra_audiences = ["kubernetes"]`, "")
			if tc.name == "requester named explicitly" {
				a.edit(t, "oauth2_proxy.cfg", "audience:server:client_id:kubernetes", "audience:server:client_id:kubernetes audience:server:client_id:oauth2-proxy-dashboard")
			}
			a.claims["aud"] = tc.aud
			a.claims["azp"] = "oauth2-proxy-dashboard"
			r := Diagnose(a.model(t))
			for _, f := range r.Findings {
				if f.Severity == Error {
					t.Errorf("%s %s: %s %v", f.Code, f.Name, f.Message, f.Evidence)
				}
			}
			if !ran(r, "AS-56") || !ran(r, "AS-13") || !ran(r, "AS-43") {
				t.Fatalf("the audience checks did not run: %v", r.Ran)
			}
		})
	}
}

func ran(r *Report, code string) bool {
	for _, c := range r.Ran {
		if c == code {
			return true
		}
	}
	return false
}
