package v1alpha1

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// IdentityOIDC is an app that logs users in itself against the issuer
// (Headlamp's own OIDC login): no oauth2-proxy in front of it, its own
// client at the issuer, and the id token it gets sent to the API server.
const IdentityOIDC IdentityMode = "oidc"

// AppKind names software whose own settings authstack renders.
type AppKind string

// AppKindHeadlamp is Headlamp (github.com/kubernetes-sigs/headlamp).
const AppKindHeadlamp AppKind = "headlamp"

// AppSoftware says which software an app is, when authstack renders its
// settings.
type AppSoftware struct {
	// Kind is the app's software: headlamp. Required with identity oidc,
	// since authstack renders that app's own login settings (Headlamp's
	// Helm values and a Secret with its client).
	Kind AppKind `json:"kind,omitempty"`
}

// HeadlampCallbackPath is where Headlamp receives the authorization code:
// its backend serves /oidc-callback and, unless told a callback URL, builds
// the redirect URI from the request's host and that path
// (kubernetes-sigs/headlamp backend/cmd/headlamp.go, getOidcCallbackURL).
const HeadlampCallbackPath = "/oidc-callback"

// OwnLogin reports whether the app logs users in itself, without oauth2-proxy.
func (a *App) OwnLogin() bool { return a.Identity == IdentityOIDC }

// SendsUserToken reports whether the app calls the API server with the
// user's id token: forwarded by oauth2-proxy (token) or got by the app's
// own login (oidc). The API server must accept that token's audience.
func (a *App) SendsUserToken() bool {
	return a.Identity == IdentityToken || a.Identity == IdentityOIDC
}

// RedirectURI is the callback the issuer must allow for the app's client.
func (a *App) RedirectURI() string {
	if a.OwnLogin() {
		return "https://" + a.Host + HeadlampCallbackPath
	}
	return "https://" + a.Host + "/oauth2/callback"
}

// defaultClientID is an app's client id at the issuer when unset: the
// proxy's for apps behind oauth2-proxy, the app's name for an app that
// logs in itself.
func (a *App) defaultClientID() string {
	if a.OwnLogin() {
		return a.Name
	}
	return "oauth2-proxy-" + a.Name
}

// validateOwnLogin checks the apps that log users in themselves: authstack
// renders the settings of Headlamp only, and such an app has no proxy that
// could enforce allowedGroups or allowedEmailDomains.
func validateOwnLogin(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range s.Apps {
		a, ap := &s.Apps[i], p.Index(i)
		if a.Kind != "" && a.Kind != AppKindHeadlamp {
			errs = append(errs, field.NotSupported(ap.Child("kind"), a.Kind, []AppKind{AppKindHeadlamp}))
		}
		if !a.OwnLogin() {
			continue
		}
		if a.Kind != AppKindHeadlamp {
			errs = append(errs, field.Required(ap.Child("kind"), "identity oidc needs the app's software, whose login settings authstack renders: headlamp"))
		}
		// Nothing stands between the login and the app: a limit only
		// oauth2-proxy enforces would be silently dropped.
		if len(a.AllowedGroups) > 0 {
			errs = append(errs, field.Forbidden(ap.Child("allowedGroups"), "identity oidc has no oauth2-proxy to enforce it: everyone the issuer accepts can log in to Headlamp, and RBAC decides what they see; use identity token to limit who reaches the app"))
		}
		if slices.ContainsFunc(a.AllowedEmailDomains, func(d string) bool { return d != "*" }) {
			errs = append(errs, field.Forbidden(ap.Child("allowedEmailDomains"), "identity oidc has no oauth2-proxy to enforce it; use identity token to limit who reaches the app"))
		}
		if a.Upstream.Protocol != "HTTP" {
			errs = append(errs, field.Invalid(ap.Child("upstream", "protocol"), a.Upstream.Protocol, "Headlamp's chart serves HTTP on its Service (port 80); use HTTP"))
		}
	}
	return errs
}

// ownLoginScopes are the scopes an app that logs in itself asks for,
// besides openid, which Headlamp always adds. From dex it asks for an id
// token whose audience includes the kubectl client too (cross-client
// trust), which the API server accepts; another issuer issues it for the
// app's own client, which the API server's audiences then include.
func (s *Spec) OwnLoginScopes() []string {
	if e := s.Issuer.External; e != nil {
		return slices.DeleteFunc(slices.Clone(e.Scopes), func(sc string) bool { return sc == "openid" })
	}
	return []string{"profile", "email", "groups", "offline_access", fmt.Sprintf("audience:server:client_id:%s", s.Kubectl.ClientID)}
}
