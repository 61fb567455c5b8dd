package oauth2proxy

import (
	"fmt"
	"strings"
	"time"
)

// Config is an oauth2-proxy configuration: the options given, where each
// was given, and nothing else. Effective adds oauth2-proxy's defaults.
type Config struct {
	Provider                         string
	OIDCIssuerURL                    string
	ClientID                         string
	ClientSecret                     Secret
	ClientSecretFile                 string
	RedirectURL                      string
	HTTPAddress                      string
	ReverseProxy                     bool
	Upstreams                        []string
	OIDCExtraAudiences               []string
	Scope                            string
	OIDCEmailClaim                   string
	OIDCGroupsClaim                  string
	CodeChallengeMethod              string
	EmailDomains                     []string
	AllowedGroups                    []string
	CookieName                       string
	CookieSecure                     bool
	CookieHTTPOnly                   bool
	CookieSameSite                   string
	CookieDomains                    []string
	WhitelistDomains                 []string
	CookieRefresh                    time.Duration
	CookieExpire                     time.Duration
	ApprovalPrompt                   string
	SkipProviderButton               bool
	SetXAuthRequest                  bool
	SetAuthorizationHeader           bool
	PassAccessToken                  bool
	ProviderCAFiles                  []string
	SilencePingLogging               bool
	CookieSecret                     Secret
	CookieSecretFile                 string
	PassAuthorizationHeader          bool
	SetBasicAuth                     bool
	SkipJWTBearerTokens              bool
	ExtraJWTIssuers                  []string
	ProxyPrefix                      string
	AuthenticatedEmailsFile          string
	SkipAuthRoutes                   []string
	SkipAuthRegex                    []string
	TrustedIPs                       []string
	InsecureOIDCAllowUnverifiedEmail bool
	SSLInsecureSkipVerify            bool

	// InjectResponseHeaders are the response headers of an alpha config
	// (injectResponseHeaders); nil with the legacy options, which give
	// them through set_xauthrequest and set_authorization_header. A
	// Config that has them is printed with PrintAlpha.
	InjectResponseHeaders []Header

	// Given maps each option given, by its config file name, to where it
	// was given ("cookie_secure", "env OAUTH2_PROXY_COOKIE_SECURE",
	// "arg --cookie-secure"...).
	Given map[string]string
	// Other are given options this model does not type, by the spelling
	// they were given in, with their raw value; they are kept, not checked.
	Other map[string]string

	// Header and Comments are printed by Print: a comment at the top, and
	// comments before an option (by config file name).
	Header   string
	Comments map[string]string
}

// Secret is a secret option: its value when it is known here, or a
// description of where it comes from (a Secret key, an environment
// variable). Its value is never printed by String.
type Secret struct {
	Value string
	Known bool
	// From says where the value comes from when it is not in the
	// configuration itself, e.g. "Secret oauth2-proxy key client-secret".
	From string
}

// String never shows the value.
func (s Secret) String() string {
	switch {
	case s.From != "":
		return "(from " + s.From + ")"
	case s.Known:
		return "(secret)"
	}
	return ""
}

type kind int

const (
	kString kind = iota
	kBool
	kList
	kDuration
	kSecret
)

// option is one oauth2-proxy option: its config file name, its flag
// (which is not always the config name with dashes: upstreams is
// --upstream, email_domains --email-domain), and the Config field that
// holds it. The environment variable is OAUTH2_PROXY_ and the upper-cased
// config name (pkg/apis/options/load.go: SetEnvPrefix + AutomaticEnv over
// the cfg names). The order is the order Print writes.
type option struct {
	cfg, flag string
	kind      kind
	field     func(*Config) any
}

