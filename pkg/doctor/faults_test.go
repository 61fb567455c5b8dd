package doctor

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The healthy artifacts give no error and no warning.
func TestHealthyArtifactsHaveNoProblems(t *testing.T) {
	a := healthy(t)
	for _, extra := range []string{"kube-apiserver.yaml", "kubespray-vars.yaml", "kubeadm-config.yaml"} {
		a.files[extra] = readHealthy(t, extra)
	}
	r := Diagnose(a.model(t))
	for _, f := range r.Findings {
		if f.Severity != Info {
			t.Errorf("%s %s %s: %s", f.Severity, f.Code, f.Name, f.Message)
		}
	}
	if len(r.Ran) < 30 {
		t.Errorf("only %d checks ran on the full artifact set", len(r.Ran))
	}
}

type fault struct {
	name   string
	break_ func(t *testing.T, a *artifacts)
	code   string
	sev    Severity
	// in is a piece of the finding's message, to tell which of a check's
	// findings fired.
	in string
}

var faults = []fault{
	{"issuer with a trailing slash", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "url: https://dex.example.com", "url: https://dex.example.com/")
	}, "AS-01", Error, "trailing slash"},
	{"token issuer with another scheme", func(t *testing.T, a *artifacts) { a.claims["iss"] = "http://dex.example.com" }, "AS-01", Error, "scheme"},
	{"proxy issuer with another path", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `oidc_issuer_url = "https://dex.example.com"`, `oidc_issuer_url = "https://dex.example.com/dex"`)
	}, "AS-01", Error, "path"},
	{"kubeconfig issuer on another host", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "--oidc-issuer-url=https://dex.example.com", "--oidc-issuer-url=https://login.example.com")
	}, "AS-01", Error, "host"},
	{"non-https issuer", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "url: https://dex.example.com", "url: http://dex.example.com")
	}, "AS-02", Error, "not an https URL"},
	{"missing CA for a private issuer", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kube-apiserver.yaml"] = strings.Replace(readHealthy(t, "kube-apiserver.yaml"), "    - --oidc-ca-file=/etc/kubernetes/ssl/oidc-ca.pem\n", "", 1)
	}, "AS-03", Error, "private CA"},
	{"signature by an unknown key", func(t *testing.T, a *artifacts) { a.jwks = jwksJSON(t, true) }, "AS-10", Error, "does not verify"},
	{"key id not in the key set", func(t *testing.T, a *artifacts) { a.header["kid"] = "rotated-away" }, "AS-10", Error, "no key with kid"},
	{"algorithm not accepted by --oidc-signing-algs", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kube-apiserver.yaml"] = readHealthy(t, "kube-apiserver.yaml")
		a.header["alg"], a.header["kid"] = "ES256", "key-ec"
	}, "AS-06", Error, "signed with ES256"},
	{"HS256 token", func(t *testing.T, a *artifacts) { a.header["alg"] = "HS256" }, "AS-06", Error, "HS256"},
	{"flags and AuthenticationConfiguration both set", func(t *testing.T, a *artifacts) {
		a.files["kube-apiserver.yaml"] = strings.Replace(readHealthy(t, "kube-apiserver.yaml"), "    - --oidc-issuer-url", "    - --authentication-config=/etc/kubernetes/authn.yaml\n    - --oidc-issuer-url", 1)
	}, "AS-04", Error, "both"},
	{"kubespray with kube_oidc_auth and the authentication config file", func(t *testing.T, a *artifacts) {
		a.files["kubespray-vars.yaml"] = strings.Replace(readHealthy(t, "kubespray-vars.yaml"), "kube_apiserver_use_authentication_config_file: false", "kube_apiserver_use_authentication_config_file: true\nkube_apiserver_authentication_config_jwt: []", 1)
	}, "AS-04", Error, "both"},
	{"invalid AuthenticationConfiguration", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "    audiences:\n    - kubernetes\n", "")
	}, "AS-05", Error, "audiences"},
	{"audience mismatch", func(t *testing.T, a *artifacts) {
		a.claims["aud"] = "oauth2-proxy-dashboard"
		a.claims["azp"] = "oauth2-proxy-dashboard"
	}, "AS-13", Error, "trustedPeers"},
	{"kubeconfig client not an audience", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "--oidc-client-id=kubernetes", "--oidc-client-id=kubectl")
	}, "AS-13", Error, "does not accept"},
	{"trusted peer missing", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "  trustedPeers:\n  - oauth2-proxy-dashboard\n", "")
	}, "AS-43", Error, "trustedPeers"},
	{"forwarded token without the cross-client scope", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", " audience:server:client_id:kubernetes", "")
	}, "AS-56", Error, "does not accept"},
	{"username prefix system:", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "claim: email\n      prefix: \"system:\"")
	}, "AS-07", Error, "makes every value a system: name"},
	{"username prefix the start of system:", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "claim: email\n      prefix: \"sys\"")
	}, "AS-07", Error, `a value starting with "tem:"`},
	{"username without prefix", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "claim: email\n      prefix: \"\"")
	}, "AS-07", Warning, "there is no prefix"},
	{"username prefix without a colon", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "claim: email\n      prefix: \"oidc\"")
	}, "AS-07", Warning, "does not end with ':'"},
	{"username from CEL under system:", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "expression: \"'system:' + claims.email\"")
	}, "AS-07", Error, "makes every value a system: name"},
	{"groups without prefix (flags)", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kube-apiserver.yaml"] = strings.Replace(readHealthy(t, "kube-apiserver.yaml"), "    - \"--oidc-groups-prefix=oidc:\"\n", "", 1)
	}, "AS-08", Warning, "there is no prefix"},
	{"groups prefix - (flags)", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kube-apiserver.yaml"] = strings.Replace(readHealthy(t, "kube-apiserver.yaml"), "--oidc-groups-prefix=oidc:", "--oidc-groups-prefix=-", 1)
	}, "AS-08", Warning, "taken literally"},
	{"groups prefix the start of system:", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: groups\n      prefix: \"oidc:\"", "claim: groups\n      prefix: \"s\"")
	}, "AS-08", Error, `a value starting with "ystem:"`},
	{"token group system:masters without groups prefix", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: groups\n      prefix: \"oidc:\"", "claim: groups\n      prefix: \"\"")
		a.claims["groups"] = []any{"developers", "system:masters"}
	}, "AS-19", Error, `group "system:masters"`},
	{"dex static user in system:masters without groups prefix (kubespray flags)", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kubespray-vars.yaml"] = strings.Replace(readHealthy(t, "kubespray-vars.yaml"), "kube_oidc_groups_prefix: \"oidc:\"\n", "", 1)
		a.files["dex.yaml"] += "staticPasswords:\n- email: mallory@example.com\n  username: mallory\n  groups: [system:masters]\n"
	}, "AS-19", Error, `staticPasswords[0]: the API server would make it group "system:masters"`},
	{"username claim system: with the - prefix", func(t *testing.T, a *artifacts) {
		delete(a.files, "authentication-config.yaml")
		a.files["kube-apiserver.yaml"] = strings.Replace(readHealthy(t, "kube-apiserver.yaml"), "--oidc-username-prefix=oidc:", "--oidc-username-prefix=-", 1)
		a.claims["email"] = "system:kube-controller-manager"
	}, "AS-19", Error, `user "system:kube-controller-manager"`},
	{"session cookie without Secure", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "cookie_secure = true", "cookie_secure = false")
	}, "AS-57", Error, "without Secure"},
	{"session cookie without HttpOnly", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "cookie_secure = true", "cookie_secure = true\ncookie_httponly = false")
	}, "AS-57", Error, "without HttpOnly"},
	{"SameSite=None without Secure", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "cookie_secure = true", "cookie_secure = false\ncookie_samesite = \"none\"")
	}, "AS-57", Error, "SameSite=None"},
	{"session cookie kept for a year", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `cookie_expire = "168h"`, `cookie_expire = "8760h"`)
	}, "AS-57", Warning, "keeps sessions for 8760h"},
	{"bearer tokens skip the login", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "set_xauthrequest = true", "set_xauthrequest = true\nskip_jwt_bearer_tokens = true")
	}, "AS-58", Warning, "without a login"},
	{"bearer tokens of the API server's audience let in", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "set_xauthrequest = true", "set_xauthrequest = true\nskip_jwt_bearer_tokens = true\nextra_jwt_issuers = [\"https://dex.example.com=kubernetes\"]")
	}, "AS-58", Error, "every kubectl user's token"},
	{"wildcard whitelist domain", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `  "dashboard.example.com",`, `  "dashboard.example.com", "*.example.com",`)
	}, "AS-59", Warning, "every host under it"},
	{"whitelist domain of a whole TLD", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `  "dashboard.example.com",`, `  "dashboard.example.com", ".com:*",`)
	}, "AS-59", Error, "open redirect"},
	{"whitelist domain *", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `  "dashboard.example.com",`, `  "dashboard.example.com", "*",`)
	}, "AS-59", Warning, "matches no host"},
	{"snippet that sets an identity header", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n    nginx.ingress.kubernetes.io/configuration-snippet: |\n      proxy_set_header X-Remote-User $http_x_user;\n")
	}, "AS-63", Error, "x-remote-"},
	{"snippet in general", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n    nginx.ingress.kubernetes.io/server-snippet: |\n      more_clear_input_headers X-Remote-User;\n      gzip on;\n")
	}, "AS-63", Warning, "server-snippet"},
	{"auth-response-headers with a header name ingress-nginx refuses", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "auth-response-headers: Authorization", "auth-response-headers: Authorization X-User")
	}, "AS-22", Error, "auth-response-headers"},
	{"auth-url that is not an absolute URL", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "auth-url: http://oauth2-proxy-dashboard.kubernetes-dashboard.svc.cluster.local:4180/oauth2/auth", "auth-url: /oauth2/auth")
	}, "AS-22", Error, "the scheme is empty"},
	{"auth-cache-duration without a time", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n", "    nginx.ingress.kubernetes.io/backend-protocol: HTTPS\n    nginx.ingress.kubernetes.io/auth-cache-duration: 200 202\n")
	}, "AS-22", Error, "auth-cache-duration"},
	{"cluster-admin for system:authenticated", func(t *testing.T, a *artifacts) {
		a.edit(t, "rbac.yaml", "  name: oidc:platform", "  name: oidc:platform\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: system:authenticated")
	}, "AS-34", Error, "system:authenticated ClusterRole cluster-admin"},
	{"custom write role for system:anonymous", func(t *testing.T, a *artifacts) {
		a.files["rbac.yaml"] += rbacDoc("ClusterRole", "pod-manager", `[{apiGroups: [""], resources: [pods], verbs: [get, delete]}]`) +
			"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: anyone}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-manager}\nsubjects: [{kind: User, name: system:anonymous}]\n"
	}, "AS-34", Error, `verb "delete"`},
	{"read-only role that reads Secrets", func(t *testing.T, a *artifacts) {
		a.files["rbac.yaml"] += rbacDoc("ClusterRole", "auditor", `[{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}]`)
	}, "AS-35", Warning, "ClusterRole auditor looks read-only but reads Secrets"},
	{"expired token", func(t *testing.T, a *artifacts) { a.claims["exp"] = testNow.Add(-2 * time.Minute).Unix() }, "AS-11", Error, "expired"},
	{"clock skew: not valid yet", func(t *testing.T, a *artifacts) { a.claims["nbf"] = testNow.Add(10 * time.Minute).Unix() }, "AS-12", Error, "not valid before"},
	{"clock skew: issued in the future", func(t *testing.T, a *artifacts) { a.claims["iat"] = testNow.Add(3 * time.Minute).Unix() }, "AS-12", Warning, "in the future"},
	{"email_verified false with the email claim", func(t *testing.T, a *artifacts) { a.claims["email_verified"] = false }, "AS-14", Error, "email_verified"},
	{"username claim absent", func(t *testing.T, a *artifacts) { delete(a.claims, "email") }, "AS-15", Error, `no "email" claim`},
	{"groups claim a string", func(t *testing.T, a *artifacts) { a.claims["groups"] = "platform,developers" }, "AS-16", Warning, "one group"},
	{"groups claim an object", func(t *testing.T, a *artifacts) { a.claims["groups"] = map[string]any{"platform": true} }, "AS-16", Error, "neither"},
	{"groups scope not requested (token)", func(t *testing.T, a *artifacts) {
		delete(a.claims, "groups")
		a.edit(t, "kubeconfig.yaml", "      - --oidc-extra-scope=groups\n", "")
	}, "AS-17", Warning, "no \"groups\" claim"},
	{"groups scope not requested (kubeconfig)", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "      - --oidc-extra-scope=groups\n", "")
	}, "AS-72", Error, "groups scope"},
	{"groups scope not requested (oauth2-proxy)", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "email groups offline_access", "email offline_access")
	}, "AS-53", Error, "allowed_groups"},
	{"groups claim name mismatch (token)", func(t *testing.T, a *artifacts) {
		a.claims["roles"] = a.claims["groups"]
		delete(a.claims, "groups")
	}, "AS-17", Warning, `carries them in "roles"`},
	{"groups claim name mismatch (oauth2-proxy)", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "allowed_groups", "oidc_groups_claim = \"roles\"\nallowed_groups")
	}, "AS-54", Warning, `"roles"`},
	{"RBAC user without the username prefix", func(t *testing.T, a *artifacts) {
		a.edit(t, "rbac.yaml", "name: oidc:alice@example.com", "name: alice@example.com")
	}, "AS-30", Error, `"oidc:alice@example.com"`},
	{"RBAC group without the groups prefix", func(t *testing.T, a *artifacts) {
		a.edit(t, "rbac.yaml", "name: oidc:platform", "name: platform")
	}, "AS-30", Error, `"oidc:platform"`},
	{"bindings by email while the username claim is sub", func(t *testing.T, a *artifacts) {
		a.edit(t, "authentication-config.yaml", "claim: email", "claim: sub")
	}, "AS-31", Error, "by email"},
	{"no binding matches the token", func(t *testing.T, a *artifacts) {
		a.claims["email"], a.claims["groups"] = "mallory@example.com", []any{"guests"}
	}, "AS-32", Error, "no binding"},
	{"RoleBinding of cluster-admin", func(t *testing.T, a *artifacts) {
		a.edit(t, "rbac.yaml", "  name: edit", "  name: cluster-admin")
	}, "AS-33", Warning, "only inside namespace shop"},
	{"user with RoleBindings only", func(t *testing.T, a *artifacts) { a.claims["groups"] = []any{"developers"} }, "AS-33", Info, "only RoleBindings"},
	{"redirect URI missing from dex", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "  - https://dashboard.example.com/oauth2/callback", "  - https://dashboard.example.com/callback")
	}, "AS-40", Error, "does not allow"},
	{"kubelogin redirect missing from dex", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "  - http://localhost:8000\n  - http://localhost:18000\n", "  - urn:ietf:wg:oauth:2.0:oob\n")
	}, "AS-40", Error, "kubelogin"},
	{"proxy client id unknown to dex", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `client_id = "oauth2-proxy-dashboard"`, `client_id = "dashboard"`)
	}, "AS-41", Error, "does not know"},
	{"kubeconfig client id unknown to dex", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "--oidc-client-id=kubernetes", "--oidc-client-id=kubectl")
	}, "AS-41", Error, "does not know"},
	{"client secret mismatch", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `client_secret = "dashboard-client-secret-0123456789"`, `client_secret = "rotated-secret-that-dex-lacks"`)
	}, "AS-42", Error, "the two values differ"},
	{"offline_access not requested by kubelogin", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "      - --oidc-extra-scope=offline_access\n", "")
	}, "AS-71", Warning, "offline_access"},
	{"offline_access not requested by oauth2-proxy", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", " offline_access", "")
	}, "AS-55", Error, "offline_access"},
	{"dex memory storage with two replicas", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "  type: kubernetes", "  type: memory")
		a.files["ingress.yaml"] += "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\n  namespace: dex\n  labels:\n    app.kubernetes.io/name: dex\nspec:\n  replicas: 2\n"
	}, "AS-44", Error, "2 replicas"},
	{"cookie secret of a wrong length", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `cookie_secret = "q4ejrdJ3jHZb9fj3FIMFZfQfhhaEDG3cdWmTh7CK0rA="`, `cookie_secret = "not-long-enough"`)
	}, "AS-50", Error, "15 bytes"},
	{"cookie_refresh as long as the id token", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `cookie_refresh = "30m"`, `cookie_refresh = "1h"`)
	}, "AS-51", Error, "id tokens live 1h"},
	{"whitelist domains missing the app host", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `  "dashboard.example.com",`, `  ".internal.example.com",`)
	}, "AS-52", Error, "dashboard.example.com"},
	{"Authorization not forwarded by the Ingress", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "auth-response-headers: Authorization", "auth-response-headers: X-Auth-Request-User,X-Auth-Request-Email")
	}, "AS-60", Error, "does not pass it"},
	{"Authorization not set by oauth2-proxy", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "set_authorization_header = true", "set_authorization_header = false")
	}, "AS-60", Error, "does not set it"},
	// ingress-nginx serves a path to a resource backend like any other:
	// without auth-url on its Ingress it is public.
	{"oauth2-proxy's Ingress also serves / from a resource backend", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "            name: oauth2-proxy-dashboard\n            port:\n              number: 4180\n", "            name: oauth2-proxy-dashboard\n            port:\n              number: 4180\n      - path: /\n        pathType: Prefix\n        backend:\n          resource:\n            apiGroup: k8s.example.com\n            kind: StorageBucket\n            name: static-assets\n")
	}, "AS-21", Error, "without auth-url"},
	{"proxy buffer too small", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol", "proxy-buffer-size: 4k\n    nginx.ingress.kubernetes.io/backend-protocol")
	}, "AS-61", Error, "4k"},
	{"auth-signin missing", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/auth-signin: https://dashboard.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri\n", "")
	}, "AS-62", Error, "auth-signin"},
	{"proxy without provider (oauth2-proxy's default is google)", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "provider = \"oidc\"\n", "")
	}, "AS-64", Error, `default "google"`},
	{"proxy with a provider that ignores the issuer", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", `provider = "oidc"`, `provider = "github"`)
	}, "AS-64", Error, `"github"`},
	{"proxy without email_domains", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "email_domains = [\"*\"]\n", "")
	}, "AS-65", Error, "refuses to start"},
	{"cookie domain of another site", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "cookie_secure = true", "cookie_secure = true\ncookie_domains = [\"example.org\"]")
	}, "AS-66", Error, "the browser refuses them"},
	{"identity headers passed but not set by oauth2-proxy", func(t *testing.T, a *artifacts) {
		a.edit(t, "oauth2_proxy.cfg", "set_xauthrequest = true", "set_xauthrequest = false")
		a.edit(t, "ingress.yaml", "auth-response-headers: Authorization", "auth-response-headers: X-Auth-Request-User,X-Auth-Request-Groups,Authorization")
	}, "AS-67", Error, "sees no user"},
	{"access token header passed without pass_access_token", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "auth-response-headers: Authorization", "auth-response-headers: X-Auth-Request-Access-Token,Authorization")
	}, "AS-67", Error, "pass_access_token"},
	{"auth-url at oauth2-proxy's health endpoint", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "svc.cluster.local:4180/oauth2/auth", "svc.cluster.local:4180/ping")
	}, "AS-68", Error, "without a login"},
	{"auth-url at oauth2-proxy's sign-in page", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "svc.cluster.local:4180/oauth2/auth", "svc.cluster.local:4180/oauth2/start")
	}, "AS-68", Error, "answers 500"},
	{"auth answers cached without the session", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol", "    nginx.ingress.kubernetes.io/auth-cache-key: $remote_user$http_authorization\n    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol")
	}, "AS-69", Error, "lets others in"},
	{"auth answers cached by a split session cookie", func(t *testing.T, a *artifacts) {
		a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol", "    nginx.ingress.kubernetes.io/auth-cache-key: $cookie__oauth2_proxy\n    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol")
	}, "AS-69", Error, "whole session cookie"},
	{"exec plugin on a removed API version", func(t *testing.T, a *artifacts) {
		a.edit(t, "kubeconfig.yaml", "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1alpha1")
	}, "AS-70", Error, "v1alpha1"},
	{"kubespray kube_oidc_auth without kube_oidc_url", func(t *testing.T, a *artifacts) {
		a.files["kubespray-vars.yaml"] = strings.Replace(readHealthy(t, "kubespray-vars.yaml"), "kube_oidc_url: https://dex.example.com\n", "", 1)
	}, "AS-80", Error, "not set"},
	{"kubespray kube_oidc_url differs", func(t *testing.T, a *artifacts) {
		a.files["kubespray-vars.yaml"] = strings.Replace(readHealthy(t, "kubespray-vars.yaml"), "kube_oidc_url: https://dex.example.com", "kube_oidc_url: https://dex.example.com:5556", 1)
	}, "AS-80", Error, "is not the issuer"},
	{"dex connector redirects to another host", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "connectors:\n", "connectors:\n- type: github\n  id: github\n  name: GitHub\n  config:\n    clientID: Iv1.0123\n    clientSecret: $GITHUB_CLIENT_SECRET\n    redirectURI: https://login.example.com/callback\n")
	}, "AS-46", Error, "https://dex.example.com/callback"},
	{"dex connector redirects to the connector's path", func(t *testing.T, a *artifacts) {
		a.edit(t, "dex.yaml", "connectors:\n", "connectors:\n- type: oidc\n  id: google\n  name: Google\n  config:\n    issuer: https://accounts.google.com\n    clientID: x\n    clientSecret: $GOOGLE_CLIENT_SECRET\n    redirectURI: https://dex.example.com/callback/google\n")
	}, "AS-46", Error, "Login error."},
	{"kubeadm v1beta4 with extraArgs as a map", func(t *testing.T, a *artifacts) {
		a.files["kubeadm-config.yaml"] = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    oidc-issuer-url: https://dex.example.com\n    oidc-client-id: kubernetes\n    oidc-ca-file: /etc/kubernetes/pki/oidc-ca.crt\n"
	}, "AS-81", Error, "expects apiServer.extraArgs as a list"},
}

