package doctor

import (
	"regexp"
	"strings"
	"sync"
)

// SymptomRule maps a message a user sees to the checks that explain it.
// Says is the text as the upstream program prints it (format verbs shown
// as "..."), Source the upstream file that prints it: the table is checked
// against the check table by tests and printed in docs/doctor.md.
type SymptomRule struct {
	Component string
	Says      string
	Source    string
	Codes     []string
	// Generic rules (a bare 401, "invalid bearer token") apply only when
	// no specific rule matches the same message: the specific text names
	// the cause, the wrapper does not.
	Generic bool
	// re compiles the pattern on first use: the table is built at package
	// initialisation, which every command pays, and only doctor --symptom
	// matches against it.
	re func() *regexp.Regexp
}

// The checks behind a 401 whose reason is not in the message.
var unauthorized = []string{"AS-20", "AS-01", "AS-02", "AS-03", "AS-04", "AS-05", "AS-06", "AS-10", "AS-11", "AS-12", "AS-13", "AS-14", "AS-15", "AS-16", "AS-45", "AS-73", "AS-80", "AS-91", "AS-92", "AS-93", "AS-94"}

func rule(component, says, source, pattern string, generic bool, codes ...string) SymptomRule {
	return SymptomRule{Component: component, Says: says, Source: source, Codes: codes, Generic: generic, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("(?i)" + pattern) })}
}

const (
	k8sOIDC     = "kubernetes staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/oidc/oidc.go"
	goOIDC      = "coreos/go-oidc oidc/verify.go (used by that authenticator)"
	dexAuthflow = "dexidp/dex server/authflow/request.go (server/oauth2.go parseAuthorizationRequest before)"
	proxyOIDC   = "oauth2-proxy pkg/providers/oidc/verifier.go"
)