// options lists the typed options; names checked against oauth2-proxy
// v7 pkg/apis/options (options.go, cookie.go, legacy_options.go,
// logging.go).
var options = []option{
	{"provider", "provider", kString, func(c *Config) any { return &c.Provider }},
	{"oidc_issuer_url", "oidc-issuer-url", kString, func(c *Config) any { return &c.OIDCIssuerURL }},
	{"client_id", "client-id", kString, func(c *Config) any { return &c.ClientID }},
	{"client_secret", "client-secret", kSecret, func(c *Config) any { return &c.ClientSecret }},
	{"client_secret_file", "client-secret-file", kString, func(c *Config) any { return &c.ClientSecretFile }},
	{"redirect_url", "redirect-url", kString, func(c *Config) any { return &c.RedirectURL }},
	{"http_address", "http-address", kString, func(c *Config) any { return &c.HTTPAddress }},
	{"reverse_proxy", "reverse-proxy", kBool, func(c *Config) any { return &c.ReverseProxy }},
	{"upstreams", "upstream", kList, func(c *Config) any { return &c.Upstreams }},
	{"oidc_extra_audiences", "oidc-extra-audience", kList, func(c *Config) any { return &c.OIDCExtraAudiences }},
	{"scope", "scope", kString, func(c *Config) any { return &c.Scope }},
	{"oidc_email_claim", "oidc-email-claim", kString, func(c *Config) any { return &c.OIDCEmailClaim }},
	{"oidc_groups_claim", "oidc-groups-claim", kString, func(c *Config) any { return &c.OIDCGroupsClaim }},
	{"code_challenge_method", "code-challenge-method", kString, func(c *Config) any { return &c.CodeChallengeMethod }},
	{"email_domains", "email-domain", kList, func(c *Config) any { return &c.EmailDomains }},
	{"allowed_groups", "allowed-group", kList, func(c *Config) any { return &c.AllowedGroups }},
	{"cookie_name", "cookie-name", kString, func(c *Config) any { return &c.CookieName }},
	{"cookie_secret", "cookie-secret", kSecret, func(c *Config) any { return &c.CookieSecret }},
	{"cookie_secret_file", "cookie-secret-file", kString, func(c *Config) any { return &c.CookieSecretFile }},
	{"cookie_secure", "cookie-secure", kBool, func(c *Config) any { return &c.CookieSecure }},
	{"cookie_httponly", "cookie-httponly", kBool, func(c *Config) any { return &c.CookieHTTPOnly }},
	{"cookie_samesite", "cookie-samesite", kString, func(c *Config) any { return &c.CookieSameSite }},
	{"cookie_domains", "cookie-domain", kList, func(c *Config) any { return &c.CookieDomains }},
	{"whitelist_domains", "whitelist-domain", kList, func(c *Config) any { return &c.WhitelistDomains }},
	{"cookie_refresh", "cookie-refresh", kDuration, func(c *Config) any { return &c.CookieRefresh }},
	{"cookie_expire", "cookie-expire", kDuration, func(c *Config) any { return &c.CookieExpire }},
	{"approval_prompt", "approval-prompt", kString, func(c *Config) any { return &c.ApprovalPrompt }},
	{"skip_provider_button", "skip-provider-button", kBool, func(c *Config) any { return &c.SkipProviderButton }},
	{"set_xauthrequest", "set-xauthrequest", kBool, func(c *Config) any { return &c.SetXAuthRequest }},
	{"set_authorization_header", "set-authorization-header", kBool, func(c *Config) any { return &c.SetAuthorizationHeader }},
	{"pass_access_token", "pass-access-token", kBool, func(c *Config) any { return &c.PassAccessToken }},
	{"provider_ca_files", "provider-ca-file", kList, func(c *Config) any { return &c.ProviderCAFiles }},
	{"silence_ping_logging", "silence-ping-logging", kBool, func(c *Config) any { return &c.SilencePingLogging }},
	{"pass_authorization_header", "pass-authorization-header", kBool, func(c *Config) any { return &c.PassAuthorizationHeader }},
	{"set_basic_auth", "set-basic-auth", kBool, func(c *Config) any { return &c.SetBasicAuth }},
	{"skip_jwt_bearer_tokens", "skip-jwt-bearer-tokens", kBool, func(c *Config) any { return &c.SkipJWTBearerTokens }},
	{"extra_jwt_issuers", "extra-jwt-issuers", kList, func(c *Config) any { return &c.ExtraJWTIssuers }},
	{"proxy_prefix", "proxy-prefix", kString, func(c *Config) any { return &c.ProxyPrefix }},
	{"authenticated_emails_file", "authenticated-emails-file", kString, func(c *Config) any { return &c.AuthenticatedEmailsFile }},
	{"skip_auth_routes", "skip-auth-route", kList, func(c *Config) any { return &c.SkipAuthRoutes }},
	{"skip_auth_regex", "skip-auth-regex", kList, func(c *Config) any { return &c.SkipAuthRegex }},
	{"trusted_ips", "trusted-ip", kList, func(c *Config) any { return &c.TrustedIPs }},
	{"insecure_oidc_allow_unverified_email", "insecure-oidc-allow-unverified-email", kBool, func(c *Config) any { return &c.InsecureOIDCAllowUnverifiedEmail }},
	{"ssl_insecure_skip_verify", "ssl-insecure-skip-verify", kBool, func(c *Config) any { return &c.SSLInsecureSkipVerify }},
}

