package doctor

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// A ConfigMap of a headers-mode proxy holds the config file and the alpha
// config beside it; read without its Deployment, both are read, the
// client secret resolved from the proxy's Secret.
func TestProxyConfigMapWithAlphaConfig(t *testing.T) {
	c := &format.Config{
		Provider: "oidc", OIDCIssuerURL: "https://dex.example.com", ClientID: "oauth2-proxy-grafana",
		ClientSecret: format.EnvSecret(format.EnvName("client_secret")), RedirectURL: "https://grafana.example.com/oauth2/callback",
		Upstreams: []string{"static://202"}, EmailDomains: []string{"*"}, Scope: "openid profile email",
		InjectResponseHeaders: []format.Header{format.ClaimHeader("X-Auth-Request-User", "preferred_username")},
	}
	cfg, alpha, err := format.PrintAlpha(c)
	if err != nil {
		t.Fatal(err)
	}
	objs := []any{
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "oauth2-proxy-grafana", Namespace: "monitoring"},
			Data: map[string]string{format.ConfigKey: string(cfg), format.AlphaConfigKey: string(alpha)}},
		&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "oauth2-proxy-grafana", Namespace: "monitoring"},
			Data: map[string][]byte{"client-secret": []byte("s3cret"), "cookie-secret": []byte("0123456789abcdef0123456789abcdef")}},
	}
	var stream []byte
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(append(stream, "---\n"...), b...)
	}
	m := &Model{}
	if err := m.AddProxyConfig("manifests.yaml", "", stream); err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 1 {
		t.Fatalf("%d proxies read", len(m.Proxies))
	}
	p := m.Proxies[0]
	if p.ClientID != "oauth2-proxy-grafana" || p.Issuer != "https://dex.example.com" || p.ClientSecret != "s3cret" || !p.SecretKnown || !p.CookieKnown {
		t.Errorf("read client %q issuer %q secret %q (%t) cookie known %t", p.ClientID, p.Issuer, p.ClientSecret, p.SecretKnown, p.CookieKnown)
	}
	if got := p.Config.ResponseHeaderClaims()["X-Auth-Request-User"]; !reflect.DeepEqual(got, []string{"preferred_username"}) {
		t.Errorf("X-Auth-Request-User from %v", got)
	}
	if w := p.at("client_id"); w != "manifests.yaml: ConfigMap monitoring/oauth2-proxy-grafana: alpha config providers[0].clientID" {
		t.Errorf("client_id given at %q", w)
	}
}
