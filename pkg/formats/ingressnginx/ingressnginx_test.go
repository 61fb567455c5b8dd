package ingressnginx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRefusesWhatIngressNginxRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, value, want string
	}{
		{AuthURL, "/oauth2/auth", "the scheme is empty"},
		{AuthURL, "http:///oauth2/auth", "the host is empty"},
		{AuthURL, "http://a..b/oauth2/auth", "invalid host"},
		{AuthSignin, "https:///oauth2/start", "the host is empty"},
		{AuthResponseHeaders, "Authorization, X-Auth-Request-User:", "invalid header names"},
		{AuthResponseHeaders, "X Auth", "invalid header names"},
		{AuthMethod, "get", "not an HTTP method"},
		{AuthCacheDuration, "200 202", "invalid cache duration"},
		{AuthCacheDuration, "5m 200", "invalid cache duration"},
		{AuthAlwaysSetCookie, "yes", "not true or false"},
		{AuthKeepalive, "ten", "not a number"},
		{ProxyBufferSize, "16 kb", "not an nginx size"},
		{BackendProtocol, "TLS", "is not one of"},
		{WhitelistSourceRange, "10.0.0.0/8, 10.1.0.0/33", "not an IP address or CIDR"},
		{Satisfy, "some", "not any or all"},
	} {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Parse(map[string]string{Key(tt.name): tt.value})
			var ae *AnnotationError
			if !errors.As(err, &ae) {
				t.Fatalf("Parse(%s=%q) = %v, want an AnnotationError", tt.name, tt.value, err)
			}
			if ae.Key != Key(tt.name) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), Key(tt.name)) {
				t.Errorf("Parse(%s=%q) error = %q, want it to name %s and say %q", tt.name, tt.value, err, Key(tt.name), tt.want)
			}
		})
	}
}

func TestParseKeepsTheOtherAnnotationsWhenOneIsRefused(t *testing.T) {
	a, err := Parse(map[string]string{
		Key(AuthURL):             "http://oauth2-proxy.apps.svc.cluster.local:4180/oauth2/auth",
		Key(AuthResponseHeaders): "Bad Header",
		Key(AuthMethod):          "nope",
	})
	if err == nil || !strings.Contains(err.Error(), Key(AuthResponseHeaders)) || !strings.Contains(err.Error(), Key(AuthMethod)) {
		t.Fatalf("Parse error = %v, want both refused annotations named", err)
	}
	// doctor shows the refused values as written.
	if !a.Guarded() || !reflect.DeepEqual(a.ResponseHeaders, []string{"Bad Header"}) || a.Method != "nope" {
		t.Errorf("Parse kept URL %q, headers %q, method %q; want all as written", a.URL, a.ResponseHeaders, a.Method)
	}
}

func TestParseAcceptsWhatIngressNginxAccepts(t *testing.T) {
	in := map[string]string{
		Key(AuthURL):                  "https://$host/oauth2/auth?allowed_groups=admins",
		Key(AuthSignin):               "https://$host/oauth2/start?rd=$escaped_request_uri",
		Key(AuthSigninRedirectParam):  "rd",
		Key(AuthResponseHeaders):      " X-Auth-Request-User , Authorization,",
		Key(AuthRequestRedirect):      "https://example.com",
		Key(AuthCacheKey):             "$http_cookie$http_authorization",
		Key(AuthCacheDuration):        "200 202 10m, 401 1m 30s",
		Key(AuthMethod):               "GET",
		Key(AuthAlwaysSetCookie):      "true",
		Key(AuthProxySetHeaders):      "apps/auth-headers",
		Key(AuthKeepalive):            "10",
		Key(ProxyBufferSize):          "16k",
		Key(BackendProtocol):          "HTTPS",
		Key(WhitelistSourceRange):     "10.0.0.0/8,192.168.1.1",
		Key(ConfigurationSnippet):     "more_set_headers x: y;",
		"kubernetes.io/ingress.class": "nginx",
	}
	a, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"X-Auth-Request-User", "Authorization"}; !reflect.DeepEqual(a.ResponseHeaders, want) {
		t.Errorf("ResponseHeaders = %q, want %q", a.ResponseHeaders, want)
	}
	if !a.ResponseHeader("authorization") || a.ResponseHeader("X-Auth-Request-Email") {
		t.Errorf("ResponseHeader does not match case-insensitively on the list %q", a.ResponseHeaders)
	}
	if a.Snippets[ConfigurationSnippet] == "" {
		t.Errorf("the configuration-snippet was not kept for doctor")
	}
	if _, err := a.Annotations(); err == nil {
		t.Errorf("Annotations printed a snippet")
	}
	delete(in, Key(ConfigurationSnippet))
	delete(in, "kubernetes.io/ingress.class")
	delete(a.Snippets, ConfigurationSnippet)
	out, err := a.Annotations()
	if err != nil {
		t.Fatal(err)
	}
	// Lists print in ingress-nginx's canonical form: trimmed, comma-joined.
	in[Key(AuthResponseHeaders)] = "X-Auth-Request-User,Authorization"
	in[Key(AuthCacheDuration)] = "200 202 10m,401 1m 30s"
	if !reflect.DeepEqual(out, in) {
		t.Errorf("Annotations() = %v\nwant %v", out, in)
	}
}

func TestHasTellsEmptyFromAbsent(t *testing.T) {
	a, err := Parse(map[string]string{Key(AuthCacheKey): ""})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Has(AuthCacheKey) || a.Has(AuthURL) {
		t.Errorf("Has(auth-cache-key) = %t, Has(auth-url) = %t; want true, false", a.Has(AuthCacheKey), a.Has(AuthURL))
	}
	out, _ := a.Annotations()
	if v, ok := out[Key(AuthCacheKey)]; !ok || v != "" {
		t.Errorf("an empty auth-cache-key did not print back: %v", out)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"4096": 4096, "16k": 16 << 10, "8K": 8 << 10, "1m": 1 << 20, "1g": 1 << 30, "512b": 512} {
		if got, ok := ParseSize(in); !ok || got != want {
			t.Errorf("ParseSize(%q) = %d, %t; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "16 kb", "k", "-1k"} {
		if got, ok := ParseSize(in); ok {
			t.Errorf("ParseSize(%q) = %d, want refused", in, got)
		}
	}
}