var byCfg, byFlag, byEnv = func() (map[string]*option, map[string]*option, map[string]*option) {
	c, f, e := map[string]*option{}, map[string]*option{}, map[string]*option{}
	for i := range options {
		o := &options[i]
		c[o.cfg], f[o.flag], e[EnvName(o.cfg)] = o, o, o
	}
	return c, f, e
}()

// EnvName is the environment variable of a config file option.
func EnvName(cfg string) string { return "OAUTH2_PROXY_" + strings.ToUpper(cfg) }

// FlagName is the command-line flag of a config file option, "" when the
// option is not typed here.
func FlagName(cfg string) string {
	if o, ok := byCfg[cfg]; ok {
		return o.flag
	}
	return ""
}

// Defaults are oauth2-proxy's defaults for the typed options: the flag set
// defaults of pkg/apis/options (cookie.go cookieFlagSet, options.go
// NewFlagSet, legacy_options.go legacyProviderFlagSet and
// legacyServerFlagset).
func Defaults() Config {
	return Config{
		Provider:        "google",
		HTTPAddress:     "127.0.0.1:4180",
		OIDCEmailClaim:  "email",
		OIDCGroupsClaim: "groups",
		CookieName:      "_oauth2_proxy",
		CookieSecure:    true,
		CookieHTTPOnly:  true,
		CookieExpire:    168 * time.Hour,
		ApprovalPrompt:  "force",
		ProxyPrefix:     "/oauth2",
	}
}

// Effective is c with oauth2-proxy's default for every option not given.
func (c *Config) Effective() *Config {
	out := Defaults()
	for i := range options {
		o := &options[i]
		if _, ok := c.Given[o.cfg]; ok {
			setField(o.field(&out), o.field(c))
		}
	}
	if c.InjectResponseHeaders != nil {
		// Empty but set: an alpha config that injects no response header.
		out.InjectResponseHeaders = append([]Header{}, c.InjectResponseHeaders...)
	}
	out.Given, out.Other = c.Given, c.Other
	out.Header, out.Comments = c.Header, c.Comments
	return &out
}

func setField(dst, src any) {
	switch d := dst.(type) {
	case *string:
		*d = *src.(*string)
	case *bool:
		*d = *src.(*bool)
	case *[]string:
		*d = append([]string(nil), *src.(*[]string)...)
	case *time.Duration:
		*d = *src.(*time.Duration)
	case *Secret:
		*d = *src.(*Secret)
	}
}

// Mark records options as given although they hold their zero value, so
// that Print writes them (set_authorization_header = false).
func (c *Config) Mark(cfg ...string) {
	if c.Given == nil {
		c.Given = map[string]string{}
	}
	for _, k := range cfg {
		if _, ok := byCfg[k]; !ok {
			panic(fmt.Sprintf("oauth2proxy: unknown option %s", k))
		}
		if _, ok := c.Given[k]; !ok {
			c.Given[k] = k
		}
	}
}

// Where says where an option was given, or that it was not.
func (c *Config) Where(cfg string) (string, bool) {
	w, ok := c.Given[cfg]
	return w, ok
}

// ResponseHeaders are the headers oauth2-proxy's auth endpoint answers
// with, which ingress-nginx can copy to the app (auth-response-headers):
// an alpha config's injectResponseHeaders, or what the legacy options
// convert to (pkg/apis/options/legacy_options.go getResponseHeaders).
func (c *Config) ResponseHeaders() []string {
	if c.InjectResponseHeaders != nil {
		out := []string{}
		for _, h := range c.InjectResponseHeaders {
			out = append(out, h.Name)
		}
		return out
	}
	var out []string
	if c.SetXAuthRequest {
		out = append(out, "X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Groups")
		if c.PassAccessToken {
			out = append(out, "X-Auth-Request-Access-Token")
		}
	}
	if c.SetBasicAuth || c.SetAuthorizationHeader {
		out = append(out, "Authorization")
	}
	return out
}
