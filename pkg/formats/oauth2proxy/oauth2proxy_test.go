package oauth2proxy

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// manifests are the Secrets and ConfigMaps of a YAML stream.
type manifests struct {
	secrets, configMaps map[string]map[string]string
	deployments         []appsv1.Deployment
}

func (m *manifests) Secret(n string) (map[string]string, bool) {
	d, ok := m.secrets[n]
	return d, ok
}

func (m *manifests) ConfigMap(n string) (map[string]string, bool) {
	d, ok := m.configMaps[n]
	return d, ok
}

func readManifests(t *testing.T, file string) *manifests {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := &manifests{secrets: map[string]map[string]string{}, configMaps: map[string]map[string]string{}}
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj struct {
			Kind string `json:"kind"`
		}
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			break
		}
		b, _ := yamlJSON(raw)
		_ = yamlUnmarshal(b, &obj)
		switch obj.Kind {
		case "Secret":
			var s corev1.Secret
			_ = yamlUnmarshal(b, &s)
			d := map[string]string{}
			for k, v := range s.Data {
				d[k] = string(v)
			}
			m.secrets[s.Name] = d
		case "ConfigMap":
			var c corev1.ConfigMap
			_ = yamlUnmarshal(b, &c)
			m.configMaps[c.Name] = c.Data
		case "Deployment":
			var d appsv1.Deployment
			_ = yamlUnmarshal(b, &d)
			m.deployments = append(m.deployments, d)
		}
	}
	return m
}

