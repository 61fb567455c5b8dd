package oauth2proxy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// AlphaConfigKey is the ConfigMap key of the alpha config authstack
// renders beside ConfigKey, given to oauth2-proxy as --alpha-config.
const AlphaConfigKey = "oauth2_proxy.yaml"

// AlphaConfig is the part of oauth2-proxy's alpha config (--alpha-config,
// pkg/apis/options/alpha_options.go AlphaOptions, v7.15.6) that authstack
// models: the provider, upstreams, server and response headers that move
// out of the legacy options. Field names are upstream's yaml tags; unknown
// fields are ignored when reading.
type AlphaConfig struct {
	UpstreamConfig        AlphaUpstreamConfig `json:"upstreamConfig,omitzero"`
	InjectResponseHeaders []Header            `json:"injectResponseHeaders,omitempty"`
	Server                AlphaServer         `json:"server,omitzero"`
	Providers             []AlphaProvider     `json:"providers,omitempty"`
}

// AlphaUpstreamConfig is pkg/apis/options/upstreams.go UpstreamConfig.
type AlphaUpstreamConfig struct {
	Upstreams []AlphaUpstream `json:"upstreams,omitempty"`
}

// AlphaUpstream is pkg/apis/options/upstreams.go Upstream.
type AlphaUpstream struct {
	ID         string `json:"id,omitempty"`
	Path       string `json:"path,omitempty"`
	URI        string `json:"uri,omitempty"`
	Static     *bool  `json:"static,omitempty"`
	StaticCode *int   `json:"staticCode,omitempty"`
}

// AlphaServer is pkg/apis/options/server.go Server.
type AlphaServer struct {
	BindAddress string `json:"bindAddress,omitempty"`
}

// Header is pkg/apis/options/header.go Header: a header oauth2-proxy
// sets, from the session's claims.
type Header struct {
	Name string `json:"name"`
	// PreserveRequestValue applies to request headers only; upstream's
	// default is false.
	PreserveRequestValue *bool         `json:"preserveRequestValue,omitempty"`
	Values               []HeaderValue `json:"values,omitempty"`
}

// HeaderValue is one value of a header; only claim sources are modelled.
type HeaderValue struct {
	ClaimSource *ClaimSource `json:"claimSource,omitempty"`
}

// ClaimSource takes a value from the session (sessions/session_state.go
// GetClaim: user, email, groups, preferred_username, id_token,
// access_token... or another claim of the id token).
type ClaimSource struct {
	Claim  string `json:"claim"`
	Prefix string `json:"prefix,omitempty"`
}

// ClaimHeader is a header carrying one session claim.
func ClaimHeader(name, claim string) Header {
	return Header{Name: name, Values: []HeaderValue{{ClaimSource: &ClaimSource{Claim: claim}}}}
}

// AlphaProvider is pkg/apis/options/providers.go Provider; note the
// snake_case code_challenge_method, spelled so upstream.
type AlphaProvider struct {
	ID                  string              `json:"id"`
	Type                string              `json:"provider,omitempty"`
	ClientID            string              `json:"clientID,omitempty"`
	ClientSecret        string              `json:"clientSecret,omitempty"`
	ClientSecretFile    string              `json:"clientSecretFile,omitempty"`
	CAFiles             []string            `json:"caFiles,omitempty"`
	Scope               string              `json:"scope,omitempty"`
	AllowedGroups       []string            `json:"allowedGroups,omitempty"`
	CodeChallengeMethod string              `json:"code_challenge_method,omitempty"`
	LoginURLParameters  []LoginURLParameter `json:"loginURLParameters,omitempty"`
	OIDCConfig          AlphaOIDC           `json:"oidcConfig,omitzero"`
}

// AlphaOIDC is pkg/apis/options/providers.go OIDCOptions.
type AlphaOIDC struct {
	IssuerURL                    string   `json:"issuerURL,omitempty"`
	InsecureAllowUnverifiedEmail *bool    `json:"insecureAllowUnverifiedEmail,omitempty"`
	EmailClaim                   string   `json:"emailClaim,omitempty"`
	GroupsClaim                  string   `json:"groupsClaim,omitempty"`
	ExtraAudiences               []string `json:"extraAudiences,omitempty"`
}

// LoginURLParameter is pkg/apis/options/login_url_parameters.go
// LoginURLParameter: a parameter of the issuer's login URL.
type LoginURLParameter struct {
	Name    string   `json:"name"`
	Default []string `json:"default,omitempty"`
}

