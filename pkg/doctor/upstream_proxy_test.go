package doctor

import (
	"strings"
	"testing"
)

const upstreamProxy = "testdata/oauth2-proxy-upstream/"

func findingsOf(t *testing.T, in Inputs) map[string][]Finding {
	t.Helper()
	in.Now = testNow
	m, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]Finding{}
	for _, f := range Diagnose(m).Findings {
		out[f.Code] = append(out[f.Code], f)
	}
	return out
}

// oauth2-proxy's example runs with --config X.cfg --alpha-config X.yaml:
// given both, doctor reads them as one oauth2-proxy, so email_domains from
// the config file and the provider from the alpha config are both seen.
// Read apart, the alpha config was reported as lacking email_domains, an
// option it cannot hold.
func TestUpstreamAlphaConfigPairIsOneProxy(t *testing.T) {
	in := Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "oauth2-proxy-alpha-config.cfg", upstreamProxy + "oauth2-proxy-alpha-config.yaml"}}
	m, err := Load(Inputs{OAuth2ProxyConfigs: in.OAuth2ProxyConfigs, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 1 || len(m.Invalid) != 0 {
		t.Fatalf("read %d proxies, %d invalid (%v); want the pair as one", len(m.Proxies), len(m.Invalid), m.Invalid)
	}
	p := m.Proxies[0]
	if p.ClientID != "oauth2-proxy" || p.Issuer != "http://dex.localtest.me:5556/dex" || strings.Join(p.EmailDomains, ",") != "example.com" || p.CookieSecure {
		t.Errorf("read client %q issuer %q email_domains %v cookie_secure %t", p.ClientID, p.Issuer, p.EmailDomains, p.CookieSecure)
	}
	got := findingsOf(t, in)
	if f := got["AS-65"]; len(f) != 0 {
		t.Errorf("AS-65 on the pair: %v", f)
	}
	// The pair's real faults are still named, with the config file.
	if f := got["AS-57"]; len(f) != 1 || !strings.Contains(f[0].Evidence[0], "oauth2-proxy-alpha-config.cfg (with --alpha-config") {
		t.Errorf("AS-57 (cookie_secure = false) = %v", f)
	}
}

// Alone, the alpha config is incomplete evidence: doctor warns that
// email_domains lives in the config file beside it, instead of telling the
// user to set it in the alpha config, where oauth2-proxy refuses it.
func TestUpstreamAlphaConfigAloneWarnsAboutItsConfigFile(t *testing.T) {
	got := findingsOf(t, Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "oauth2-proxy-alpha-config.yaml"}})
	f := got["AS-65"]
	if len(f) != 1 || f[0].Severity != Warning || !strings.Contains(f[0].Fix, "--config") || strings.Contains(f[0].Fix, "set email_domains in") {
		t.Fatalf("AS-65 = %+v", f)
	}
}

// Two files of different names are two proxies, as before.
func TestProxyFilesOfDifferentNamesAreNotPaired(t *testing.T) {
	m, err := Load(Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "oauth2-proxy.cfg", upstreamProxy + "oauth2-proxy-alpha-config.yaml"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 2 {
		t.Fatalf("read %d proxies, want 2", len(m.Proxies))
	}
}

// The upstream dex example config is read as oauth2-proxy runs it; the
// all-commented example is refused as empty, not read as defaults.
func TestUpstreamProxyConfigs(t *testing.T) {
	m, err := Load(Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "oauth2-proxy.cfg"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 1 {
		t.Fatalf("read %d proxies", len(m.Proxies))
	}
	p := m.Proxies[0]
	if p.RedirectURL != "http://oauth2-proxy.localtest.me:4180/oauth2/callback" || strings.Join(p.Whitelist, ",") != ".localtest.me" || p.Config.Provider != "oidc" {
		t.Errorf("read redirect %q whitelist %v provider %q", p.RedirectURL, p.Whitelist, p.Config.Provider)
	}
	m, err = Load(Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "oauth2-proxy.cfg.example"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 0 || len(m.Invalid) != 1 || !strings.Contains(m.Invalid[0].Message, "empty") {
		t.Errorf("all-commented example: %d proxies, invalid %v", len(m.Proxies), m.Invalid)
	}
}

// The oauth2-proxy chart's values were read as TOML ("expected '.' or '='");
// doctor now says what the file is and what to give instead.
func TestUpstreamProxyHelmValuesAreNamed(t *testing.T) {
	m, err := Load(Inputs{OAuth2ProxyConfigs: []string{upstreamProxy + "helm-values.yaml"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Invalid) != 1 || !strings.Contains(m.Invalid[0].Message, "the values of the oauth2-proxy Helm chart") || !strings.Contains(m.Invalid[0].Message, "helm template") {
		t.Errorf("invalid: %v", m.Invalid)
	}
}
