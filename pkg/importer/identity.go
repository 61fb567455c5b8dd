package importer

import (
	"net/textproto"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
)

// userHeaderClaim carries over what a headers app received as
// X-Auth-Request-User: the claim of an alpha config's
// injectResponseHeaders, or the subject with set_xauthrequest
// (oauth2-proxy v7.15.6 legacy_options.go getXAuthRequestHeaders: the
// session's user, its sub claim). The subject is kept, so the app sees
// the same users (Grafana keys accounts on that header), with a gap
// naming the readable choice.
func (im *importer) userHeaderClaim(p *doctor.Proxy, app *v1alpha1.App) {
	if app.Identity != v1alpha1.IdentityHeaders || p.Config == nil {
		return
	}
	claims := p.Config.ResponseHeaderClaims()
	if claims == nil {
		app.UserHeaderClaim = v1alpha1.UserHeaderSub
		im.gap(p.Source, "set_xauthrequest", "X-Auth-Request-User is the issuer's subject (opaque with dex); the spec keeps it (userHeaderClaim: sub): set userHeaderClaim: preferred_username or email for a readable name, once the app's users can move to it")
		return
	}
	var from []string
	for name, cs := range claims {
		// oauth2-proxy normalises header names to Title-Case (header.go).
		if textproto.CanonicalMIMEHeaderKey(name) == "X-Auth-Request-User" {
			from = cs
		}
	}
	switch {
	case len(from) == 1 && from[0] == "user":
		app.UserHeaderClaim = v1alpha1.UserHeaderSub
	case len(from) == 1 && (from[0] == string(v1alpha1.UserHeaderPreferredUsername) || from[0] == string(v1alpha1.UserHeaderEmail)):
		app.UserHeaderClaim = v1alpha1.UserHeaderClaim(from[0])
	default:
		im.gap(p.Source, "injectResponseHeaders", "X-Auth-Request-User from claims %q: the spec sends preferred_username, email or sub; it renders preferred_username", from)
	}
}