// alphaOnly are the options oauth2-proxy reads only with its legacy flag
// set (pkg/apis/options/legacy_options.go: LegacyUpstreams, LegacyHeaders,
// LegacyServer, LegacyProvider). With --alpha-config the config file is
// read into options.Options with UnmarshalExact, so any of them there
// stops oauth2-proxy ("'options.Options' has invalid keys:
// set_xauthrequest", v7.15.6); the alpha config carries them instead.
var alphaOnly = map[string]bool{
	"provider": true, "oidc_issuer_url": true, "client_id": true, "client_secret": true, "client_secret_file": true,
	"http_address": true, "upstreams": true, "oidc_extra_audiences": true, "scope": true, "oidc_email_claim": true,
	"oidc_groups_claim": true, "code_challenge_method": true, "allowed_groups": true, "approval_prompt": true,
	"provider_ca_files": true, "insecure_oidc_allow_unverified_email": true,
	// Headers: injectResponseHeaders replaces them.
	"set_xauthrequest": true, "set_authorization_header": true, "pass_access_token": true,
	"pass_authorization_header": true, "set_basic_auth": true,
}

// headerOptions are the legacy options an alpha config's headers replace.
var headerOptions = []string{"set_xauthrequest", "set_authorization_header", "pass_access_token", "pass_authorization_header", "set_basic_auth"}

// IsAlphaOnly reports whether a config file option is one the alpha
// config replaces (refused in the config file beside --alpha-config).
func IsAlphaOnly(cfg string) bool { return alphaOnly[cfg] }

