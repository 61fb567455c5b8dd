package oauth2proxy

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func alphaFixture() *Config {
	c := &Config{
		Header: "test", Provider: "oidc", OIDCIssuerURL: "https://dex.example.com", ClientID: "grafana",
		ClientSecret: EnvSecret("OAUTH2_PROXY_CLIENT_SECRET"), HTTPAddress: "0.0.0.0:4180", ReverseProxy: true,
		Upstreams: []string{"static://202"}, Scope: "openid profile", AllowedGroups: []string{"sre", "a$b"},
		CodeChallengeMethod: "S256", ApprovalPrompt: "auto", EmailDomains: []string{"*"}, CookieSecure: true,
		ProviderCAFiles: []string{"/etc/oauth2-proxy/issuer-ca.crt"},
		InjectResponseHeaders: []Header{
			ClaimHeader("X-Auth-Request-User", "preferred_username"),
			ClaimHeader("X-Auth-Request-Email", "email"),
		},
	}
	c.Mark("email_domains", "pass_access_token")
	return c
}

// The config file keeps only the options oauth2-proxy reads beside
// --alpha-config; the rest is in the alpha config, read back the same.
func TestPrintAlphaSplitsAndRoundTrips(t *testing.T) {
	c := alphaFixture()
	cfg, alpha, err := PrintAlpha(c)
	if err != nil {
		t.Fatal(err)
	}
	core, err := ParseTOML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for k := range core.Given {
		if alphaOnly[k] {
			t.Errorf("the config file gives %s, which oauth2-proxy refuses beside --alpha-config:\n%s", k, cfg)
		}
	}
	if !core.ReverseProxy || !reflect.DeepEqual(core.EmailDomains, []string{"*"}) {
		t.Errorf("core options lost:\n%s", cfg)
	}
	if !strings.Contains(string(alpha), "clientSecret: ${OAUTH2_PROXY_CLIENT_SECRET}") || !strings.Contains(string(alpha), "a$$b") {
		t.Errorf("secret reference or $ escape missing:\n%s", alpha)
	}
	a, err := ParseAlpha(alpha, []Env{{Name: "OAUTH2_PROXY_CLIENT_SECRET", Value: "s", Known: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := withAlpha(core, a).Effective()
	if got.ClientID != "grafana" || got.ApprovalPrompt != "auto" || !reflect.DeepEqual(got.AllowedGroups, []string{"sre", "a$b"}) ||
		got.ClientSecret.Value != "s" || !reflect.DeepEqual(got.Upstreams, []string{"static://202"}) || got.HTTPAddress != "0.0.0.0:4180" ||
		!reflect.DeepEqual(got.ProviderCAFiles, c.ProviderCAFiles) || got.CodeChallengeMethod != "S256" {
		t.Errorf("read back as %+v", got)
	}
	if want := map[string][]string{"X-Auth-Request-User": {"preferred_username"}, "X-Auth-Request-Email": {"email"}}; !reflect.DeepEqual(got.ResponseHeaderClaims(), want) {
		t.Errorf("response headers %v", got.ResponseHeaderClaims())
	}
}

func TestPrintAlphaRefusals(t *testing.T) {
	tests := map[string]func(*Config){
		"legacy header option": func(c *Config) { c.SetXAuthRequest = true },
		"secret value":         func(c *Config) { c.ClientSecret = Secret{Value: "x", Known: true} },
		"no client secret":     func(c *Config) { c.ClientSecret = Secret{} },
		"proxied upstream":     func(c *Config) { c.Upstreams = []string{"http://app:80"} },
	}
	for name, edit := range tests {
		c := alphaFixture()
		edit(c)
		if _, _, err := PrintAlpha(c); err == nil {
			t.Errorf("%s: printed", name)
		}
	}
	if _, err := Print(alphaFixture()); err == nil {
		t.Error("Print wrote an alpha config's options as legacy ones")
	}
}

type objs map[string]map[string]string

func (o objs) Secret(string) (map[string]string, bool)      { return nil, false }
func (o objs) ConfigMap(n string) (map[string]string, bool) { d, ok := o[n]; return d, ok }

// oauth2-proxy stops when the config file gives a legacy option beside
// --alpha-config ("'options.Options' has invalid keys: set_xauthrequest",
// v7.15.6 run on such a file); so does ParseContainer.
func TestParseContainerRefusesLegacyOptionsBesideAlpha(t *testing.T) {
	_, alpha, err := PrintAlpha(alphaFixture())
	if err != nil {
		t.Fatal(err)
	}
	d := appsv1.Deployment{}
	d.Spec.Template.Spec = corev1.PodSpec{
		Containers: []corev1.Container{{Name: "oauth2-proxy", Image: "quay.io/oauth2-proxy/oauth2-proxy:v7.15.6",
			Args:         []string{"--config=/etc/oauth2-proxy/" + ConfigKey, "--alpha-config=/etc/oauth2-proxy/" + AlphaConfigKey},
			VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/oauth2-proxy"}}}},
		Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "p"}}}}},
	}
	ps := &d.Spec.Template.Spec
	good := objs{"p": {ConfigKey: "email_domains = [\"*\"]\n", AlphaConfigKey: string(alpha)}}
	c, err := ParseContainer(ps, &ps.Containers[0], good)
	if err != nil || c.ClientID != "grafana" {
		t.Fatalf("client %q (%v)", c.ClientID, err)
	}
	bad := objs{"p": {ConfigKey: "set_xauthrequest = true\n", AlphaConfigKey: string(alpha)}}
	if _, err := ParseContainer(ps, &ps.Containers[0], bad); err == nil || !strings.Contains(err.Error(), "set_xauthrequest") {
		t.Errorf("error %v", err)
	}
}
