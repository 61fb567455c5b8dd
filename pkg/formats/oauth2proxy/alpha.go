package oauth2proxy

import (
	"fmt"
	"regexp"
	"strconv"

	"sigs.k8s.io/yaml"
)

// alphaConfig is the part of oauth2-proxy's alpha config (--alpha-config,
// pkg/apis/options/alpha_options.go AlphaOptions) that maps to typed
// options. Unknown fields are ignored: the rest of it is not modelled.
type alphaConfig struct {
	UpstreamConfig struct {
		Upstreams []struct {
			URI        string `json:"uri"`
			Static     *bool  `json:"static"`
			StaticCode *int   `json:"staticCode"`
		} `json:"upstreams"`
	} `json:"upstreamConfig"`
	InjectResponseHeaders []struct {
		Name string `json:"name"`
	} `json:"injectResponseHeaders"`
	Server struct {
		BindAddress string `json:"bindAddress"`
	} `json:"server"`
	Providers []alphaProvider `json:"providers"`
}

// alphaProvider is pkg/apis/options/providers.go Provider; note the
// snake_case code_challenge_method, spelled so upstream.
type alphaProvider struct {
	ClientID            string   `json:"clientID"`
	ClientSecret        string   `json:"clientSecret"`
	ClientSecretFile    string   `json:"clientSecretFile"`
	Type                string   `json:"provider"`
	CAFiles             []string `json:"caFiles"`
	Scope               string   `json:"scope"`
	AllowedGroups       []string `json:"allowedGroups"`
	CodeChallengeMethod string   `json:"code_challenge_method"`
	OIDCConfig          struct {
		IssuerURL                    string   `json:"issuerURL"`
		InsecureAllowUnverifiedEmail *bool    `json:"insecureAllowUnverifiedEmail"`
		EmailClaim                   string   `json:"emailClaim"`
		GroupsClaim                  string   `json:"groupsClaim"`
		ExtraAudiences               []string `json:"extraAudiences"`
	} `json:"oidcConfig"`
}

// envRef is a ${VAR} reference, which oauth2-proxy substitutes from its
// environment before reading the alpha config (load.go
// loadAndSubstituteEnvs).
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$`)

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
	var a alphaConfig
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
		val := value{items: []string{v}, where: "alpha config " + path}
		if m := envRef.FindStringSubmatch(v); m != nil {
			name := m[1] + m[2]
			val = value{from: "env " + name, where: val.where}
			for _, e := range env {
				if e.Name == name && e.Known {
					val.items = []string{e.Value}
				}
			}
		}
		l[cfg] = val
	}
	list := func(cfg, path string, v []string) {
		if v != nil {
			l[cfg] = value{items: v, list: true, where: "alpha config " + path}
		}
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
	c.AlphaResponseHeaders = []string{}
	for _, h := range a.InjectResponseHeaders {
		c.AlphaResponseHeaders = append(c.AlphaResponseHeaders, h.Name)
	}
	return c, nil
}

// withAlpha lays an alpha config's options over the others: with
// --alpha-config, oauth2-proxy reads the rest with a flag set that lacks
// the provider, upstream, header and server options (main.go
// loadYamlOptions, options.NewFlagSet).
func withAlpha(base, alpha *Config) *Config {
	out := *base
	out.Given = map[string]string{}
	for k, v := range base.Given {
		out.Given[k] = v
	}
	for i := range options {
		o := &options[i]
		if w, ok := alpha.Given[o.cfg]; ok {
			setField(o.field(&out), o.field(alpha))
			out.Given[o.cfg] = w
		}
	}
	out.AlphaResponseHeaders = alpha.AlphaResponseHeaders
	return &out
}
