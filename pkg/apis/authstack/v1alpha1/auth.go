package v1alpha1

import "strings"

// Auth chooses how users sign in to the apps: one oauth2-proxy per app,
// each on its app's own host (the default, with no host), or one shared
// oauth2-proxy on a central sign-in host whose cookie, set for a parent
// domain of every app host, signs the user in to all of them at once.
type Auth struct {
	// Host is the sign-in host of the shared oauth2-proxy (DNS name, optionally :port), such as
	// oauthproxy.example.com; its callback is https://<host>/oauth2/callback. Unset: one
	// oauth2-proxy per app on the app's own host.
	Host string `json:"host,omitempty"`
	// CookieDomain is the domain the session cookie is set for (default: the longest parent
	// domain shared by the sign-in host and every app host, such as .example.com). Every app
	// host must be under it: a browser does not send the cookie to a host outside it.
	CookieDomain string `json:"cookieDomain,omitempty"`
	// Namespace the shared oauth2-proxy runs in (default oauth2-proxy).
	Namespace string `json:"namespace,omitempty"`
	// ClientID of the shared oauth2-proxy's OIDC client (default oauth2-proxy). With an
	// identity-token app, the API server accepts it as an audience when the issuer is not dex.
	ClientID string `json:"clientID,omitempty"`
	// ClientSecret is the shared proxy's client secret at an external issuer, a key of a Secret
	// in namespace (default: issuer.external.appClientSecret). Dex's client secret is generated.
	ClientSecret *SecretKeyRef `json:"clientSecret,omitempty"`
	// IngressClassName of the sign-in host's Ingress (default nginx).
	IngressClassName string `json:"ingressClassName,omitempty"`
	// TLSSecretName of the sign-in host's Ingress (default oauth2-proxy-tls with spec.tls.certManager;
	// otherwise a kubernetes.io/tls Secret you provide).
	TLSSecretName     string `json:"tlsSecretName,omitempty"`
	NamespaceCreation `json:",inline"`
}

// SecretKeyRef names one key of a Kubernetes Secret that the user creates
// in the namespace of the oauth2-proxy that reads it; authstack never reads
// or renders its value.
type SecretKeyRef struct {
	// Name of the Secret.
	Name string `json:"name"`
	// Key in the Secret's data.
	Key string `json:"key"`
}

// Defaults of spec.auth.
const (
	DefaultAuthNamespace = "oauth2-proxy"
	DefaultAuthClientID  = "oauth2-proxy"
)

// SharedSignin reports whether one oauth2-proxy on spec.auth.host signs
// users in for every app.
func (s *Spec) SharedSignin() bool { return s.Auth.Host != "" }

// setAuthDefaults fills spec.auth.
func setAuthDefaults(spec *Spec) {
	au := &spec.Auth
	if au.Host == "" {
		return
	}
	defaultString(&au.Namespace, DefaultAuthNamespace)
	defaultString(&au.ClientID, DefaultAuthClientID)
	defaultString(&au.IngressClassName, DefaultIngressClass)
	au.NamespaceCreation.setDefaults()
	if au.CookieDomain == "" {
		hosts := []string{au.Host}
		for _, a := range spec.Apps {
			hosts = append(hosts, a.Host)
		}
		au.CookieDomain = CommonCookieDomain(hosts)
	}
}

// CommonCookieDomain is the longest domain every host (ports ignored) is
// equal to or under: the host itself when all are one host (localhost in
// tests), else ".parent" with at least two labels; "" when the hosts share
// no such parent (a cookie for a top-level domain is refused by browsers).
func CommonCookieDomain(hosts []string) string {
	var common []string
	for i, h := range hosts {
		labels := strings.Split(strings.ToLower(Hostname(h)), ".")
		if i == 0 {
			common = labels
			continue
		}
		n := 0
		for n < len(common) && n < len(labels) && common[len(common)-1-n] == labels[len(labels)-1-n] {
			n++
		}
		common = common[len(common)-n:]
	}
	if len(common) == 0 {
		return ""
	}
	d := strings.Join(common, ".")
	for _, h := range hosts {
		if strings.ToLower(Hostname(h)) != d {
			if len(common) < 2 {
				return ""
			}
			return "." + d
		}
	}
	return d
}

// UnderCookieDomain reports whether a browser sends a cookie set for
// domain to host (RFC 6265 section 5.1.3, domain matching; a leading dot
// is ignored).
func UnderCookieDomain(host, domain string) bool {
	h, d := strings.ToLower(Hostname(host)), strings.ToLower(strings.TrimPrefix(domain, "."))
	return d != "" && (h == d || strings.HasSuffix(h, "."+d))
}

// ProxyClient is the OIDC client one oauth2-proxy signs users in as.
type ProxyClient struct {
	// ID is the client id; Name the display name at the issuer.
	ID, Name string
	// RedirectURI is the proxy's callback on its sign-in host.
	RedirectURI string
	// ForwardsToken is set when the proxy forwards id tokens to the API
	// server (an identity-token app), so dex must let it ask for tokens
	// for the kubectl client (trusted peer).
	ForwardsToken bool
}

// ProxyClients are the clients of the oauth2-proxies: one per app, or the
// shared sign-in host's one.
func (s *Spec) ProxyClients() []ProxyClient {
	if s.SharedSignin() {
		c := ProxyClient{ID: s.Auth.ClientID, Name: "oauth2-proxy", RedirectURI: "https://" + s.Auth.Host + "/oauth2/callback"}
		n := 0
		for _, a := range s.Apps {
			if a.OwnLogin() {
				continue // no oauth2-proxy: the app has its own client
			}
			n++
			c.ForwardsToken = c.ForwardsToken || a.Identity == IdentityToken
		}
		if n == 0 {
			return nil
		}
		return []ProxyClient{c}
	}
	var out []ProxyClient
	for _, a := range s.Apps {
		if a.OwnLogin() {
			continue // no oauth2-proxy: the app has its own client
		}
		out = append(out, ProxyClient{ID: a.ClientID, Name: a.Name, RedirectURI: "https://" + a.Host + "/oauth2/callback", ForwardsToken: a.Identity == IdentityToken})
	}
	return out
}
