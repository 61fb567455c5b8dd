package doctor

// The live checks report what CollectLive observed; each code is one kind
// of observation.
func liveCheck(c Check) Check {
	c.Category, c.Needs = CatLive, []Need{NeedLive}
	code := c.Code
	c.Run = func(m *Model) []Finding {
		var out []Finding
		for _, f := range m.Live.Findings {
			if f.Code == code {
				out = append(out, f)
			}
		}
		if len(out) == 0 && !m.Live.Passed[code] {
			out = append(out, skip("%s", liveNotObserved[code]))
		}
		return out
	}
	return c
}

// liveNotObserved says why a live check saw nothing to verify.
var liveNotObserved = map[string]string{
	"AS-90": "the API server's flags were not read",
	"AS-91": "no issuer to fetch: the API server's settings name none",
	"AS-92": "the issuer's certificate was not checked: no https issuer was fetched",
	"AS-93": "the issuer's discovery document was not read",
	"AS-94": "no token given (--token)",
	"AS-95": "nothing to compare: drift needs a spec (-f) and dex or oauth2-proxy deployed by authstack",
	"AS-97": "no token accepted by the running API server to review the access of",
	"AP-90": "no authstack-apiproxy Deployment in the cluster",
	"AP-91": "no authstack-apiproxy Deployment in the cluster",
}

var (
	_ = register(liveCheck(Check{
		Code: "AS-90", Name: "live-apiserver-flags", Severity: Info,
		Title:   "the running API server's OIDC flags are readable",
		Symptom: "-", Cause: "Informational: doctor reads the flags of the kube-apiserver static Pod in kube-system when it can.",
		Fix: "Give the settings as files when the control plane is managed.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-91", Name: "issuer-unreachable", Severity: Error,
		Title:   "the issuer's discovery document and keys can be fetched",
		Symptom: "401 for every token; the API server logs \"oidc: authenticator not initialized\" or fetch errors.",
		Cause:   "The issuer URL does not resolve, the issuer is down, or a firewall blocks the control plane.",
		Fix:     "Make <issuer>/.well-known/openid-configuration and its jwks_uri reachable from the control-plane nodes.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-92", Name: "issuer-tls-untrusted", Severity: Error,
		Title:   "the issuer's certificate verifies with the CA the API server has",
		Symptom: "401 for every token; the API server logs \"x509: certificate signed by unknown authority\".",
		Cause:   "The issuer's serving certificate is signed by a CA the API server was not given (or the wrong one).",
		Fix:     "Put the CA that signed the issuer's certificate in issuer.certificateAuthority or --oidc-ca-file.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-93", Name: "discovery-issuer-mismatch", Severity: Error,
		Title:   "the issuer's discovery document names the configured issuer",
		Symptom: "401 for every token; the API server logs \"oidc: issuer URL provided to client (...) did not match the issuer URL returned by provider (...)\".",
		Cause:   "The issuer publishes another issuer string (dex's issuer setting differs from the URL used).",
		Fix:     "Use exactly the discovery document's issuer in the API server settings, or change dex's issuer.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-94", Name: "live-token-review", Severity: Error,
		Title:   "the running API server accepts the token",
		Symptom: "kubectl: \"error: You must be logged in to the server (Unauthorized)\".",
		Cause:   "The API server rejects the token; the other findings name the reason.",
		Fix:     "Fix the errors reported with it.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-95", Name: "live-drift", Severity: Warning,
		Title:   "what runs is what authstack renders",
		Symptom: "a fix in authstack.yaml has no effect, or someone's hand edit is lost at the next apply.",
		Cause:   "The dex or oauth2-proxy config in the cluster differs from the render of the spec.",
		Fix:     "Run authstack apply, or bring the spec in line with what runs.",
	}))
	_ = register(liveCheck(Check{
		Code: "AS-97", Name: "live-access-review", Severity: Info,
		Title:   "the token's user is authorized for something",
		Symptom: "kubectl: \"Error from server (Forbidden)\".",
		Cause:   "SubjectAccessReview of a few common requests for the token's user and groups.",
		Fix:     "Bind the user or its groups, prefixes included.",
	}))
)
