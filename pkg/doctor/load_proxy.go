package doctor

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// AddProxyConfig reads an oauth2-proxy config: the legacy oauth2_proxy.cfg
// (TOML keys), an alpha config YAML, or Kubernetes manifests (the
// Deployment that configures it by flags and environment, with its
// ConfigMaps and Secrets).
func (m *Model) AddProxyConfig(source, app string, data []byte) error {
	if isManifest(data) {
		return m.addManifests(source, data)
	}
	return m.addProxy(source, app, data, nil)
}

// isManifest tells Kubernetes objects (apiVersion and kind in the first
// document) from a config file.
func isManifest(data []byte) bool {
	var doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	first, _, _ := strings.Cut(string(data), "\n---")
	return yaml.Unmarshal([]byte(first), &doc) == nil && doc.APIVersion != "" && doc.Kind != ""
}

// addProxy reads a config file; secret holds the keys of the Secret that
// authstack's Deployment takes OAUTH2_PROXY_CLIENT_SECRET and
// OAUTH2_PROXY_COOKIE_SECRET from (client-secret, cookie-secret), when known.
func (m *Model) addProxy(source, app string, data []byte, secret map[string]string) error {
	return m.addProxyFiles(source, app, data, nil, secret)
}

// addProxyFiles reads a config file and, unless alpha is nil, the alpha
// config given beside it (a ConfigMap of authstack's headers-mode proxy:
// format.AlphaConfigKey beside format.ConfigKey, given as --alpha-config).
func (m *Model) addProxyFiles(source, app string, data, alpha []byte, secret map[string]string) error {
	var env []format.Env
	for key, name := range map[string]string{"client-secret": "client_secret", "cookie-secret": "cookie_secret"} {
		if v, ok := secret[key]; ok {
			env = append(env, format.Env{Name: format.EnvName(name), Value: v, Known: true})
		}
	}
	var c *format.Config
	var err error
	if alpha != nil {
		c, err = format.ParseFiles(data, alpha, env)
		if err != nil {
			return inputErr(source, "not an oauth2-proxy config and alpha config pair: %v", err)
		}
		if err := fillFromEnv(c, env); err != nil {
			return inputErr(source, "%v", err)
		}
	} else if format.IsAlpha(data) {
		c, err = format.ParseAlpha(data, env)
		if err != nil {
			return inputErr(source, "not an oauth2-proxy alpha config: %v", err)
		}
	} else {
		c, err = format.ParseTOML(data)
		if err != nil {
			if what := yamlProxyFile(data); what != "" {
				return inputErr(source, "%s", what)
			}
			return inputErr(source, "not an oauth2-proxy config: %v", err)
		}
		if err := fillFromEnv(c, env); err != nil {
			return inputErr(source, "%v", err)
		}
	}
	m.addProxyConfig(source, app, c)
	return nil
}

// addProxyDeployments reads the oauth2-proxy Deployments of a manifest
// stream, with the ConfigMaps and Secrets of the stream, and returns the
// ConfigMaps ("namespace/name") they mount: those are read as part of the
// Deployment, which says how oauth2-proxy really runs (its flags and
// environment win over the file), not as proxies of their own.
func (m *Model) addProxyDeployments(objs []*unstructured.Unstructured, source func(*unstructured.Unstructured) string, secrets map[string]map[string]string) (map[string]bool, error) {
	configMaps := map[string]map[string]string{}
	for _, u := range objs {
		if u.GetKind() == "ConfigMap" {
			var cm corev1.ConfigMap
			if err := fromUnstructured(u, &cm); err != nil {
				return nil, err
			}
			configMaps[cm.Namespace+"/"+cm.Name] = cm.Data
		}
	}
	mounted := map[string]bool{}
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		var d appsv1.Deployment
		if err := fromUnstructured(u, &d); err != nil {
			return nil, err
		}
		found, err := m.addProxyDeployment(source(u), &d, namespaceObjects{ns: d.Namespace, secrets: secrets, configMaps: configMaps})
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.ConfigMap != nil {
				mounted[d.Namespace+"/"+v.ConfigMap.Name] = true
			}
		}
	}
	return mounted, nil
}

