package doctor

import (
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// pairAlphaConfigs reads an alpha config and a config file given as two
// --oauth2-proxy-config files as the one oauth2-proxy they configure
// together: oauth2-proxy runs with --config FILE --alpha-config FILE and
// reads the provider, upstreams, headers and server from the alpha config,
// the rest (email_domains, cookies, redirect_url, whitelist_domains) from
// the config file (oauth2-proxy main.go loadConfiguration and
// loadYamlOptions). Read alone, the alpha config lacks all of the latter
// and the config file the former, and doctor would report both as broken.
//
// The two are paired when their paths differ only in the extension, the
// config file ending in .cfg or .toml and the alpha config in .yaml or
// .yml, as oauth2-proxy's own example names them
// (contrib/local-environment: oauth2-proxy-alpha-config.cfg and
// oauth2-proxy-alpha-config.yaml, mounted by docker-compose-alpha-config.yaml).
// files holds the content read for each path.
func (m *Model) pairAlphaConfigs(paths []string, files map[string][]byte) {
	cfgs := map[string]string{} // path without extension: the config file
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".cfg" || ext == ".toml" {
			cfgs[strings.TrimSuffix(p, ext)] = p
		}
	}
	for _, alphaPath := range paths {
		ext := filepath.Ext(alphaPath)
		if ext != ".yaml" && ext != ".yml" {
			continue
		}
		stem := strings.TrimSuffix(alphaPath, ext)
		cfgPath, ok := cfgs[stem]
		if !ok {
			continue
		}
		alpha, cfg := files[alphaPath], files[cfgPath]
		if !format.IsAlpha(alpha) || m.proxyFrom(alphaPath) == nil || m.proxyFrom(cfgPath) == nil {
			continue // not an alpha config, or one of them could not be read
		}
		delete(cfgs, stem) // a config file goes with one alpha config
		m.dropProxy(alphaPath)
		m.dropProxy(cfgPath)
		source := fmt.Sprintf("%s (with --alpha-config %s)", cfgPath, alphaPath)
		if err := m.addProxyFiles(source, appName(cfgPath), cfg, alpha, nil); err != nil {
			m.invalid(source, nil, "an oauth2-proxy config and its alpha config (--oauth2-proxy-config twice)", err)
		}
	}
}

// proxyFrom is the oauth2-proxy read from the config file path alone.
func (m *Model) proxyFrom(path string) *Proxy {
	var found *Proxy
	for _, p := range m.Proxies {
		if p.Source == path {
			if found != nil {
				return nil
			}
			found = p
		}
	}
	return found
}

func (m *Model) dropProxy(path string) {
	kept := m.Proxies[:0]
	for _, p := range m.Proxies {
		if p.Source != path {
			kept = append(kept, p)
		}
	}
	m.Proxies = kept
}

// alphaAlone reports whether p was read from an alpha config alone, with
// none of the options oauth2-proxy then takes from --config or flags.
func (p *Proxy) alphaAlone() bool {
	c := p.Config
	if c == nil || c.InjectResponseHeaders == nil {
		return false
	}
	for k := range c.Given {
		if !format.IsAlphaOnly(k) {
			return false
		}
	}
	return true
}

// yamlProxyFile says what a YAML map given as an oauth2-proxy config is
// when it is neither an alpha config nor Kubernetes objects, for a file
// that is not TOML either: the oauth2-proxy Helm chart's values are the
// usual one (oauth2-proxy/manifests helm/oauth2-proxy/values.yaml: config
// with clientID, clientSecret, cookieSecret, configFile). "" when data is
// not a YAML map.
func yamlProxyFile(data []byte) string {
	var doc map[string]any
	if yaml.Unmarshal(data, &doc) != nil || len(doc) == 0 {
		return ""
	}
	if cfg, ok := doc["config"].(map[string]any); ok {
		for _, k := range []string{"clientID", "clientSecret", "cookieSecret", "configFile"} {
			if _, ok := cfg[k]; ok {
				return "the values of the oauth2-proxy Helm chart, which doctor does not read: give what the chart renders (helm template RELEASE oauth2-proxy/oauth2-proxy -f VALUES: the Deployment, ConfigMap and Secret) with --oauth2-proxy-config"
			}
		}
	}
	return "a YAML map that is neither an oauth2-proxy alpha config (providers, upstreamConfig) nor Kubernetes objects (apiVersion, kind); an oauth2_proxy.cfg is TOML (key = value)"
}
