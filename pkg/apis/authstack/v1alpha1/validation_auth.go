package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateAuth checks spec.auth and the apps' clientSecret against the
// sign-in mode and the issuer.
func validateAuth(s *Spec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	ap := spec.Child("apps")
	for i := range s.Apps {
		a, p := &s.Apps[i], ap.Index(i)
		if a.ClientSecret == nil {
			continue
		}
		switch {
		case s.Issuer.External == nil:
			errs = append(errs, field.Forbidden(p.Child("clientSecret"), "only with issuer.external: authstack generates the client secrets of dex's clients"))
		case s.SharedSignin():
			errs = append(errs, field.Forbidden(p.Child("clientSecret"), "with spec.auth.host every app signs in through the shared proxy's client: set spec.auth.clientSecret instead"))
		default:
			errs = append(errs, secretKeyRef(a.ClientSecret, p.Child("clientSecret"))...)
		}
	}
	au, p := &s.Auth, spec.Child("auth")
	if !s.SharedSignin() {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"cookieDomain", au.CookieDomain != ""}, {"namespace", au.Namespace != ""}, {"clientID", au.ClientID != ""},
			{"clientSecret", au.ClientSecret != nil}, {"ingressClassName", au.IngressClassName != ""},
			{"tlsSecretName", au.TLSSecretName != ""}, {"createNamespace", au.CreateNamespace}, {"podSecurity", au.PodSecurity != ""},
		} {
			if f.set {
				errs = append(errs, field.Forbidden(p.Child(f.name), "applies only to a shared sign-in host: set spec.auth.host, or remove it (each app then has its own oauth2-proxy on its own host)"))
			}
		}
		return errs
	}
	if prov := s.EdgeProvider(); prov != EdgeIngressNginx {
		// The shared proxy's auth URLs and sign-in redirects are rendered as
		// ingress-nginx annotations only; another edge would serve the apps
		// without asking the shared proxy for their groups.
		errs = append(errs, field.Forbidden(p.Child("host"), fmt.Sprintf(
			"a shared sign-in host is rendered for spec.edge.provider ingress-nginx only, not %s: remove spec.auth to give each app its own oauth2-proxy", prov)))
	}
	errs = append(errs, hostPort(au.Host, p.Child("host"))...)
	if d := s.Issuer.Dex; d != nil && d.Host == au.Host {
		errs = append(errs, field.Duplicate(p.Child("host"), au.Host))
	}
	errs = append(errs, dnsLabel(au.Namespace, p.Child("namespace"))...)
	switch {
	case !au.CreateNamespace && au.PodSecurity != "":
		errs = append(errs, field.Invalid(p.Child("podSecurity"), au.PodSecurity, "applies only to a namespace authstack creates: set createNamespace: true, or remove podSecurity"))
	case au.CreateNamespace && !slices.Contains(podSecurityLevels, au.PodSecurity):
		errs = append(errs, field.NotSupported(p.Child("podSecurity"), au.PodSecurity, podSecurityLevels))
	}
	if au.ClientID == "" {
		errs = append(errs, field.Required(p.Child("clientID"), ""))
	} else if au.ClientID == s.Kubectl.ClientID {
		errs = append(errs, field.Invalid(p.Child("clientID"), au.ClientID, "is the kubectl client: the shared proxy needs a client of its own, whose redirect URI is the sign-in host"))
	}
	errs = append(errs, flagSafe(au.ClientID, p.Child("clientID"))...)
	// The sign-in host's Secret is checked with every other host's (validateTLS):
	// it may be empty under spec.tls.insecureHTTP.
	if au.IngressClassName != DefaultIngressClass {
		errs = append(errs, field.Invalid(p.Child("ingressClassName"), au.IngressClassName, fmt.Sprintf("only ingress-nginx (class %q) is supported today", DefaultIngressClass)))
	}
	if au.ClientSecret != nil {
		if s.Issuer.External == nil {
			errs = append(errs, field.Forbidden(p.Child("clientSecret"), "only with issuer.external: authstack generates the client secret of dex's client"))
		} else {
			errs = append(errs, secretKeyRef(au.ClientSecret, p.Child("clientSecret"))...)
		}
	}
	for i := range s.Apps {
		if a := &s.Apps[i]; a.Host == au.Host {
			errs = append(errs, field.Duplicate(ap.Index(i).Child("host"), a.Host))
		}
	}
	errs = append(errs, cookieDomain(s, p.Child("cookieDomain"))...)
	for i := range s.Apps {
		a, p := &s.Apps[i], ap.Index(i)
		// oauth2-proxy splits the allowed_groups query parameter of
		// /oauth2/auth on commas (oauthproxy.go extractAllowedEntities,
		// v7.15.6): a group name with a comma cannot be asked for.
		for j, g := range a.AllowedGroups {
			if g == "" || strings.Contains(g, ",") {
				errs = append(errs, field.Invalid(p.Child("allowedGroups").Index(j), g, "the shared oauth2-proxy is asked for each app's groups in a comma-separated list: a group name cannot be empty or contain a comma"))
			}
		}
	}
	return errs
}

