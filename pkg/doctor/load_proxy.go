package doctor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// oauth2-proxy defaults for the options doctor reads.
var (
	proxyDefaultScope  = "openid email profile"
	proxyDefaultExpire = 168 * time.Hour
)

// AddProxyConfig reads an oauth2-proxy config: the legacy oauth2_proxy.cfg
// (TOML keys) or an alpha config YAML. env holds values that come from the
// environment (OAUTH2_PROXY_CLIENT_SECRET...), when known.
func (m *Model) AddProxyConfig(source, app string, data []byte) error {
	return m.addProxy(source, app, data, nil)
}

func (m *Model) addProxy(source, app string, data []byte, env map[string]string) error {
	p := &Proxy{Source: source, App: app, Keys: map[string]bool{}, GroupsClaim: "groups", CookieExpire: proxyDefaultExpire, CookieSecure: true, CookieHTTPOnly: true}
	if isAlphaConfig(data) {
		if err := p.alpha(source, data); err != nil {
			return err
		}
	} else {
		kv, err := parseCfg(data)
		if err != nil {
			return inputErr(source, "not an oauth2-proxy config: %v", err)
		}
		if err := p.legacy(source, kv); err != nil {
			return err
		}
	}
	if v, ok := env["client-secret"]; ok && !p.SecretKnown {
		p.ClientSecret, p.SecretKnown = v, true
	}
	if v, ok := env["cookie-secret"]; ok && !p.CookieKnown {
		p.CookieSecret, p.CookieKnown = v, true
	}
	if len(p.Scopes) == 0 {
		p.Scopes = strings.Fields(proxyDefaultScope)
	}
	if len(p.ProviderCAFile) > 0 {
		m.IssuerCAs = append(m.IssuerCAs, source+": provider_ca_files")
	}
	m.Proxies = append(m.Proxies, p)
	return nil
}

func isAlphaConfig(data []byte) bool {
	var doc map[string]any
	if yaml.Unmarshal(data, &doc) != nil {
		return false
	}
	_, providers := doc["providers"]
	_, upstreams := doc["upstreamConfig"]
	return providers || upstreams
}

func (p *Proxy) legacy(source string, kv map[string]any) error {
	str := func(k string) string {
		if v, ok := kv[k]; ok {
			p.Keys[k] = true
			return fmt.Sprint(v)
		}
		return ""
	}
	list := func(k string) []string {
		v, ok := kv[k]
		if !ok {
			return nil
		}
		p.Keys[k] = true
		if l, ok := v.([]string); ok {
			return l
		}
		return []string{fmt.Sprint(v)}
	}
	dur := func(k string, d *time.Duration) error {
		s := str(k)
		if s == "" {
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return inputErr(source, "%s %q: %v", k, s, err)
		}
		*d = v
		return nil
	}
	p.Issuer = str("oidc_issuer_url")
	p.ClientID = str("client_id")
	if s := str("client_secret"); s != "" {
		p.ClientSecret, p.SecretKnown = s, true
	}
	if s := str("cookie_secret"); s != "" {
		p.CookieSecret, p.CookieKnown = s, true
	}
	p.RedirectURL = str("redirect_url")
	p.Scopes = strings.Fields(str("scope"))
	if g := str("oidc_groups_claim"); g != "" {
		p.GroupsClaim = g
	}
	p.AllowedGroups = list("allowed_groups")
	p.Whitelist = list("whitelist_domains")
	p.ExtraAuds = list("oidc_extra_audiences")
	p.ProviderCAFile = list("provider_ca_files")
	// oauth2-proxy's default: pkg/apis/options/providers.go (EmailClaim "email").
	p.EmailClaim = "email"
	if e := str("oidc_email_claim"); e != "" {
		p.EmailClaim = e
	}
	p.CookieDomains = append(list("cookie_domains"), list("cookie_domain")...)
	p.SetAuthz = str("set_authorization_header") == "true"
	// oauth2-proxy's defaults: pkg/apis/options/cookie.go cookieDefaults.
	p.CookieSecure = str("cookie_secure") != "false"
	p.CookieHTTPOnly = str("cookie_httponly") != "false"
	p.CookieSameSite = str("cookie_samesite")
	p.SkipJWTBearer = str("skip_jwt_bearer_tokens") == "true"
	p.ExtraJWTIssuers = list("extra_jwt_issuers")
	if err := dur("cookie_refresh", &p.CookieRefresh); err != nil {
		return err
	}
	return dur("cookie_expire", &p.CookieExpire)
}