// addProxyDeployment reads the oauth2-proxy containers of a Deployment,
// with the ConfigMaps and Secrets of its namespace that objs holds.
func (m *Model) addProxyDeployment(source string, d *appsv1.Deployment, objs namespaceObjects) (bool, error) {
	found := false
	spec := &d.Spec.Template.Spec
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if !format.IsContainer(c) {
			continue
		}
		found = true
		src := fmt.Sprintf("%s: Deployment %s/%s container %s", source, d.Namespace, d.Name, c.Name)
		cfg, err := format.ParseContainer(spec, c, objs)
		if err != nil {
			return true, inputErr(src, "%v", err)
		}
		m.addProxyConfig(src, strings.TrimPrefix(d.Name, "oauth2-proxy-"), cfg)
		m.Proxies[len(m.Proxies)-1].Namespace = d.Namespace
	}
	return found, nil
}

// namespaceObjects serves the Secrets and ConfigMaps of one namespace of
// a manifest stream to format.ParseContainer.
type namespaceObjects struct {
	ns         string
	secrets    map[string]map[string]string
	configMaps map[string]map[string]string
}

func (o namespaceObjects) Secret(name string) (map[string]string, bool) {
	d, ok := o.secrets[o.ns+"/"+name]
	return d, ok
}

func (o namespaceObjects) ConfigMap(name string) (map[string]string, bool) {
	d, ok := o.configMaps[o.ns+"/"+name]
	return d, ok
}

// fillFromEnv lets the environment fill the secrets the files leave out
// (flags > env > file in oauth2-proxy, but a secret in the file and the
// environment is compared as the file's). Beside an alpha config
// oauth2-proxy reads only the cookie secret from the environment; the
// client secret is then Given by the alpha config already.
func fillFromEnv(c *format.Config, env []format.Env) error {
	if env == nil {
		return nil
	}
	merged, err := format.Merge(&format.Config{}, env, nil)
	if err != nil {
		return err
	}
	for _, k := range []string{"client_secret", "cookie_secret"} {
		if _, ok := c.Given[k]; ok {
			continue
		}
		if k == "client_secret" && c.InjectResponseHeaders != nil {
			continue
		}
		if w, ok := merged.Given[k]; ok {
			c.Given[k] = w
			if k == "client_secret" {
				c.ClientSecret = merged.ClientSecret
			} else {
				c.CookieSecret = merged.CookieSecret
			}
		}
	}
	return nil
}

// headersEvidence says how the proxy chooses its response headers: the
// alpha config's injectResponseHeaders, or set_xauthrequest.
func (p *Proxy) headersEvidence() string {
	if p.Config.InjectResponseHeaders != nil {
		return fmt.Sprintf("%s: injectResponseHeaders = %v", p.Source, p.Config.ResponseHeaders())
	}
	return fmt.Sprintf("%s = %t", p.at("set_xauthrequest"), p.Config.SetXAuthRequest)
}

// headersFix is where the identity headers are turned on.
func (p *Proxy) headersFix() string {
	if p.Config.InjectResponseHeaders != nil {
		return fmt.Sprintf("add the X-Auth-Request-* headers to injectResponseHeaders in the alpha config of %s (oauth2-proxy ignores set_xauthrequest beside --alpha-config)", p.Source)
	}
	return fmt.Sprintf("set set_xauthrequest = true in %s", p.Source)
}

// AddParsedProxyConfig adds an oauth2-proxy configuration read already
// (import compares the one render makes, config file and alpha config).
func (m *Model) AddParsedProxyConfig(source, app string, c *format.Config) {
	m.addProxyConfig(source, app, c)
}