var symptomRules = []SymptomRule{
	// kube-apiserver's authenticator, logged as
	// "Unable to authenticate the request" err="[invalid bearer token, <reason>]".
	rule("kube-apiserver", `oidc: expected audience in [...] got [...]`, k8sOIDC+" verifyAudience; "+goOIDC+" (\"oidc: expected audience ... got ...\")", `expected audience`, false, "AS-13", "AS-56"),
	rule("kube-apiserver", `oidc: id token issued by a different provider, expected ... got ...`, goOIDC, `issued by a different provider`, false, "AS-01", "AS-80", "AS-93"),
	rule("kube-apiserver, kubelogin, oauth2-proxy", `oidc: issuer URL provided to client (...) did not match the issuer URL returned by provider (...)`, "coreos/go-oidc oidc/oidc.go NewProvider", `did not match the issuer url returned by provider|issuer did not match`, false, "AS-93", "AS-01"),
	rule("kube-apiserver", `oidc: token is expired (Token Expiry: ...)`, goOIDC+" TokenExpiredError", `token is expired`, false, "AS-11", "AS-12", "AS-51", "AS-55", "AS-71"),
	rule("kube-apiserver", `oidc: current time ... before the nbf (not before) time: ...`, goOIDC, `before the nbf`, false, "AS-12"),
	rule("kube-apiserver", `failed to verify signature: failed to verify id token signature`, goOIDC+"; oidc/jwks.go", `failed to verify (id token )?signature|failed to verify signature`, false, "AS-10", "AS-44"),
	rule("kube-apiserver", `oidc: id token signed with unsupported algorithm, expected [...] got ...`, goOIDC, `unsupported algorithm`, false, "AS-06"),
	rule("kube-apiserver", `oidc: email not verified`, k8sOIDC+" (email claim checks)", `oidc: email not verified`, false, "AS-14"),
	rule("kube-apiserver", `oidc: parse username claims "...": claim not present`, k8sOIDC, `parse username claim|claim not present`, false, "AS-15", "AS-73", "AS-45"),
	rule("kube-apiserver", `oidc: parse groups claim "...": ...`, k8sOIDC, `parse groups claim`, false, "AS-16"),
	rule("kube-apiserver", `oidc: authenticator not initialized`, k8sOIDC, `authenticator not initialized`, false, "AS-91", "AS-92", "AS-03", "AS-02"),
	rule("kube-apiserver, oauth2-proxy, kubelogin", `x509: certificate signed by unknown authority`, "Go crypto/x509 UnknownAuthorityError", `certificate signed by unknown authority|failed to verify certificate`, false, "AS-03", "AS-09", "AS-92"),
	// A changed AuthenticationConfiguration is reloaded only when every
	// issuer in it answers: otherwise the API server keeps the previous
	// config and retries (kubernetes pkg/kubeapiserver/options/authentication.go),
	// so the break shows at the next restart, not now.
	rule("kube-apiserver", `"failed to update authentication config" err="[oidc: authenticator for issuer \"...\" is not healthy: ...]"`, "kubernetes pkg/kubeapiserver/options/authentication.go (config file reload)", `failed to update authentication config`, false, "AS-91", "AS-92", "AS-93", "AS-01", "AS-03"),
	rule("kube-apiserver", `"failed to validate authentication config" err="..."`, "kubernetes pkg/kubeapiserver/options/authentication.go (config file reload)", `failed to validate authentication config`, false, "AS-05"),
	rule("kube-apiserver", `authentication-config file and oidc-* flags are mutually exclusive`, "kubernetes pkg/kubeapiserver/options/authentication.go Validate", `mutually exclusive`, false, "AS-04"),
	rule("kube-apiserver", `Unable to authenticate the request" err="[invalid bearer token, ...]`, "kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/filters/authentication.go; pkg/authentication/request/bearertoken/bearertoken.go", `invalid bearer token|unable to authenticate the request`, true, unauthorized...),
	// kubectl
	rule("kubectl", `error: You must be logged in to the server (Unauthorized)`, "kubernetes staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go StandardErrorMessage", `you must be logged in to the server|\(Unauthorized\)`, true, append([]string{"AS-70"}, unauthorized...)...),
	rule("kubectl", `Error from server (Forbidden): pods is forbidden: User "..." cannot list resource "pods" ...`, "kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go forbiddenMessage", `is forbidden: user "[^"]*" cannot|\(Forbidden\)`, false, "AS-30", "AS-31", "AS-32", "AS-33", "AS-17", "AS-72", "AS-45", "AS-97"),
	rule("kubectl", `exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"`, "kubernetes staging/src/k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go", `exec plugin: invalid apiversion`, false, "AS-70"),
	// dex
	// Current dex shows these pages without the value; releases before the
	// authflow package added it in parentheses.
	rule("dex", `Unregistered redirect_uri. / Unregistered redirect_uri ("...").`, dexAuthflow, `unregistered redirect_uri`, false, "AS-40"),
	rule("dex", `Invalid client_id. / Invalid client_id ("...").`, dexAuthflow, `invalid client_id`, false, "AS-41"),
	rule("dex", `Client can't request scope(s) [...]`, dexAuthflow, `can't request scope`, false, "AS-43"),
	// dex's token endpoint answers the same for an unknown client as for a
	// wrong secret (server/grants/grants.go authenticateClient): kubelogin's
	// password and refresh grants show it for a client id dex lacks.
	rule("dex, oauth2-proxy, kubelogin", `Invalid client credentials. / oauth2: "invalid_client"`, "dexidp/dex server/grants/grants.go authenticateClient", `invalid client credentials|invalid_client|unauthorized_client`, false, "AS-42", "AS-41"),
	rule("dex", `connector returned error when creating callback ... expected callback URL "..." did not match the URL in the config "..."`, "dexidp/dex server/handlers.go handleConnectorLogin; connector/github, oidc, gitlab ... LoginURL", `did not match the url in the config|returned error when creating callback`, false, "AS-46"),
	rule("dex", `Invalid state / Requested resource does not exist.`, "dexidp/dex server/handlers.go", `invalid state|requested resource does not exist`, false, "AS-44"),
	// oauth2-proxy
	rule("oauth2-proxy", `audience from claim aud with value [...] does not match with any of allowed audiences ...`, proxyOIDC+" verifyAudience", `does not match with any of allowed audiences`, false, "AS-56", "AS-41", "AS-58"),
	rule("oauth2-proxy", `email in id_token (...) isn't verified`, proxyOIDC+"; providers/oidc.go", `email in id_token .*isn't verified`, false, "AS-14"),
	rule("oauth2-proxy", `cookie "_oauth2_proxy" not present`, "oauth2-proxy pkg/sessions/cookie/session_store.go Load", `cookie "[^"]*" not present`, false, "AS-57", "AS-66", "AS-62", "AS-52", "AS-61"),
	rule("oauth2-proxy", `Error loading cookied session: cookie signature not valid, removing session`, "oauth2-proxy pkg/middleware/stored_session.go; pkg/sessions/cookie/session_store.go", `error loading cookied session|cookie signature not valid`, false, "AS-50", "AS-57", "AS-61"),
	rule("oauth2-proxy", `Warning: request host "..." did not match any of the specific cookie domains of "..." / Warning: request host is "..." but using configured cookie domain of "..."`, "oauth2-proxy pkg/cookies/cookies.go MakeCookie", `did not match any of the specific cookie domains|but using configured cookie domain`, false, "AS-66"),
	rule("oauth2-proxy", `missing setting for email validation: email-domain or authenticated-emails-file required`, "oauth2-proxy pkg/validation/options.go", `missing setting for email validation`, false, "AS-65"),
	rule("oauth2-proxy", `cookie_secret must be 16, 24, or 32 bytes to create an AES cipher`, "oauth2-proxy pkg/validation/cookie.go", `cookie_secret must be`, false, "AS-50"),
	rule("oauth2-proxy", `Rejecting invalid redirect "...": domain / port not in whitelist`, "oauth2-proxy pkg/app/redirect/validator.go", `rejecting invalid redirect`, false, "AS-52", "AS-59"),
	rule("oauth2-proxy", `Permission Denied (allowed_groups)`, "oauth2-proxy oauthproxy.go", `permission denied`, false, "AS-53", "AS-54", "AS-45"),
	rule("oauth2-proxy", `Error redeeming code during OAuth2 callback: ...`, "oauth2-proxy oauthproxy.go OAuthCallback", `error redeeming code during oauth2 callback|error creating session during oauth2 callback`, true, "AS-42", "AS-01", "AS-03", "AS-14", "AS-40", "AS-56"),
	// ingress-nginx (nginx's auth_request module, used by the auth-url annotation)
	rule("ingress-nginx", `auth request unexpected status: 500`, "nginx src/http/modules/ngx_http_auth_request_module.c", `auth request unexpected status`, false, "AS-61", "AS-62", "AS-68", "AS-60", "AS-42", "AS-14"),
	rule("ingress-nginx", `upstream sent too big header while reading response header from upstream`, "nginx src/http/ngx_http_upstream.c", `upstream sent too big header`, false, "AS-61"),
	rule("ingress-nginx", `401 Authorization Required`, "nginx src/http/ngx_http_special_response.c", `401 authorization required`, false, "AS-62"),
	rule("ingress-nginx", `error reading ExternalAuth annotation in Ingress .../...: ...`, "ingress-nginx internal/ingress/annotations/annotations.go Extract; authreq/main.go", `error reading \w+ annotation in ingress`, false, "AS-22"),
}