func TestFaults(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			a := healthy(t)
			f.break_(t, a)
			r := Diagnose(a.model(t))
			var got []string
			for _, fd := range r.Findings {
				if fd.Code == f.code && fd.Severity == f.sev && strings.Contains(fd.Message+" "+fd.Fix, f.in) {
					if len(fd.Evidence) == 0 && f.sev != Info {
						t.Errorf("%s has no evidence", fd.Code)
					}
					return
				}
				got = append(got, fd.Code+" "+string(fd.Severity)+": "+fd.Message)
			}
			t.Errorf("no %s %s finding containing %q; got:\n%s", f.sev, f.code, f.in, strings.Join(got, "\n"))
		})
	}
}

// Secret values and the token's signature never appear in the output.
func TestNoSecretsInOutput(t *testing.T) {
	a := healthy(t)
	a.edit(t, "oauth2_proxy.cfg", `client_secret = "dashboard-client-secret-0123456789"`, `client_secret = "rotated-secret-that-dex-lacks"`)
	a.edit(t, "oauth2_proxy.cfg", `cookie_secret = "q4ejrdJ3jHZb9fj3FIMFZfQfhhaEDG3cdWmTh7CK0rA="`, `cookie_secret = "not-long-enough"`)
	m := a.model(t)
	r := Diagnose(m)
	var text, js bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	sig := m.Token.Raw()[strings.LastIndex(m.Token.Raw(), ".")+1:]
	for _, secret := range []string{"rotated-secret-that-dex-lacks", "dashboard-client-secret-0123456789", "not-long-enough", sig, m.Token.Raw()} {
		for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains a secret or the token signature (%d chars)", name, len(secret))
			}
		}
	}
	if r.Errors() == 0 {
		t.Fatal("the broken secrets gave no error: the test checks nothing")
	}
}