// addProxyConfig adds the evidence of one parsed oauth2-proxy
// configuration, with oauth2-proxy's defaults for what it leaves out.
func (m *Model) addProxyConfig(source, app string, given *format.Config) {
	c := given.Effective()
	p := &Proxy{Source: source, App: app, Keys: map[string]bool{}, Config: c}
	// Every option given, modelled or not: import reports those it cannot carry.
	for k := range c.Given {
		p.Keys[k] = true
	}
	for k := range c.Other {
		p.Keys[k] = true
	}
	p.Issuer, p.ClientID, p.RedirectURL = c.OIDCIssuerURL, c.ClientID, c.RedirectURL
	p.ClientSecret, p.SecretKnown = c.ClientSecret.Value, c.ClientSecret.Known
	p.CookieSecret, p.CookieKnown = c.CookieSecret.Value, c.CookieSecret.Known
	p.Scopes = strings.Fields(c.Scope)
	if len(p.Scopes) == 0 {
		// The OIDC provider's default scope (oauth2-proxy providers/oidc.go oidcDefaultScope).
		p.Scopes = []string{"openid", "email", "profile"}
	}
	p.GroupsClaim, p.AllowedGroups = c.OIDCGroupsClaim, c.AllowedGroups
	p.CookieRefresh, p.CookieExpire = c.CookieRefresh, c.CookieExpire
	p.Whitelist = c.WhitelistDomains
	p.SetAuthz = contains(c.ResponseHeaders(), "Authorization")
	p.CookieSecure, p.CookieHTTPOnly, p.CookieSameSite = c.CookieSecure, c.CookieHTTPOnly, c.CookieSameSite
	p.SkipJWTBearer, p.ExtraJWTIssuers = c.SkipJWTBearerTokens, c.ExtraJWTIssuers
	p.ExtraAuds, p.ProviderCAFile = c.OIDCExtraAudiences, c.ProviderCAFiles
	p.EmailDomains, p.Upstreams = c.EmailDomains, c.Upstreams
	p.EmailClaim = c.OIDCEmailClaim
	if len(p.ProviderCAFile) > 0 {
		m.IssuerCAs = append(m.IssuerCAs, p.at("provider_ca_files"))
	}
	m.Proxies = append(m.Proxies, p)
}

// at names where an option of the proxy is set: the file and key, or the
// Deployment's flag or environment variable; for an option not given,
// the file and the key it would have. A secret taken from a Secret or
// ConfigMap key names that key too: it is where the value is changed.
func (p *Proxy) at(cfg string) string {
	if p.Config != nil {
		if w, ok := p.Config.Where(cfg); ok {
			from := ""
			switch cfg {
			case "client_secret":
				from = p.Config.ClientSecret.From
			case "cookie_secret":
				from = p.Config.CookieSecret.From
			}
			if from != "" {
				w += " (from " + from + ")"
			}
			return p.Source + ": " + w
		}
	}
	return p.Source + ": " + cfg
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
// audience:server:client_id:<id> in the proxy's scope, whatever its issuer.
func (p *Proxy) crossClientAudiences() []string {
	var out []string
	for _, s := range p.Scopes {
		if a, ok := strings.CutPrefix(s, "audience:server:client_id:"); ok {
			out = append(out, a)
		}
	}
	return out
}

// effectiveCrossClientAudiences are the cross-client audiences the proxy's
// issuer honours: none when that issuer is known not to be dex, since only
// dex reads the scope (dex server/tokens/claims.go GetAudience); another
// issuer's id token carries the proxy's own client id. With no evidence
// either way, the issuer is taken to be dex, so a healthy dex setup
// checked without its dex config gives no false error.
func (m *Model) effectiveCrossClientAudiences(p *Proxy) []string {
	if !m.mayBeDex(p.Issuer) {
		return nil
	}
	return p.crossClientAudiences()
}

func (m *Model) mayBeDex(iss string) bool {
	if contains(m.NotDex, iss) {
		return false
	}
	return m.Dex == nil || m.Dex.Issuer == iss
}
