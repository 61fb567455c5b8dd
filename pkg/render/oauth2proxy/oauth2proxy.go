// Package oauth2proxy renders the oauth2-proxy configuration of one protected
// app and the ingress-nginx annotations that send the app's requests
// through it.
package oauth2proxy

import (
	"fmt"
	"strings"
	"time"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// ConfigDir is where the Deployment mounts the config and the issuer CA.
const ConfigDir = "/etc/oauth2-proxy"

// Port is oauth2-proxy's HTTP port.
const Port = 4180

// CookieSecretSize is the AES key size oauth2-proxy needs for its cookies.
const CookieSecretSize = 32

// ProxyBufferSize holds the session cookies, split in chunks by oauth2-proxy,
// in ingress-nginx's response header buffer.
const ProxyBufferSize = "16k"

// Scopes every proxy asks dex for: groups (a dex scope) for allowed_groups
// and the headers, offline_access for a refresh token so sessions outlive
// one id token. Another issuer gets the scopes of issuer.external.scopes.
var baseScopes = []string{"openid", "profile", "email", "groups", "offline_access"}

// IdentityHeaders are the headers a headers-mode app receives.
var IdentityHeaders = []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username"}

// Name is the name of the app's oauth2-proxy Deployment, Service and ConfigMap.
func Name(app *v1alpha1.App) string { return "oauth2-proxy-" + app.Name }

// CookieRefresh is half of the id token lifetime: the session is refreshed
// before the token it forwards expires.
func CookieRefresh(spec *v1alpha1.Spec) time.Duration {
	lifetime := time.Hour
	if d := spec.Issuer.Dex; d != nil {
		if l, err := time.ParseDuration(d.IDTokenLifetime); err == nil {
			lifetime = l
		}
	}
	return lifetime / 2
}

// Files are the configuration files of one oauth2-proxy: oauth2_proxy.cfg,
// and for a headers-mode proxy the alpha config (format.AlphaConfigKey,
// given as --alpha-config) that chooses the claim of X-Auth-Request-User,
// which the legacy options fix to the subject.
type Files struct {
	Config string
	Alpha  string
}

// Config renders the config files of app's own oauth2-proxy (no shared
// sign-in host).
func Config(spec *v1alpha1.Spec, app *v1alpha1.App, hasCA bool) (Files, error) {
	p, err := ProxyFor(spec, app)
	if err != nil {
		return Files{}, err
	}
	return ProxyConfig(spec, p, hasCA)
}

// ProxyConfig renders the config files of p. They hold no secret: the
// client and cookie secrets come from the environment.
func ProxyConfig(spec *v1alpha1.Spec, p *Proxy, hasCA bool) (Files, error) {
	c := Model(spec, p, hasCA)
	if c.InjectResponseHeaders == nil {
		out, err := format.Print(c)
		if err != nil {
			return Files{}, fmt.Errorf("oauth2-proxy config of %s: %w", p.Name, err)
		}
		return Files{Config: string(out)}, nil
	}
	cfg, alpha, err := format.PrintAlpha(c)
	if err != nil {
		return Files{}, fmt.Errorf("oauth2-proxy config of %s: %w", p.Name, err)
	}
	return Files{Config: string(cfg), Alpha: string(alpha)}, nil
}

// Model is the configuration of p in the one oauth2-proxy config model.
func Model(spec *v1alpha1.Spec, p *Proxy, hasCA bool) *format.Config {
	apps := p.signinApps(spec)
	c := &format.Config{
		Header:        header(p),
		Provider:      "oidc",
		OIDCIssuerURL: spec.IssuerURL(),
		ClientID:      p.ClientID,
		RedirectURL:   "https://" + p.Host + "/oauth2/callback",
		HTTPAddress:   fmt.Sprintf("0.0.0.0:%d", Port),
		ReverseProxy:  true,
		// Only auth_request is served: ingress-nginx proxies to the app itself.
		Upstreams:              []string{StaticUpstream(spec)},
		OIDCEmailClaim:         "email",
		OIDCGroupsClaim:        spec.APIServer.GroupsClaim,
		CodeChallengeMethod:    "S256",
		EmailDomains:           emailDomains(apps),
		CookieSecure:           true,
		CookieHTTPOnly:         true,
		CookieSameSite:         "lax",
		WhitelistDomains:       whitelist(p.Host, apps),
		CookieRefresh:          CookieRefresh(spec),
		CookieExpire:           168 * time.Hour,
		ApprovalPrompt:         "auto",
		SkipProviderButton:     true,
		SetXAuthRequest:        true,
		SetAuthorizationHeader: p.Identity == v1alpha1.IdentityToken,
		SilencePingLogging:     true,
	}
	if p.Shared {
		// One cookie for every app: set for the parent domain, and read by
		// each variant of the shared proxy with the same name and secret.
		c.CookieName = "_" + strings.ReplaceAll(SharedName, "-", "_")
		c.CookieDomains = []string{spec.Auth.CookieDomain}
		// Each app's groups are asked for in its auth URL (AuthQuery); a
		// global allowed_groups would hold every app to the same groups.
	} else {
		app := p.Apps[0]
		c.CookieName = "_oauth2_proxy_" + strings.ReplaceAll(app.Name, "-", "_")
		c.CookieDomains = []string{v1alpha1.Hostname(app.Host)}
		c.AllowedGroups = app.AllowedGroups
	}
	// Written even when false or empty, so that a reader sees the choice.
	c.Mark("email_domains", "set_authorization_header", "pass_access_token")
	scopes := append([]string(nil), baseScopes...)
	if e := spec.Issuer.External; e != nil {
		scopes = append([]string(nil), e.Scopes...)
	}
	// The forwarded id token must be one the API server accepts. Dex issues
	// it for the kubectl client on request; any other issuer issues it for
	// this proxy's client, which validation makes an API server audience.
	// A shared proxy asks for it whenever one of its apps is token-mode:
	// the session is made once, at the sign-in host, for every app.
	if forwardsToken(apps) && spec.CrossClient() {
		aud := spec.ForwardedAudience(apps[0])
		c.Comments = map[string]string{"oidc_extra_audiences": "The forwarded id token must be accepted by the API server, whose audience is the kubectl client."}
		scopes = append(scopes, "audience:server:client_id:"+aud)
		c.OIDCExtraAudiences = []string{aud}
	}
	c.Scope = strings.Join(withClaimScopes(scopes, apps), " ")
	if hasCA {
		c.ProviderCAFiles = []string{ConfigDir + "/issuer-ca.crt"}
	}
	if p.Identity == v1alpha1.IdentityHeaders {
		headersIdentity(c, p.UserClaim)
	}
	return c
}

func header(p *Proxy) string {
	identity := string(p.Identity) + " identity"
	if p.Identity == v1alpha1.IdentityHeaders {
		identity += ", X-Auth-Request-User from " + string(p.UserClaim)
	}
	if !p.Shared {
		return fmt.Sprintf("oauth2-proxy for %s (%s), rendered by authstack.", p.Apps[0].Name, identity)
	}
	names := make([]string, len(p.Apps))
	for i, a := range p.Apps {
		names[i] = a.Name
	}
	return fmt.Sprintf("Shared oauth2-proxy of sign-in host %s for %s (%s), rendered by authstack.", p.Host, strings.Join(names, ", "), identity)
}

func forwardsToken(apps []*v1alpha1.App) bool {
	for _, a := range apps {
		if a.Identity == v1alpha1.IdentityToken {
			return true
		}
	}
	return false
}

// Annotations are the ingress-nginx annotations of the app's Ingress. No
// snippet annotation is ever used: they are disabled on secure controllers.
func Annotations(spec *v1alpha1.Spec, app *v1alpha1.App) (map[string]string, error) {
	p, err := ProxyFor(spec, app)
	if err != nil {
		return nil, err
	}
	a := ingressnginx.Auth{
		URL:             fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/oauth2/auth", p.Name, p.Namespace, Port),
		Signin:          "https://" + p.Host + "/oauth2/start?rd=" + returnTo(app),
		ProxyBufferSize: ProxyBufferSize,
		ResponseHeaders: []string{"Authorization"},
	}
	if p.Shared {
		a.URL += AuthQuery(app)
	}
	if app.Identity != v1alpha1.IdentityToken {
		// Authorization too, though oauth2-proxy sends none to a headers
		// app: ingress-nginx sets each listed header from the auth
		// response (auth_request_set + proxy_set_header), and nginx drops
		// a header set to an empty value, so a bearer token the client
		// sent never reaches an app that trusts the X-Auth-Request-*
		// headers (Grafana also reads Authorization as an API key).
		a.ResponseHeaders = append(append([]string(nil), IdentityHeaders...), "Authorization")
	}
	if app.Upstream.Protocol == "HTTPS" {
		a.BackendProtocol = "HTTPS"
	}
	out, err := a.Annotations()
	if err != nil {
		return nil, fmt.Errorf("ingress-nginx annotations of app %s: %w", app.Name, err)
	}
	return out, nil
}

// returnTo is where oauth2-proxy sends the user back after login: the page
// they asked for. nginx's $host has no port, so a host with a port needs
// $http_host, or oauth2-proxy refuses the redirect as not whitelisted.
func returnTo(app *v1alpha1.App) string {
	if v1alpha1.Hostname(app.Host) != app.Host {
		return "$scheme://$http_host$escaped_request_uri"
	}
	return "$scheme://$host$escaped_request_uri"
}