// cookieDomain checks that the session cookie reaches every app: a browser
// sends a cookie only to hosts equal to or under its Domain (RFC 6265
// section 5.1.3), and oauth2-proxy sets it only when the sign-in host
// matches one of cookie_domains (pkg/cookies, GetCookieDomain).
func cookieDomain(s *Spec, p *field.Path) field.ErrorList {
	d := s.Auth.CookieDomain
	if d == "" {
		return field.ErrorList{field.Required(p, "the sign-in host and the app hosts share no parent domain with two labels or more: put them under one domain (such as oauthproxy.example.com and grafana.example.com under .example.com), or use one oauth2-proxy per app (no spec.auth.host)")}
	}
	bare := strings.TrimPrefix(d, ".")
	if msgs := validation.IsDNS1123Subdomain(bare); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, d, "must be a domain such as .example.com")}
	}
	var errs field.ErrorList
	if !strings.Contains(bare, ".") {
		for i, a := range s.Apps {
			if Hostname(a.Host) != bare {
				errs = append(errs, field.Invalid(p, d, fmt.Sprintf("is a top-level domain, for which browsers refuse cookies, and app %s (spec.apps[%d]) is on another host", a.Name, i)))
				return errs
			}
		}
	}
	if !UnderCookieDomain(s.Auth.Host, d) {
		errs = append(errs, field.Invalid(p, d, fmt.Sprintf("the sign-in host %s is not under it: oauth2-proxy would not set the session cookie", s.Auth.Host)))
	}
	for i, a := range s.Apps {
		if !UnderCookieDomain(a.Host, d) {
			errs = append(errs, field.Invalid(p, d, fmt.Sprintf("app %s (spec.apps[%d].host %s) is not under it: the browser would not send the session cookie there, and every request would go back to the sign-in", a.Name, i, a.Host)))
		}
	}
	return errs
}

func secretKeyRef(r *SecretKeyRef, p *field.Path) field.ErrorList {
	errs := dnsSubdomain(r.Name, p.Child("name"))
	if r.Key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	} else if msgs := validation.IsConfigMapKey(r.Key); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("key"), r.Key, "must be a Secret data key: "+strings.Join(msgs, "; ")))
	}
	return errs
}

// needsAppClientSecret reports whether some oauth2-proxy with an external
// issuer has no client secret of its own, so issuer.external.appClientSecret
// must provide it.
func needsAppClientSecret(s *Spec) bool {
	if s.SharedSignin() {
		return len(s.Apps) > 0 && s.Auth.ClientSecret == nil
	}
	for _, a := range s.Apps {
		if a.ClientSecret == nil {
			return true
		}
	}
	return false
}

// authWarnings: dex leaves preferred_username empty unless the LDAP
// connector names its attribute (connector/ldap/ldap.go,
// preferredUsernameAttr "No default"), and nginx drops an empty header, so
// headers apps get no X-Auth-Request-Preferred-Username (an app whose
// userHeaderClaim is preferred_username is refused: validateUserHeaderClaims).
func authWarnings(s *AuthStack) []Warning {
	d := s.Spec.Issuer.Dex
	if d == nil || !slices.ContainsFunc(s.Spec.Apps, func(a App) bool { return a.Identity == IdentityHeaders }) {
		return nil
	}
	var ws []Warning
	for i, c := range d.Connectors {
		if c.LDAP != nil && c.LDAP.UserSearch.PreferredUsernameAttr == "" {
			msg := fmt.Sprintf("not set: dex then sends no preferred_username, and the headers apps get no X-Auth-Request-Preferred-Username for this connector's users; set it to the login attribute, such as %s", c.LDAP.UserSearch.Username)
			ws = append(ws, Warning{
				Field:   field.NewPath("spec", "issuer", "dex", "connectors").Index(i).Child("ldap", "userSearch", "preferredUsernameAttr").String(),
				Message: msg,
			})
		}
	}
	return ws
}
