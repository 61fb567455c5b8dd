package oauth2proxy

import (
	"slices"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// sessionClaim is the session claim of oauth2-proxy's header injection
// (pkg/apis/sessions/session_state.go GetClaim, v7.15.6) that holds a
// userHeaderClaim: the session's user is the id token's sub, as
// providers/provider_data.go fixes UserClaim to "sub" and no option
// changes it; preferred_username and email are the session's own fields.
func sessionClaim(c v1alpha1.UserHeaderClaim) string {
	if c == v1alpha1.UserHeaderSub {
		return "user"
	}
	return string(c)
}

// headersIdentity makes c answer /oauth2/auth with the identity headers,
// X-Auth-Request-User from claim. set_xauthrequest would fix it to the
// subject (legacy_options.go getXAuthRequestHeaders: claim "user"), so
// the headers are an alpha config's injectResponseHeaders instead, in the
// same order and with the same claims for the other three. oauth2-proxy
// does not read OAUTH2_PROXY_CLIENT_SECRET beside an alpha config: the
// alpha config takes it from that variable by reference.
func headersIdentity(c *format.Config, claim v1alpha1.UserHeaderClaim) {
	c.SetXAuthRequest = false
	c.ClientSecret = format.EnvSecret(format.EnvName("client_secret"))
	c.InjectResponseHeaders = []format.Header{
		format.ClaimHeader("X-Auth-Request-User", sessionClaim(claim)),
		format.ClaimHeader("X-Auth-Request-Email", "email"),
		format.ClaimHeader("X-Auth-Request-Preferred-Username", "preferred_username"),
		format.ClaimHeader("X-Auth-Request-Groups", "groups"),
	}
}

// withClaimScopes adds the scope each headers app's userHeaderClaim needs
// (profile, email) when the issuer's scope list lacks it: without it the
// claim is not in the id token and X-Auth-Request-User is empty. The
// apps are all those that sign in through the proxy, so the variants of a
// shared proxy ask for the same scopes.
func withClaimScopes(scopes []string, apps []*v1alpha1.App) []string {
	for _, a := range apps {
		if a.Identity != v1alpha1.IdentityHeaders {
			continue
		}
		if sc := a.UserHeader().Scope(); sc != "" && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return scopes
}