// envRef is a ${VAR} reference, which oauth2-proxy substitutes from its
// environment before reading the alpha config (load.go
// loadAndSubstituteEnvs).
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$`)

// EnvSecret is a secret that the container's environment variable name
// holds: in an alpha config it is written as ${name}.
func EnvSecret(name string) Secret { return Secret{From: "env " + name} }

// IsAlpha reports whether data looks like an alpha config rather than an
// oauth2_proxy.cfg.
func IsAlpha(data []byte) bool {
	var doc map[string]any
	if yaml.Unmarshal(data, &doc) != nil {
		return false
	}
	_, providers := doc["providers"]
	_, upstreams := doc["upstreamConfig"]
	return providers || upstreams
}

// ParseAlpha reads an alpha config. env resolves ${VAR} references to the
// container's environment (a clientSecret: ${CLIENT_SECRET}); without it,
// such a value is a reference whose value is unknown.
func ParseAlpha(data []byte, env []Env) (*Config, error) {
	var a AlphaConfig
	if err := yaml.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	if len(a.Providers) == 0 {
		return nil, fmt.Errorf("the alpha config has no providers")
	}
	if len(a.Providers) > 1 {
		// pkg/validation/providers.go: only one provider is supported.
		return nil, fmt.Errorf("the alpha config has %d providers; oauth2-proxy supports one", len(a.Providers))
	}
	p := a.Providers[0]
	const pr = "providers[0]."
	l := layer{}
	str := func(cfg, path, v string) {
		if v == "" {
			return
		}
		val := value{items: []string{unescape(v)}, where: "alpha config " + path}
		if m := envRef.FindStringSubmatch(v); m != nil {
			name := m[1] + m[2]
			val = value{from: "env " + name, where: val.where}
			for _, e := range env {
				if e.Name == name {
					if e.From != "" {
						val.from = e.From
					}
					if e.Known {
						val.items = []string{e.Value}
					}
				}
			}
		}
		l[cfg] = val
	}
	list := func(cfg, path string, v []string) {
		if v == nil {
			return
		}
		items := make([]string, len(v))
		for i, s := range v {
			items[i] = unescape(s)
		}
		l[cfg] = value{items: items, list: true, where: "alpha config " + path}
	}
	str("provider", pr+"provider", p.Type)
	str("client_id", pr+"clientID", p.ClientID)
	str("client_secret", pr+"clientSecret", p.ClientSecret)
	str("client_secret_file", pr+"clientSecretFile", p.ClientSecretFile)
	str("scope", pr+"scope", p.Scope)
	str("code_challenge_method", pr+"code_challenge_method", p.CodeChallengeMethod)
	str("oidc_issuer_url", pr+"oidcConfig.issuerURL", p.OIDCConfig.IssuerURL)
	str("oidc_email_claim", pr+"oidcConfig.emailClaim", p.OIDCConfig.EmailClaim)
	str("oidc_groups_claim", pr+"oidcConfig.groupsClaim", p.OIDCConfig.GroupsClaim)
	if b := p.OIDCConfig.InsecureAllowUnverifiedEmail; b != nil {
		str("insecure_oidc_allow_unverified_email", pr+"oidcConfig.insecureAllowUnverifiedEmail", strconv.FormatBool(*b))
	}
	for i, u := range p.LoginURLParameters {
		if u.Name == "approval_prompt" && len(u.Default) == 1 {
			str("approval_prompt", fmt.Sprintf("%sloginURLParameters[%d]", pr, i), u.Default[0])
		}
	}
	list("oidc_extra_audiences", pr+"oidcConfig.extraAudiences", p.OIDCConfig.ExtraAudiences)
	list("allowed_groups", pr+"allowedGroups", p.AllowedGroups)
	list("provider_ca_files", pr+"caFiles", p.CAFiles)
	str("http_address", "server.bindAddress", a.Server.BindAddress)
	var ups []string
	for _, u := range a.UpstreamConfig.Upstreams {
		switch {
		case u.Static != nil && *u.Static && u.StaticCode != nil:
			ups = append(ups, fmt.Sprintf("static://%d", *u.StaticCode))
		case u.Static != nil && *u.Static:
			ups = append(ups, "static://200")
		default:
			ups = append(ups, u.URI)
		}
	}
	list("upstreams", "upstreamConfig.upstreams", ups)
	c, err := decode(l)
	if err != nil {
		return nil, err
	}
	c.InjectResponseHeaders = []Header{}
	for _, h := range a.InjectResponseHeaders {
		c.InjectResponseHeaders = append(c.InjectResponseHeaders, unescapeHeader(h))
	}
	return c, nil
}

// PrintAlpha writes c as the two files oauth2-proxy reads with
// --config and --alpha-config: the options of options.Options in the
// config file, and the provider, upstreams, server and response headers
// (c.InjectResponseHeaders) in the alpha config, as oauth2-proxy's own
// legacy conversion lays them out (legacy_options.go ToOptions). Every $
// is doubled in the alpha config, which oauth2-proxy passes through
// envsubst, except in the ${VAR} of a client secret from the
// environment (EnvSecret).
func PrintAlpha(c *Config) (cfg, alpha []byte, err error) {
	if c.InjectResponseHeaders == nil {
		return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: no injectResponseHeaders; print the legacy options with Print")
	}
	for _, k := range headerOptions {
		if b := *byCfg[k].field(c).(*bool); b {
			return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: %s is a legacy option; give its headers in injectResponseHeaders", k)
		}
	}
	e := c.printed()
	core := *c
	core.InjectResponseHeaders = nil
	core.Given = map[string]string{}
	for k, w := range c.Given {
		if !alphaOnly[k] {
			core.Given[k] = w
		}
	}
	for i := range options {
		if o := &options[i]; alphaOnly[o.cfg] {
			setField(o.field(&core), o.field(&Config{}))
		}
	}
	if cfg, err = Print(&core); err != nil {
		return nil, nil, err
	}

	secret := ""
	switch s := c.ClientSecret; {
	case s.Known && s.Value != "":
		return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: client_secret holds a secret value; give it from the environment (EnvSecret) or clientSecretFile")
	case strings.HasPrefix(s.From, "env "):
		secret = "${" + strings.TrimPrefix(s.From, "env ") + "}"
	case c.ClientSecretFile == "":
		return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: no client secret: with an alpha config oauth2-proxy does not read %s; give it as EnvSecret or clientSecretFile", EnvName("client_secret"))
	}
	p := AlphaProvider{
		// The id oauth2-proxy's legacy conversion gives the provider.
		ID:   esc(e.Provider + "=" + e.ClientID),
		Type: esc(e.Provider), ClientID: esc(e.ClientID), ClientSecret: secret, ClientSecretFile: esc(e.ClientSecretFile),
		CAFiles: escAll(e.ProviderCAFiles), Scope: esc(e.Scope), AllowedGroups: escAll(e.AllowedGroups),
		CodeChallengeMethod: esc(e.CodeChallengeMethod),
		LoginURLParameters:  []LoginURLParameter{{Name: "approval_prompt", Default: []string{esc(e.ApprovalPrompt)}}},
		OIDCConfig: AlphaOIDC{
			IssuerURL: esc(e.OIDCIssuerURL), EmailClaim: esc(e.OIDCEmailClaim), GroupsClaim: esc(e.OIDCGroupsClaim),
			ExtraAudiences: escAll(e.OIDCExtraAudiences),
		},
	}
	if _, ok := c.Given["insecure_oidc_allow_unverified_email"]; ok {
		p.OIDCConfig.InsecureAllowUnverifiedEmail = &e.InsecureOIDCAllowUnverifiedEmail
	}
	a := AlphaConfig{Server: AlphaServer{BindAddress: esc(e.HTTPAddress)}, Providers: []AlphaProvider{p}}
	for _, u := range e.Upstreams {
		code, ok := strings.CutPrefix(u, "static://")
		n, err := strconv.Atoi(code)
		if !ok || err != nil {
			return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: upstream %q: only static://<code> upstreams are written", u)
		}
		a.UpstreamConfig.Upstreams = append(a.UpstreamConfig.Upstreams, AlphaUpstream{ID: esc(u), Path: "/", Static: ptrTo(true), StaticCode: &n})
	}
	for _, h := range c.InjectResponseHeaders {
		a.InjectResponseHeaders = append(a.InjectResponseHeaders, escHeader(h))
	}
	body, err := yaml.Marshal(&a)
	if err != nil {
		return nil, nil, fmt.Errorf("print oauth2-proxy alpha config: %w", err)
	}
	var b strings.Builder
	if c.Header != "" {
		comment(&b, c.Header)
	}
	b.Write(body)
	return cfg, []byte(b.String()), nil
}

// printed is c as Print reads it, with oauth2-proxy's defaults: an option
// counts when it was given or holds a value.
func (c *Config) printed() *Config {
	out := Defaults()
	for i := range options {
		o := &options[i]
		_, given := c.Given[o.cfg]
		if given || !isZero(o.field(c)) {
			setField(o.field(&out), o.field(c))
		}
	}
	return &out
}

func isZero(f any) bool {
	switch v := f.(type) {
	case *string:
		return *v == ""
	case *bool:
		return !*v
	case *[]string:
		return len(*v) == 0
	case *time.Duration:
		return *v == 0
	case *Secret:
		return *v == Secret{}
	}
	return true
}

func ptrTo[T any](v T) *T { return &v }

// esc doubles $, which envsubst reads as an escaped $ (a8m/envsubst
// v1.4.3 parse: "$$VAR" is "$VAR"), so a value is read as written.
func esc(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func escAll(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = esc(s)
	}
	return out
}

func escHeader(h Header) Header {
	out := Header{Name: esc(h.Name), PreserveRequestValue: h.PreserveRequestValue}
	for _, v := range h.Values {
		if v.ClaimSource != nil {
			v = HeaderValue{ClaimSource: &ClaimSource{Claim: esc(v.ClaimSource.Claim), Prefix: esc(v.ClaimSource.Prefix)}}
		}
		out.Values = append(out.Values, v)
	}
	return out
}

// unescape reads a value after envsubst: $$ is a $.
func unescape(s string) string { return strings.ReplaceAll(s, "$$", "$") }

func unescapeHeader(h Header) Header {
	out := Header{Name: unescape(h.Name), PreserveRequestValue: h.PreserveRequestValue}
	for _, v := range h.Values {
		if v.ClaimSource != nil {
			v = HeaderValue{ClaimSource: &ClaimSource{Claim: unescape(v.ClaimSource.Claim), Prefix: unescape(v.ClaimSource.Prefix)}}
		}
		out.Values = append(out.Values, v)
	}
	return out
}

// withAlpha lays an alpha config's options over the others: with
// --alpha-config, oauth2-proxy reads the rest with a flag set that lacks
// the provider, upstream, header and server options (main.go
// loadYamlOptions, options.NewFlagSet), so those are taken from the alpha
// config alone; ParseContainer refuses them in the config file or flags,
// where oauth2-proxy refuses them.
func withAlpha(base, alpha *Config) *Config {
	out := *base
	out.Given = map[string]string{}
	for k, v := range base.Given {
		if !alphaOnly[k] {
			out.Given[k] = v
		}
	}
	for i := range options {
		o := &options[i]
		if !alphaOnly[o.cfg] {
			continue
		}
		setField(o.field(&out), o.field(&Config{}))
		if w, ok := alpha.Given[o.cfg]; ok {
			setField(o.field(&out), o.field(alpha))
			out.Given[o.cfg] = w
		}
	}
	out.InjectResponseHeaders = alpha.InjectResponseHeaders
	return &out
}

// ResponseHeaderClaims maps each header an alpha config injects in
// responses to the claims its values come from; nil with legacy options.
func (c *Config) ResponseHeaderClaims() map[string][]string {
	if c.InjectResponseHeaders == nil {
		return nil
	}
	out := map[string][]string{}
	for _, h := range c.InjectResponseHeaders {
		var claims []string
		for _, v := range h.Values {
			if v.ClaimSource != nil {
				claims = append(claims, v.ClaimSource.Claim)
			}
		}
		out[h.Name] = claims
	}
	return out
}

// ParseFiles reads a config file and, unless alpha is empty, the alpha
// config given beside it, as oauth2-proxy reads --config and
// --alpha-config (main.go loadConfiguration), without flags or
// environment but for env, which resolves ${VAR} references.
func ParseFiles(cfg, alpha []byte, env []Env) (*Config, error) {
	file, err := ParseTOML(cfg)
	if err != nil {
		return nil, err
	}
	if len(alpha) == 0 {
		return file, nil
	}
	if err := alphaConflicts(file, &Args{}); err != nil {
		return nil, err
	}
	a, err := ParseAlpha(alpha, env)
	if err != nil {
		return nil, fmt.Errorf("alpha config: %w", err)
	}
	return withAlpha(file, a), nil
}