type alphaConfig struct {
	InjectResponseHeaders []struct {
		Name string `json:"name"`
	} `json:"injectResponseHeaders"`
	Providers []struct {
		ClientID      string   `json:"clientID"`
		ClientSecret  string   `json:"clientSecret"`
		Scope         string   `json:"scope"`
		AllowedGroups []string `json:"allowedGroups"`
		CAFiles       []string `json:"caFiles"`
		OIDCConfig    struct {
			IssuerURL      string   `json:"issuerURL"`
			GroupsClaim    string   `json:"groupsClaim"`
			EmailClaim     string   `json:"emailClaim"`
			ExtraAudiences []string `json:"extraAudiences"`
		} `json:"oidcConfig"`
	} `json:"providers"`
}

func (p *Proxy) alpha(source string, data []byte) error {
	var c alphaConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return inputErr(source, "not an oauth2-proxy alpha config: %v", err)
	}
	if len(c.Providers) == 0 {
		return inputErr(source, "the alpha config has no providers")
	}
	pr := c.Providers[0]
	p.Issuer, p.ClientID = pr.OIDCConfig.IssuerURL, pr.ClientID
	p.Keys["oidc_issuer_url"], p.Keys["client_id"] = true, true
	if pr.ClientSecret != "" {
		p.ClientSecret, p.SecretKnown = pr.ClientSecret, true
	}
	p.Scopes = strings.Fields(pr.Scope)
	if pr.OIDCConfig.GroupsClaim != "" {
		p.GroupsClaim = pr.OIDCConfig.GroupsClaim
	}
	p.EmailClaim = "email"
	if pr.OIDCConfig.EmailClaim != "" {
		p.EmailClaim = pr.OIDCConfig.EmailClaim
	}
	p.AllowedGroups, p.ExtraAuds, p.ProviderCAFile = pr.AllowedGroups, pr.OIDCConfig.ExtraAudiences, pr.CAFiles
	for _, h := range c.InjectResponseHeaders {
		if strings.EqualFold(h.Name, "Authorization") {
			p.SetAuthz = true
		}
	}
	return nil
}

// parseCfg reads the TOML subset oauth2_proxy.cfg files use: key = "string",
// key = true, key = 123, key = ["a", "b"] (possibly over several lines).
func parseCfg(data []byte) (map[string]any, error) {
	out := map[string]any{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected key = value", i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if strings.HasPrefix(v, "[") {
			start := i
			for !strings.Contains(stripComment(v), "]") {
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("line %d: list of %s is not closed with ]", start+1, k)
				}
				v += " " + strings.TrimSpace(lines[i])
			}
			items, err := parseList(stripComment(v))
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %v", start+1, k, err)
			}
			out[k] = items
			continue
		}
		s, err := parseScalar(stripComment(v))
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", i+1, k, err)
		}
		out[k] = s
	}
	return out, nil
}

func stripComment(v string) string { return strings.TrimSpace(splitUnquoted(v, '#')[0]) }

func parseScalar(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, `"`):
		s, err := strconv.Unquote(v)
		if err != nil {
			return "", fmt.Errorf("bad string %s", v)
		}
		return s, nil
	case strings.HasPrefix(v, `'`):
		if len(v) < 2 || !strings.HasSuffix(v, `'`) {
			return "", fmt.Errorf("bad string %s", v)
		}
		return v[1 : len(v)-1], nil
	case v == "":
		return "", fmt.Errorf("missing value")
	}
	return v, nil
}

func parseList(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	var out []string
	for _, item := range splitUnquoted(v, ',') {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		s, err := parseScalar(item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// splitUnquoted splits v at sep outside of quoted strings.
func splitUnquoted(v string, sep byte) []string {
	var out []string
	inStr := byte(0)
	start := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inStr != 0 && c == '\\':
			i++
		case inStr != 0 && c == inStr:
			inStr = 0
		case inStr == 0 && (c == '"' || c == '\''):
			inStr = c
		case inStr == 0 && c == sep:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

func (p *Proxy) has(scope string) bool {
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// crossClientAudiences are the clients named by dex's cross-client scopes
// audience:server:client_id:<id> in the proxy's scope.
func (p *Proxy) crossClientAudiences() []string {
	var out []string
	for _, s := range p.Scopes {
		if a, ok := strings.CutPrefix(s, "audience:server:client_id:"); ok {
			out = append(out, a)
		}
	}
	return out
}
