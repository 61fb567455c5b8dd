package doctor

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// kubeloginRedirects are kubelogin's default redirect URIs (it binds the
// first free port of 8000 and 18000, with hostname localhost).
var kubeloginRedirects = []string{"http://localhost:8000", "http://localhost:18000"}

// redirectAllowed mirrors dex's validateRedirectURI: exact match, and for
// public clients without redirectURIs any http loopback URL.
func (c *DexClient) redirectAllowed(uri string) bool {
	if contains(c.RedirectURIs, uri) {
		return true
	}
	if !c.Public || len(c.RedirectURIs) > 0 {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

var _ = register(Check{
	Code: "AS-40", Name: "dex-redirect-uri-missing", Category: CatDex, Severity: Error,
	Title:   "dex allows every client's redirect URI",
	Symptom: "the browser shows dex's \"Unregistered redirect_uri.\" instead of the login page.",
	Cause:   "The redirect URI the client sends (oauth2-proxy redirect_url, kubelogin's http://localhost:8000) is not in the dex static client's redirectURIs.",
	Fix:     "Add the exact URI to staticClients[].redirectURIs of the client in dex's config.",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, p := range m.Proxies {
			c := m.Dex.Client(p.ClientID)
			if c == nil {
				continue // AS-41
			}
			if p.RedirectURL == "" {
				// oauth2-proxy then derives it from each request's host.
				out = append(out, skip("oauth2-proxy %s sets no redirect_url: the redirect URI it sends depends on the request", p.App))
				continue
			}
			examined++
			if c.redirectAllowed(p.RedirectURL) {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("oauth2-proxy %s redirects to %q, which dex client %q does not allow", p.App, p.RedirectURL, c.ID),
				Evidence: []string{p.at("redirect_url") + " = " + q(p.RedirectURL), fmt.Sprintf("%s: staticClients[%d].redirectURIs = %s", m.Dex.Source, c.Index, ql(c.RedirectURIs))},
				Fix:      fmt.Sprintf("add %q to staticClients[%d].redirectURIs in %s", p.RedirectURL, c.Index, m.Dex.Source),
			})
		}
		for _, u := range m.Kubeconfigs {
			c := m.Dex.Client(u.ClientID)
			if c == nil || !u.OIDCLogin {
				continue
			}
			examined++
			if c.redirectAllowed(kubeloginRedirects[0]) {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("kubelogin (user %s) redirects to %s, which dex client %q does not allow", u.Name, kubeloginRedirects[0], c.ID),
				Evidence: []string{fmt.Sprintf("%s: staticClients[%d].redirectURIs = %s", m.Dex.Source, c.Index, ql(c.RedirectURIs))},
				Fix:      fmt.Sprintf("add %s to staticClients[%d].redirectURIs in %s", strings.Join(kubeloginRedirects, " and "), c.Index, m.Dex.Source),
			})
		}
		if examined == 0 && len(out) == 0 {
			out = append(out, skip("no oauth2-proxy or kubelogin client of this dex was given"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-41", Name: "dex-client-unknown", Category: CatDex, Severity: Error,
	Title:   "every client id is a dex static client",
	Symptom: "dex answers \"Invalid client_id.\" when the login starts.",
	Cause:   "oauth2-proxy's client_id or kubelogin's --oidc-client-id names no staticClients entry.",
	Fix:     "Use the id of a dex static client, or add one.",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		var out []Finding
		ids := func() []string {
			var l []string
			for _, c := range m.Dex.Clients {
				l = append(l, c.ID)
			}
			return l
		}
		examined := 0
		for _, p := range m.Proxies {
			if p.ClientID != "" {
				examined++
			}
			if p.ClientID != "" && m.Dex.Client(p.ClientID) == nil {
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s uses client_id %q, which dex does not know", p.App, p.ClientID),
					Evidence: []string{p.at("client_id") + " = " + q(p.ClientID), m.Dex.Source + ": staticClients[].id = " + ql(ids())},
					Fix:      fmt.Sprintf("set client_id to the dex client of this app, or add a static client %q to %s", p.ClientID, m.Dex.Source),
				})
			}
		}
		for _, u := range m.Kubeconfigs {
			if u.OIDCLogin && u.ClientID != "" {
				examined++
			}
			if u.OIDCLogin && u.ClientID != "" && m.Dex.Client(u.ClientID) == nil {
				out = append(out, Finding{
					Message:  fmt.Sprintf("kubeconfig user %s logs in as client %q, which dex does not know", u.Name, u.ClientID),
					Evidence: []string{fmt.Sprintf("%s: users.%s --oidc-client-id = %q", u.Source, u.Name, u.ClientID), m.Dex.Source + ": staticClients[].id = " + ql(ids())},
					Fix:      fmt.Sprintf("set --oidc-client-id to one of %s", ql(ids())),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("no oauth2-proxy or kubelogin client id was given"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-42", Name: "client-secret-mismatch", Category: CatDex, Severity: Error,
	Title:   "clients and dex agree on the client secrets",
	Symptom: "after the login form, the callback fails: oauth2-proxy logs \"invalid_client\" / kubelogin \"oauth2: cannot fetch token: 401\".",
	Cause:   "The client secret the client sends differs from the static client's secret in dex (or a public client sends one / a confidential client sends none).",
	Fix:     "Give both sides the same secret (dex staticClients[].secret or secretEnv, oauth2-proxy client_secret, kubelogin --oidc-client-secret).",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		var out []Finding
		compared := 0
		check := func(who, where, id, secret string, known bool) {
			c := m.Dex.Client(id)
			if c == nil || c.Public {
				return
			}
			switch {
			case !c.SecretKnown:
				out = append(out, skip("the secret of dex client %q is not in %s (secretEnv %s without the dex-env Secret?): not compared", id, m.Dex.Source, q(c.SecretEnv)))
				return
			case !known:
				return
			}
			compared++
			if secret != c.Secret {
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s and dex client %q have different client secrets (the two values differ; neither is shown)", who, id),
					Evidence: []string{where, fmt.Sprintf("%s: staticClients[%d] secret", m.Dex.Source, c.Index)},
					Fix:      fmt.Sprintf("copy the secret of dex client %q to %s", id, where),
				})
			}
		}
		// dex refuses to start with a confidential client that has neither
		// secret nor secretEnv: cmd/dex/serve.go, "invalid config: Secret or
		// SecretEnv field is required for client".
		for _, c := range m.Dex.Clients {
			if !c.Public && !c.SecretKnown && c.SecretEnv == "" {
				out = append(out, Finding{
					Message:  fmt.Sprintf("dex client %q is confidential but has no secret: dex refuses to start (\"Secret or SecretEnv field is required\")", c.ID),
					Evidence: []string{fmt.Sprintf("%s: staticClients[%d] has no secret or secretEnv", m.Dex.Source, c.Index)},
					Fix:      fmt.Sprintf("give dex client %q a secret (secretEnv from a Secret), or make it public", c.ID),
				})
			}
		}
		for _, p := range m.Proxies {
			check("oauth2-proxy "+p.App, p.at("client_secret"), p.ClientID, p.ClientSecret, p.SecretKnown)
			if c := m.Dex.Client(p.ClientID); c != nil && !c.Public && !p.SecretKnown {
				out = append(out, skip("oauth2-proxy %s's client secret is not in %s (environment or a Secret not given?): not compared", p.App, p.Source))
			}
		}
		for _, u := range m.Kubeconfigs {
			check("kubeconfig user "+u.Name, fmt.Sprintf("%s: users.%s --oidc-client-secret", u.Source, u.Name), u.ClientID, u.Secret, u.SecretKnown)
			if c := m.Dex.Client(u.ClientID); c != nil && u.OIDCLogin && c.Public {
				compared++ // a public client needs no secret
			}
			if c := m.Dex.Client(u.ClientID); c != nil && u.OIDCLogin && !c.Public && !u.SecretKnown {
				out = append(out, Finding{
					Message:  fmt.Sprintf("dex client %q is confidential but kubeconfig user %s sends no client secret", c.ID, u.Name),
					Evidence: []string{fmt.Sprintf("%s: staticClients[%d].public = false", m.Dex.Source, c.Index), fmt.Sprintf("%s: users.%s has no --oidc-client-secret", u.Source, u.Name)},
					Fix:      fmt.Sprintf("make dex client %q public (PKCE, no secret) or add --oidc-client-secret", c.ID),
				})
			}
		}
		if compared == 0 && len(out) == 0 {
			out = append(out, skip("no client of this dex with a known secret was given"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-43", Name: "dex-trusted-peers-missing", Category: CatDex, Severity: Error,
	Title:   "clients that forward tokens to the API server are trusted peers of its client",
	Symptom: "oauth2-proxy's login is redirected back with error=invalid_scope: dex says \"Client can't request scope(s) [\\\"audience:server:client_id:kubernetes\\\"]\".",
	Cause:   "A proxy that forwards the id token to the API server needs a token for the API server's audience: dex issues it only if the audience client lists the proxy in trustedPeers.",
	Fix:     "Add the proxy's client id to trustedPeers of the client the API server accepts, and request scope audience:server:client_id:<that client>.",
	Needs:   []Need{NeedDex, NeedProxy},
	Run: func(m *Model) []Finding {
		var out []Finding
		examined := 0
		for _, p := range m.Proxies {
			for _, aud := range p.crossClientAudiences() {
				examined++
				// dex trusts a client for its own audience, and another one
				// when the audience client lists it in trustedPeers; an
				// unknown audience client is refused (dex
				// server/tokens/crossclient.go CrossClientTrusted).
				if aud == p.ClientID {
					continue
				}
				c := m.Dex.Client(aud)
				if c == nil {
					out = append(out, Finding{
						Message:  fmt.Sprintf("oauth2-proxy %s asks dex for audience %q, which is no dex client: dex refuses the scope", p.App, aud),
						Evidence: []string{p.at("scope") + " contains " + q("audience:server:client_id:"+aud), m.Dex.Source + ": staticClients[].id has no " + q(aud)},
						Fix:      fmt.Sprintf("name the client the API server accepts in the scope, or add a static client %q to %s", aud, m.Dex.Source),
					})
					continue
				}
				if contains(c.TrustedPeers, p.ClientID) {
					continue
				}
				out = append(out, Finding{
					Message:  fmt.Sprintf("oauth2-proxy %s asks dex for audience %q, but dex client %q does not list %q in trustedPeers", p.App, aud, aud, p.ClientID),
					Evidence: []string{p.at("scope") + " contains " + q("audience:server:client_id:"+aud), fmt.Sprintf("%s: staticClients[%d].trustedPeers = %s", m.Dex.Source, c.Index, ql(c.TrustedPeers))},
					Fix:      fmt.Sprintf("add %q to staticClients[%d].trustedPeers in %s", p.ClientID, c.Index, m.Dex.Source),
				})
			}
		}
		if examined == 0 {
			out = append(out, skip("not applicable: no oauth2-proxy requests a cross-client audience (audience:server:client_id:...)"))
		}
		return out
	},
})

var _ = register(Check{
	Code: "AS-44", Name: "dex-memory-storage-replicas", Category: CatDex, Severity: Error,
	Title:   "dex with more than one replica uses shared storage",
	Symptom: "logins loop or fail at random with \"Invalid state\" / \"Requested resource does not exist\"; tokens fail signature checks after a restart.",
	Cause:   "memory storage is per process: the authorization request, the code and the signing keys live in one replica while the next request lands on another.",
	Fix:     "Use storage type kubernetes (CRDs), etcd, or postgres; or run one replica.",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		d := m.Dex
		switch {
		case d.StorageType == "":
			return []Finding{skip("dex's storage type is unknown (give dex's config with --dex-config)")}
		case d.StorageType != "memory":
			return nil
		case d.Replicas == 0:
			return []Finding{skip("dex uses memory storage and its replica count is unknown (give the dex Deployment with --manifests)")}
		case d.Replicas == 1:
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("dex runs %d replicas with memory storage; each replica has its own logins and keys", d.Replicas),
			Evidence: []string{d.Source + ": storage.type = \"memory\"", fmt.Sprintf("%s = %d", d.ReplicasSource, d.Replicas)},
			Fix:      "set storage.type to kubernetes (with config.inCluster: true) in " + d.Source + ", or scale dex to 1 replica",
		}}
	},
})

// dexClaims are the claims of dex's id tokens (server/oauth2.go
// idTokenClaims); dex issues no other claim, whatever its connector.
var dexClaims = []string{"iss", "sub", "aud", "exp", "iat", "azp", "nonce", "at_hash", "c_hash", "email", "email_verified", "groups", "name", "preferred_username", "federated_claims"}

var _ = register(Check{
	Code: "AS-45", Name: "claim-not-issued-by-dex", Category: CatDex, Severity: Error,
	Title:   "the API server and oauth2-proxy read claims that dex issues",
	Symptom: "401 (\"oidc: parse username claims ...: claim not present\"), or every group binding and allowed_groups ignored: 403.",
	Cause:   "dex's id tokens carry a fixed set of claims (server/oauth2.go idTokenClaims: sub, email, email_verified, name, preferred_username, groups, federated_claims...); a username or groups claim named otherwise (roles, upn, cognito:groups) is never there.",
	Fix:     "Read usernames from email (or sub, preferred_username) and groups from groups.",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		if m.Dex.Issuer == "" {
			return []Finding{skip("dex's config names no issuer: the API server and proxies that trust it are not known")}
		}
		var out []Finding
		examined := 0
		report := func(what, claim, field string) {
			examined++
			if claim == "" || contains(dexClaims, claim) {
				return
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("%s reads the %q claim, which dex never issues", what, claim),
				Evidence: []string{field + " = " + q(claim), m.Dex.Source + ": issuer = " + q(m.Dex.Issuer)},
				Fix:      fmt.Sprintf("set %s to a claim dex issues (%s)", field, strings.Join(dexClaims[9:14], ", ")),
			})
		}
		for _, j := range m.jwts() {
			if j.Issuer != m.Dex.Issuer {
				continue
			}
			if j.UsernameExpr == "" {
				report("the API server's username", j.UsernameClaim, j.UserField+".claim")
			}
			if j.GroupsExpr == "" {
				report("the API server's groups", j.GroupsClaim, j.GroupsField+".claim")
			}
		}
		for _, p := range m.Proxies {
			if p.Issuer == m.Dex.Issuer {
				report("oauth2-proxy "+p.App+"'s groups", p.GroupsClaim, p.Source+": oidc_groups_claim")
				report("oauth2-proxy "+p.App+"'s email", p.EmailClaim, p.Source+": oidc_email_claim")
			}
		}
		if examined == 0 {
			out = append(out, skip("no API server or oauth2-proxy of this dex's issuer was given"))
		}
		return out
	},
})

// dexCallback is the URL dex hands its connectors as the callback: the
// issuer with /callback joined to its path (dex server/server.go absURL,
// absPath), "" when the issuer is not a URL.
func dexCallback(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Path = path.Join("/", u.Path, "callback")
	return u.String()
}

var _ = register(Check{
	Code: "AS-46", Name: "dex-connector-redirect-uri", Category: CatDex, Severity: Error,
	Title:   "dex's connectors send the upstream login back to dex's callback",
	Symptom: "after choosing the connector dex shows \"Login error.\" and logs \"connector returned error when creating callback\" with \"expected callback URL ... did not match the URL in the config\"; or the upstream provider refuses the redirect_uri.",
	Cause:   "dex gives every connector the callback <issuer>/callback (server/handlers.go handleConnectorLogin, s.absURL(\"/callback\")), and its OAuth2 and OIDC connectors refuse to start a login when their config's redirectURI is not exactly that URL (connector/github, oidc, gitlab, microsoft, oauth ... LoginURL). A SAML IdP posts to redirectURI, which dex serves at /callback and /callback/<connector id> (server/server.go).",
	Fix:     "Set connectors[].config.redirectURI to <issuer>/callback, and register that URL at the upstream provider.",
	Needs:   []Need{NeedDex},
	Run: func(m *Model) []Finding {
		d := m.Dex
		want := dexCallback(d.Issuer)
		if want == "" {
			return []Finding{skip("dex's issuer %q is not a URL", d.Issuer)}
		}
		var out []Finding
		examined := 0
		for _, c := range d.Connectors {
			v, ok := c.Config["redirectURI"]
			if !ok {
				continue // LDAP, authproxy, keystone: no redirect
			}
			got := fmt.Sprint(v)
			if strings.Contains(got, "$") {
				// dex expands environment variables in connector configs.
				out = append(out, skip("connector %q takes redirectURI from the environment (%s)", c.ID, got))
				continue
			}
			examined++
			allowed := []string{want}
			if c.Type == "saml" {
				allowed = append(allowed, want+"/"+c.ID)
			}
			if contains(allowed, got) {
				continue
			}
			out = append(out, Finding{
				Message:  fmt.Sprintf("dex connector %q sends the login back to %q, not to dex's callback %s: dex answers \"Login error.\" for its users", c.ID, got, want),
				Evidence: []string{fmt.Sprintf("%s: connectors[%d].config.redirectURI = %q", d.Source, c.Index, got), fmt.Sprintf("%s: issuer = %q", d.Source, d.Issuer)},
				Fix:      fmt.Sprintf("set connectors[%d].config.redirectURI to %s in %s, and register it at the upstream provider", c.Index, want, d.Source),
			})
		}
		if examined == 0 && len(out) == 0 {
			out = append(out, skip("not applicable: no dex connector has a redirectURI"))
		}
		return out
	},
})