// Healthy variants: setups that work in the real programs produce no
// finding of the code (a check that contradicts the program is a defect).
func TestHealthyVariants(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, a *artifacts)
		code   string
	}{
		// dex adds the requesting client to aud next to the cross-client
		// audience, and oauth2-proxy accepts a token when any aud entry is
		// its client_id: oidc_extra_audiences is not needed.
		{"auth answers cached per session cookie", func(t *testing.T, a *artifacts) {
			a.edit(t, "ingress.yaml", "    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol", "    nginx.ingress.kubernetes.io/auth-cache-key: $http_cookie$http_authorization\n    nginx.ingress.kubernetes.io/proxy-buffer-size: 16k\n    nginx.ingress.kubernetes.io/backend-protocol")
		}, "AS-69"},
		// An Ingress host carries no port (networking/v1 IngressRule.Host);
		// served on :8443, the browser comes back to host:8443, which the
		// whitelist names (seen in the local end-to-end tier).
		{"app served on another port than 443", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", `redirect_url = "https://dashboard.example.com/oauth2/callback"`, `redirect_url = "https://dashboard.example.com:8443/oauth2/callback"`)
			a.edit(t, "oauth2_proxy.cfg", `  "dashboard.example.com",`, `  "dashboard.example.com:8443",`)
			a.edit(t, "ingress.yaml", "auth-signin: https://dashboard.example.com/oauth2/start", "auth-signin: https://dashboard.example.com:8443/oauth2/start")
		}, "AS-52"},
		{"cookie domain of the parent domain", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", "cookie_secure = true", "cookie_secure = true\ncookie_domains = [\".example.com\"]")
		}, "AS-66"},
		{"keycloak-oidc provider", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", `provider = "oidc"`, `provider = "keycloak-oidc"`)
		}, "AS-64"},
		{"emails from a file instead of email_domains", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", "email_domains = [\"*\"]", "authenticated_emails_file = \"/etc/oauth2-proxy/emails\"")
		}, "AS-65"},
		{"cross-client scope without oidc_extra_audiences", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", `oidc_extra_audiences = ["kubernetes"]`, "")
		}, "AS-56"},
		// dex trusts a client for its own audience without trustedPeers.
		{"cross-client scope naming the proxy itself", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", "audience:server:client_id:kubernetes", "audience:server:client_id:kubernetes audience:server:client_id:oauth2-proxy-dashboard")
		}, "AS-43"},
		// A userValidationRule that refuses system: names guards an
		// unprefixed username.
		{"system: usernames refused by a userValidationRule", func(t *testing.T, a *artifacts) {
			a.edit(t, "authentication-config.yaml", "claim: email\n      prefix: \"oidc:\"", "claim: email\n      prefix: \"system:\"")
			a.files["authentication-config.yaml"] += "  userValidationRules:\n  - expression: \"!user.username.startsWith('system:')\"\n    message: no system users\n"
			a.edit(t, "rbac.yaml", "name: oidc:alice@example.com", "name: system:alice@example.com")
		}, "AS-19"},
		// dex joins the issuer's path and /callback (server/server.go
		// absURL), so a trailing slash on the issuer changes nothing.
		{"dex connector redirectURI of an issuer with a trailing slash", func(t *testing.T, a *artifacts) {
			a.edit(t, "dex.yaml", "issuer: https://dex.example.com\n", "issuer: https://dex.example.com/\n")
			a.edit(t, "dex.yaml", "connectors:\n", "connectors:\n- type: github\n  id: github\n  config:\n    clientID: x\n    redirectURI: https://dex.example.com/callback\n")
		}, "AS-46"},
		// A SAML IdP posts to the ACS URL; dex serves /callback/<id> too.
		{"saml connector posting to /callback/<id>", func(t *testing.T, a *artifacts) {
			a.edit(t, "dex.yaml", "connectors:\n", "connectors:\n- type: saml\n  id: okta\n  config:\n    ssoURL: https://okta.example.com/sso\n    redirectURI: https://dex.example.com/callback/okta\n")
		}, "AS-46"},
		{"dex connector redirectURI from the environment", func(t *testing.T, a *artifacts) {
			a.edit(t, "dex.yaml", "connectors:\n", "connectors:\n- type: github\n  id: github\n  config:\n    clientID: x\n    redirectURI: $DEX_CALLBACK\n")
		}, "AS-46"},
		// kube-apiserver: cookie_refresh is compared with cookie_expire
		// only when cookie_expire is not 0 (a browser-session cookie).
		{"session cookie with refresh", func(t *testing.T, a *artifacts) {
			a.edit(t, "oauth2_proxy.cfg", `cookie_expire = "168h"`, `cookie_expire = "0s"`)
		}, "AS-51"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := healthy(t)
			c.change(t, a)
			for _, f := range Diagnose(a.model(t)).Findings {
				if f.Code == c.code && f.Severity != Info {
					t.Errorf("%s %s: %s", f.Severity, f.Code, f.Message)
				}
			}
		})
	}
}

func rbacDoc(kind, name, rules string) string {
	return fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata: {name: %s}\nrules: %s\n", kind, name, rules)
}