// Symptoms returns the table of messages doctor recognizes.
func Symptoms() []SymptomRule { return append([]SymptomRule(nil), symptomRules...) }

// SymptomMatch is a known message found in what the user pasted.
type SymptomMatch struct {
	Component string   `json:"component"`
	Says      string   `json:"says"`
	Source    string   `json:"source"`
	Codes     []string `json:"codes"`
}

// SymptomResult says what doctor made of the pasted message.
type SymptomResult struct {
	Message string         `json:"message"`
	Known   bool           `json:"known"`
	Matches []SymptomMatch `json:"matches"`
	// Explained are the checks the message points to that found an error
	// or a warning: the likely causes.
	Explained []string `json:"explained"`
}

// MatchSymptom finds the rules that match msg: specific ones, or the
// generic ones when no specific rule matches.
func MatchSymptom(msg string) []SymptomRule {
	var specific, generic []SymptomRule
	for _, r := range symptomRules {
		if !r.re().MatchString(msg) {
			continue
		}
		if r.Generic {
			generic = append(generic, r)
		} else {
			specific = append(specific, r)
		}
	}
	if len(specific) > 0 {
		return specific
	}
	return generic
}

// DiagnoseSymptom runs first the checks that explain msg, then every
// other check, and says which of the first found something. A message
// doctor does not know runs every check, and the result says so.
func DiagnoseSymptom(m *Model, msg string) *Report {
	rules := MatchSymptom(msg)
	res := &SymptomResult{Message: strings.TrimSpace(msg), Known: len(rules) > 0, Matches: []SymptomMatch{}, Explained: []string{}}
	first := map[string]bool{}
	var order []string
	for _, r := range rules {
		res.Matches = append(res.Matches, SymptomMatch{Component: r.Component, Says: r.Says, Source: r.Source, Codes: r.Codes})
		for _, c := range r.Codes {
			if !first[c] {
				first[c] = true
				order = append(order, c)
			}
		}
	}
	var run []Check
	for _, code := range order {
		for _, c := range checks {
			if c.Code == code {
				run = append(run, c)
			}
		}
	}
	for _, c := range checks {
		if !first[c.Code] {
			run = append(run, c)
		}
	}
	r := diagnose(m, run)
	for _, code := range order {
		for _, c := range r.Checks {
			if c.Code == code && (c.Status == StatusError || c.Status == StatusWarning) {
				res.Explained = append(res.Explained, code)
			}
		}
	}
	r.Symptom = res
	return r
}