func parseFile(t *testing.T, file string) *Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseTOML(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

func parseDeployment(t *testing.T, file string) *Config {
	t.Helper()
	m := readManifests(t, file)
	if len(m.deployments) != 1 {
		t.Fatalf("%s: %d Deployments", file, len(m.deployments))
	}
	spec := &m.deployments[0].Spec.Template.Spec
	c, err := ParseContainer(spec, &spec.Containers[0], m)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

// settings are the effective values, without where they were given.
func settings(c *Config) Config {
	e := *c.Effective()
	e.Given, e.Other, e.Comments, e.Header = nil, nil, nil, ""
	e.ClientSecret.From, e.CookieSecret.From = "", ""
	return e
}

// A Deployment of the Helm chart or of the classic guide configures the
// same proxy as the equivalent oauth2_proxy.cfg.
func TestDeploymentFormsParseLikeTheirConfigFile(t *testing.T) {
	for _, name := range []string{"helm-chart", "ingress-nginx-guide"} {
		t.Run(name, func(t *testing.T) {
			got := settings(parseDeployment(t, "testdata/"+name+".yaml"))
			want := settings(parseFile(t, "testdata/"+name+".cfg"))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Deployment:\n%+v\nconfig file:\n%+v", got, want)
			}
		})
	}
}

func TestDeploymentNamesWhereEachOptionComesFrom(t *testing.T) {
	c := parseDeployment(t, "testdata/helm-chart.yaml")
	for cfg, want := range map[string]string{
		"client_secret":            "env OAUTH2_PROXY_CLIENT_SECRET",
		"email_domains":            "ConfigMap oauth2-proxy oauth2_proxy.cfg: email_domains",
		"set_authorization_header": "arg --set-authorization-header",
	} {
		if got, _ := c.Where(cfg); got != want {
			t.Errorf("%s given at %q, want %q", cfg, got, want)
		}
	}
	if c.ClientSecret.From != "Secret oauth2-proxy key client-secret" || !c.ClientSecret.Known {
		t.Errorf("client secret %+v", c.ClientSecret)
	}
	if s := c.ClientSecret.String(); strings.Contains(s, "secret-value") {
		t.Errorf("String shows the secret: %s", s)
	}
}

// oauth2-proxy's Load: flags over the environment over the config file.
func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	file, err := ParseTOML([]byte("cookie_expire = \"1h\"\ncookie_refresh = \"10m\"\nscope = \"openid\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := []Env{{Name: "OAUTH2_PROXY_COOKIE_EXPIRE", Value: "2h", Known: true}, {Name: "OAUTH2_PROXY_SCOPE", Value: "openid email", Known: true}, {Name: "OAUTH2_PROXY_COOKIE_REFRESH", Value: "", Known: true}}
	args, err := ParseArgs([]string{"--scope", "openid groups"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Merge(file, env, args)
	if err != nil {
		t.Fatal(err)
	}
	if c.Scope != "openid groups" || c.CookieExpire != 2*time.Hour || c.CookieRefresh != 10*time.Minute {
		t.Errorf("scope %q expire %s refresh %s", c.Scope, c.CookieExpire, c.CookieRefresh)
	}
	if w, _ := c.Where("cookie_expire"); w != "env OAUTH2_PROXY_COOKIE_EXPIRE" {
		t.Errorf("cookie_expire from %q", w)
	}
}

func TestArgsAsPflagReadsThem(t *testing.T) {
	a, err := ParseArgs([]string{"--cookie-secure", "false", "--email-domain=a.com,b.com", "--email-domain", "c.com", "--pass-host-header", "--upstream=static://202"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Merge(nil, nil, a)
	if err != nil {
		t.Fatal(err)
	}
	// A bool flag takes no separate value: "false" is a positional argument.
	if !c.CookieSecure {
		t.Error("--cookie-secure false read as false")
	}
	if !reflect.DeepEqual(c.EmailDomains, []string{"a.com", "b.com", "c.com"}) {
		t.Errorf("email domains %q", c.EmailDomains)
	}
	if c.Other["--pass-host-header"] != "" || len(c.Upstreams) != 1 {
		t.Errorf("other %v upstreams %v", c.Other, c.Upstreams)
	}
	if _, err := ParseArgs([]string{"-provider=oidc"}); err == nil {
		t.Error("a single-dash flag is accepted; pflag refuses it")
	}
}

func TestEnvListsSplitAtCommas(t *testing.T) {
	c, err := Merge(nil, []Env{{Name: "OAUTH2_PROXY_WHITELIST_DOMAINS", Value: "a.example.com,b.example.com", Known: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.WhitelistDomains, []string{"a.example.com", "b.example.com"}) {
		t.Errorf("whitelist %q", c.WhitelistDomains)
	}
}

func TestAlphaConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/alpha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !IsAlpha(data) {
		t.Fatal("not recognized as an alpha config")
	}
	c, err := ParseAlpha(data, []Env{{Name: "CLIENT_SECRET", Value: "s3cret", Known: true}})
	if err != nil {
		t.Fatal(err)
	}
	e := c.Effective()
	if e.OIDCIssuerURL != "https://dex.example.com" || e.ClientID != "dashboard" || e.OIDCGroupsClaim != "roles" ||
		!reflect.DeepEqual(e.OIDCExtraAudiences, []string{"kubernetes"}) || e.ClientSecret.Value != "s3cret" ||
		e.CodeChallengeMethod != "S256" || !reflect.DeepEqual(e.Upstreams, []string{"static://202"}) || e.HTTPAddress != "0.0.0.0:4180" {
		t.Errorf("alpha config read as %+v", e)
	}
	if got := e.ResponseHeaders(); !reflect.DeepEqual(got, []string{"Authorization", "X-Auth-Request-Email"}) {
		t.Errorf("response headers %v", got)
	}
	if w, _ := c.Where("oidc_issuer_url"); w != "alpha config providers[0].oidcConfig.issuerURL" {
		t.Errorf("issuer given at %q", w)
	}
}

func TestSyntaxErrorNamesTheLine(t *testing.T) {
	_, err := ParseTOML([]byte("provider = \"oidc\"\nscope = openid\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 2: ") {
		t.Errorf("error %v, want one naming line 2", err)
	}
	_, err = ParseTOML([]byte("cookie_refresh = \"often\"\n"))
	if err == nil || !strings.Contains(err.Error(), "cookie_refresh") {
		t.Errorf("error %v, want one naming cookie_refresh", err)
	}
}

func TestPrintRoundTrips(t *testing.T) {
	c := &Config{Header: "test", Provider: "oidc", Scope: "openid", CookieRefresh: 30 * time.Minute, EmailDomains: []string{"*"}, Comments: map[string]string{"scope": "why"}}
	c.Mark("pass_access_token")
	out, err := Print(c)
	if err != nil {
		t.Fatal(err)
	}
	want := "# test\nprovider = \"oidc\"\n# why\nscope = \"openid\"\nemail_domains = [\"*\"]\ncookie_refresh = \"30m0s\"\npass_access_token = false\n"
	if string(out) != want {
		t.Errorf("printed\n%s\nwant\n%s", out, want)
	}
	back, err := ParseTOML(out)
	if err != nil {
		t.Fatal(err)
	}
	if settings(back).Scope != "openid" || settings(back).CookieRefresh != 30*time.Minute || !back.Effective().CookieSecure {
		t.Errorf("read back %+v", back)
	}
}

// A secret value never goes into the file authstack writes (a ConfigMap).
func TestPrintRefusesSecrets(t *testing.T) {
	_, err := Print(&Config{CookieSecret: Secret{Value: "x", Known: true}})
	if err == nil || !strings.Contains(err.Error(), "OAUTH2_PROXY_COOKIE_SECRET") {
		t.Errorf("error %v", err)
	}
	_, err = Print(&Config{Other: map[string]string{"banner": "hi"}})
	if err == nil {
		t.Error("an unmodelled option is dropped silently")
	}
}

func TestQuoteIsTOML(t *testing.T) {
	in := "a\"b\\c\x07"
	out, err := Print(&Config{Scope: in})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseTOML(out)
	if err != nil || c.Scope != in {
		t.Errorf("%s read back as %q (%v)", out, c.Scope, err)
	}
}

// viper lower-cases config file keys, so oauth2-proxy reads Client_ID as
// client_id.
func TestConfigKeysAreCaseInsensitive(t *testing.T) {
	c, err := ParseTOML([]byte("Client_ID = \"dashboard\"\n"))
	if err != nil || c.ClientID != "dashboard" {
		t.Errorf("client id %q (%v)", c.ClientID, err)
	}
}

func TestAlphaWithoutResponseHeadersSendsNone(t *testing.T) {
	c, err := ParseAlpha([]byte("providers:\n- provider: oidc\n  clientID: a\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetXAuthRequest = true // not read with an alpha config
	if got := c.Effective().ResponseHeaders(); len(got) != 0 {
		t.Errorf("response headers %v", got)
	}
}

func FuzzPrintParse(f *testing.F) {
	f.Add("provider = \"oidc\"\nscope = \"openid groups\"\ncookie_refresh = \"30m\"\nemail_domains = [\"*\"]\n")
	f.Add("whitelist_domains = \"a.example.com,b.example.com\"\ncookie_secure = false\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseTOML([]byte(in))
		if err != nil || len(c.Other) > 0 || c.ClientSecret.Known || c.CookieSecret.Known {
			return
		}
		out, err := Print(c)
		if err != nil {
			t.Fatalf("print %q: %v", in, err)
		}
		back, err := ParseTOML(out)
		if err != nil {
			t.Fatalf("printed config does not parse: %v\n%s", err, out)
		}
		if a, b := settings(c), settings(back); !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the settings:\n%+v\n%+v\nprinted:\n%s", a, b, out)
		}
	})
}
