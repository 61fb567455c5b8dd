package doctor

import (
	"fmt"
	"net/url"
	"strings"
)

var _ = register(Check{
	Code: "AS-01", Name: "issuer-mismatch", Category: CatAPIServer, Severity: Error,
	Title:   "every component spells the issuer URL the same way",
	Symptom: "kubectl gets 401 Unauthorized and the API server logs \"oidc: id token issued by a different provider\"; oauth2-proxy or kubelogin fail discovery with \"issuer URL provided to client ... did not match the issuer URL returned by provider\".",
	Cause:   "The issuer is compared byte for byte: a trailing slash, http vs https, another host or path make it a different issuer.",
	Fix:     "Use the exact string dex publishes as `issuer` everywhere: API server issuer url / --oidc-issuer-url, oauth2-proxy oidc_issuer_url, kubelogin --oidc-issuer-url, kubespray kube_oidc_url.",
	Needs:   []Need{NeedIssuers},
	Run: func(m *Model) []Finding {
		var out []Finding
		compared := 0
		want, where := m.expectedIssuer()
		// The API server against dex.
		if m.Dex != nil && m.Dex.Issuer != "" {
			for _, j := range m.jwts() {
				if m.Kubespray != nil && strings.HasPrefix(j.Source, m.Kubespray.Source+":") && j.Flags {
					continue // AS-80 reports kube_oidc_url
				}
				if j.Issuer == "" {
					continue
				}
				compared++
				if d := issuerDiff(j.Issuer, m.Dex.Issuer); d != "" {
					out = append(out, Finding{
						Message:  fmt.Sprintf("the API server trusts issuer %q but dex issues tokens as %q: %s", j.Issuer, m.Dex.Issuer, d),
						Evidence: []string{j.IssuerField + " = " + q(j.Issuer), m.Dex.Source + ": issuer = " + q(m.Dex.Issuer)},
						Fix:      fmt.Sprintf("set %s to %q", j.IssuerField, m.Dex.Issuer),
					})
				}
			}
		}
		// The token against the API server, or against dex without one.
		if t := m.Token; t != nil {
			iss, _ := t.Str("iss")
			if j, exact := m.jwtFor(iss); j != nil {
				compared++
				if !exact {
					out = append(out, Finding{
						Message:  fmt.Sprintf("the token's issuer %q is not one the API server trusts (%q): %s", iss, j.Issuer, issuerDiff(iss, j.Issuer)),
						Evidence: []string{"token: claim iss = " + q(iss), j.IssuerField + " = " + q(j.Issuer)},
						Fix:      fmt.Sprintf("make the API server's issuer exactly %q (what the issuer publishes), or log in against %q", iss, j.Issuer),
					})
				}
			} else if m.Dex != nil && m.Dex.Issuer != "" {
				compared++
				if d := issuerDiff(iss, m.Dex.Issuer); d != "" {
					out = append(out, Finding{
						Message:  fmt.Sprintf("the token's issuer %q is not dex's issuer %q: %s", iss, m.Dex.Issuer, d),
						Evidence: []string{"token: claim iss = " + q(iss), m.Dex.Source + ": issuer = " + q(m.Dex.Issuer)},
						Fix:      "use a token from this dex, or check which issuer the client logs in at",
					})
				}
			}
		}
		// Clients against the expected issuer.
		if want != "" {
			for _, p := range m.Proxies {
				if p.Issuer == "" || p.at("oidc_issuer_url") == where {
					continue
				}
				compared++
				if d := issuerDiff(p.Issuer, want); d != "" {
					out = append(out, Finding{
						Message:  fmt.Sprintf("oauth2-proxy %s uses issuer %q, expected %q: %s", p.App, p.Issuer, want, d),
						Evidence: []string{p.at("oidc_issuer_url") + " = " + q(p.Issuer), where + " = " + q(want)},
						Fix:      fmt.Sprintf("set oidc_issuer_url = %q in %s", want, p.Source),
					})
				}
			}
			for _, u := range m.Kubeconfigs {
				field := fmt.Sprintf("%s: users.%s --oidc-issuer-url", u.Source, u.Name)
				if u.IssuerURL == "" || field == where {
					continue
				}
				compared++
				if d := issuerDiff(u.IssuerURL, want); d != "" {
					out = append(out, Finding{
						Message:  fmt.Sprintf("kubeconfig user %s logs in at issuer %q, expected %q: %s", u.Name, u.IssuerURL, want, d),
						Evidence: []string{field + " = " + q(u.IssuerURL), where + " = " + q(want)},
						Fix:      fmt.Sprintf("set --oidc-issuer-url=%s in the exec args of user %s", want, u.Name),
					})
				}
			}
		}
		if compared == 0 {
			out = append(out, skip("no two artifacts that name an issuer could be compared"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-02", Name: "issuer-not-https", Category: CatAPIServer, Severity: Error,
	Title:   "the issuer URL uses https",
	Symptom: "the API server does not start (\"issuer.url: Invalid value: URL scheme must be https\") or OIDC clients refuse the issuer.",
	Cause:   "OIDC requires an https issuer; the API server validates the scheme.",
	Fix:     "Serve the issuer over TLS and use its https:// URL everywhere.",
	Needs:   []Need{NeedAPIServer},
	Run: func(m *Model) []Finding {
		out := m.skipNoIssuer()
		for _, j := range m.jwts() {
			if j.Issuer == "" {
				out = append(out, skip("%s: no issuer URL is set", j.Source))
				continue
			}
			if u, err := url.Parse(j.Issuer); err == nil && u.Scheme == "https" {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("the API server's issuer %q is not an https URL; the API server refuses it", j.Issuer),
				Evidence: []string{j.IssuerField + " = " + q(j.Issuer)},
				Fix:      fmt.Sprintf("set %s to the https:// URL of the issuer", j.IssuerField),
			})
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-03", Name: "issuer-ca-missing", Category: CatAPIServer, Severity: Error,
	Title:   "the API server trusts the CA of a private issuer",
	Symptom: "every token gets 401; the API server logs \"x509: certificate signed by unknown authority\" while fetching the issuer's keys.",
	Cause:   "The issuer's certificate is signed by a private CA that the API server was not given.",
	Fix:     "Give the CA bundle to the API server: issuer.certificateAuthority (inline PEM) in the AuthenticationConfiguration, or --oidc-ca-file (kubespray kube_oidc_ca_file) with the file present on every control-plane node.",
	Needs:   []Need{NeedAPIServer},
	Run: func(m *Model) []Finding {
		out := m.skipNoIssuer()
		for _, j := range m.jwts() {
			if j.Issuer == "" {
				out = append(out, skip("%s: no issuer URL is set", j.Source))
				continue
			}
			if j.HasCA {
				continue
			}
			switch {
			case len(m.IssuerCAs) > 0:
				out = append(out, Finding{
					Message:  fmt.Sprintf("other components trust a private CA for the issuer %q, the API server has none", j.Issuer),
					Evidence: append([]string{j.CAField + " is not set"}, m.IssuerCAs...),
					Fix:      fmt.Sprintf("set %s to the same CA bundle", j.CAField),
				})
			case privateHost(j.Issuer):
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("the issuer host of %q looks private, and the API server has no CA for it", j.Issuer),
					Evidence: []string{j.CAField + " is not set", j.IssuerField + " = " + q(j.Issuer)},
					Fix:      fmt.Sprintf("if the issuer's certificate is not publicly trusted, set %s to its CA bundle", j.CAField),
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-04", Name: "oidc-flags-and-authentication-config", Category: CatAPIServer, Severity: Error,
	Title:   "the API server gets either --oidc-* flags or --authentication-config, not both",
	Symptom: "the API server does not start: \"authentication-config file and oidc-* flags are mutually exclusive\".",
	Cause:   "An AuthenticationConfiguration replaces the --oidc-* flags; the API server refuses both together.",
	Fix:     "Remove every --oidc-* flag (kubespray: kube_oidc_auth: false) when using --authentication-config, or drop --authentication-config.",
	Needs:   []Need{NeedAPIServer},
	Run: func(m *Model) []Finding {
		var out []Finding
		for _, a := range m.APIServers {
			if len(a.Both) > 0 {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s sets both --authentication-config and --oidc-* flags; the API server refuses to start", a.Source),
					Evidence: a.Both,
					Fix:      fmt.Sprintf("remove the --oidc-* settings from %s and keep the issuer in the AuthenticationConfiguration", a.Source),
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-05", Name: "authentication-config-invalid", Category: CatAPIServer, Severity: Error,
	Title:   "the AuthenticationConfiguration passes the API server's validation",
	Symptom: "the API server does not start, or (on reload) keeps its previous configuration and logs the validation error.",
	Cause:   "The file fails the API server's own validation (missing audiences, prefix, duplicate issuer, bad CEL...).",
	Fix:     "Correct the fields named in the message; `authstack render` writes a valid file.",
	Needs:   []Need{NeedAPIServer},
	Run: func(m *Model) []Finding {
		var out []Finding
		validated := 0
		for _, a := range m.APIServers {
			if a.Validated {
				validated++
			}
			if a.Invalid != nil {
				out = append(out, Finding{
					Message:  strings.TrimPrefix(a.Invalid.Error(), "authentication configuration is invalid: "),
					Evidence: []string{a.Source},
					Fix:      "correct the fields named above in " + a.Source,
				})
			}
		}
		if validated == 0 {
			out = append(out, skip("no AuthenticationConfiguration was given (only flags, or --authentication-config without the file)"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-06", Name: "signing-alg-not-accepted", Category: CatAPIServer, Severity: Error,
	Title:   "the API server accepts the token's signing algorithm",
	Symptom: "401 for every token; the API server logs \"oidc: id token signed with unsupported algorithm, expected [\\\"RS256\\\"] got \\\"ES256\\\"\".",
	Cause:   "--oidc-signing-algs defaults to RS256; an issuer signing with ES256 or PS256 needs it listed. HS256 and none are never accepted.",
	Fix:     "Add the issuer's algorithm to --oidc-signing-algs (kubespray has no variable for this flag: give it in kube_kubeadm_apiserver_extra_args), or move to an AuthenticationConfiguration, which accepts every asymmetric algorithm.",
	Needs:   []Need{NeedJWT, NeedToken},
	Run: func(m *Model) []Finding {
		j := m.tokenAuth()
		alg := m.Token.Alg()
		if j == nil || contains(j.SigningAlgs, alg) {
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("the token is signed with %s, the API server accepts %s", alg, strings.Join(j.SigningAlgs, ",")),
			Evidence: []string{"token: header alg = " + q(alg), j.AlgsField + " = " + q(strings.Join(j.SigningAlgs, ","))},
			Fix:      fixAlg(j, alg),
		}}
	},
})

func fixAlg(j *JWTAuth, alg string) string {
	if strings.HasPrefix(alg, "HS") || alg == "none" || alg == "" {
		return "configure the issuer to sign id tokens with an asymmetric key (RS256 or ES256); the API server never accepts " + q(alg)
	}
	if j.Flags {
		return fmt.Sprintf("set %s to include %s", j.AlgsField, alg)
	}
	return "sign with one of " + strings.Join(j.SigningAlgs, ", ")
}

var _ = register(Check{
	Code: "AS-09", Name: "client-issuer-ca-missing", Category: CatAPIServer, Severity: Error,
	Title:   "every client of a private issuer trusts its CA",
	Symptom: "oauth2-proxy does not start or fails the login (\"x509: certificate signed by unknown authority\" fetching the issuer's discovery document); kubelogin fails the same way.",
	Cause:   "The issuer's certificate is signed by a private CA (the API server or another client is given one), but this client has none: oauth2-proxy reads it from provider_ca_files, kubelogin from --certificate-authority(-data).",
	Fix:     "Give the same CA bundle to the client: provider_ca_files in oauth2-proxy (mounted from a ConfigMap), --certificate-authority-data in kubelogin's exec args.",
	Needs:   []Need{NeedJWT},
	Run: func(m *Model) []Finding {
		var private []string
		for _, j := range m.jwts() {
			if j.HasCA {
				private = append(private, j.CAField)
			}
		}
		private = append(private, m.IssuerCAs...)
		if len(private) == 0 {
			return []Finding{skip("not applicable: nothing names a private CA for the issuer")}
		}
		var out []Finding
		for _, p := range m.Proxies {
			if len(p.ProviderCAFile) == 0 && p.Issuer != "" {
				out = append(out, Finding{
					Message:  fmt.Sprintf("the issuer's CA is private (others are given it), but oauth2-proxy %s has none: discovery fails with x509: certificate signed by unknown authority", p.App),
					Evidence: append([]string{p.Source + ": provider_ca_files is not set"}, private...),
					Fix:      fmt.Sprintf("set provider_ca_files in %s to the issuer's CA bundle", p.Source),
				})
			}
		}
		for _, u := range m.Kubeconfigs {
			if u.OIDCLogin && !u.HasCA && u.IssuerURL != "" {
				// A workstation may trust the CA system-wide.
				out = append(out, Finding{
					Severity: Warning,
					Message:  fmt.Sprintf("the issuer's CA is private (others are given it), but kubeconfig user %s gives kubelogin none: the login fails unless this machine trusts the CA system-wide", u.Name),
					Evidence: append([]string{fmt.Sprintf("%s: users.%s has no --certificate-authority(-data)", u.Source, u.Name)}, private...),
					Fix:      fmt.Sprintf("add --certificate-authority-data=<base64 CA bundle> to users.%s.exec.args", u.Name),
				})
			}
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-20", Name: "apiserver-oidc-off", Category: CatAPIServer, Severity: Error,
	Title:   "the API server accepts OIDC tokens when clients send them",
	Symptom: "every kubectl request and every forwarded token gets 401: \"error: You must be logged in to the server (Unauthorized)\".",
	Cause:   "The API server settings given configure no OIDC issuer, while kubelogin or an oauth2-proxy sends it id tokens: kubespray writes the --oidc-* flags only when kube_oidc_auth is true and kube_oidc_url and kube_oidc_client_id are set (roles/kubernetes/control-plane/templates/kubeadm-config.v1beta4.yaml.j2), and a kube-apiserver without --oidc-issuer-url or --authentication-config has no OIDC authenticator.",
	Fix:     "Enable OIDC on the API server: kubespray kube_oidc_auth: true with the kube_oidc_* variables (or the authentication config file), --oidc-issuer-url or --authentication-config.",
	Needs:   []Need{NeedAPIServerSettings},
	Run: func(m *Model) []Finding {
		var off []string
		if k := m.Kubespray; k != nil && k.Vars["kube_oidc_auth"] != true && k.Vars["kube_apiserver_use_authentication_config_file"] != true {
			off = append(off, fmt.Sprintf("%s: kube_oidc_auth = %v", k.Source, k.Vars["kube_oidc_auth"]))
		}
		for _, a := range m.APIServers {
			if len(a.JWT) == 0 {
				off = append(off, a.Source+": no --oidc-issuer-url and no --authentication-config")
			}
		}
		if len(off) == 0 || len(m.jwts()) > 0 {
			return []Finding{skip("not applicable: no API server settings without OIDC were given")}
		}
		var clients []string
		for _, u := range m.Kubeconfigs {
			if u.OIDCLogin {
				clients = append(clients, fmt.Sprintf("%s: users.%s logs in with OIDC", u.Source, u.Name))
			}
		}
		for _, p := range m.Proxies {
			if p.SetAuthz {
				clients = append(clients, p.Source+": set_authorization_header = true")
			}
		}
		if len(clients) == 0 {
			return []Finding{skip("not applicable: no kubeconfig or oauth2-proxy sends OIDC tokens to the API server")}
		}
		return []Finding{{
			Message:  "the API server accepts no OIDC tokens, but clients send them: every such request gets 401",
			Evidence: append(off, clients...),
			Fix:      "enable OIDC in the API server settings (kubespray: kube_oidc_auth: true)",
		}}
	},
})
