package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// UserHeaderClaim is what a headers-mode app receives as X-Auth-Request-User.
type UserHeaderClaim string

const (
	// UserHeaderPreferredUsername is the preferred_username claim (the
	// profile scope): a login name such as alice.
	UserHeaderPreferredUsername UserHeaderClaim = "preferred_username"
	// UserHeaderEmail is the email claim (the email scope).
	UserHeaderEmail UserHeaderClaim = "email"
	// UserHeaderSub is the subject, unique but opaque with dex (CgNib2ISBWxvY2Fs).
	UserHeaderSub UserHeaderClaim = "sub"
)

// UserHeaderClaims are the accepted values, the default first.
var UserHeaderClaims = []UserHeaderClaim{UserHeaderPreferredUsername, UserHeaderEmail, UserHeaderSub}

// AppIdentityHeaders are the settings of a headers-mode app's identity.
type AppIdentityHeaders struct {
	// UserHeaderClaim is the claim a headers-mode app receives as X-Auth-Request-User:
	// preferred_username (default; the profile scope is requested), email (the email scope is
	// requested) or sub (the issuer's subject, opaque with dex). X-Auth-Request-Email,
	// -Preferred-Username and -Groups are sent as they are. Only with identity headers.
	UserHeaderClaim UserHeaderClaim `json:"userHeaderClaim,omitempty"`
}

// Scope is the OIDC scope that makes the issuer put the claim in the id
// token (OpenID Connect Core 5.4: profile for preferred_username, email
// for email); "" for sub, which every id token has.
func (c UserHeaderClaim) Scope() string {
	switch c {
	case UserHeaderPreferredUsername:
		return "profile"
	case UserHeaderEmail:
		return "email"
	}
	return ""
}

// UserHeader is the claim of X-Auth-Request-User of a headers-mode app,
// its default when unset (a spec not defaulted yet).
func (a *App) UserHeader() UserHeaderClaim {
	if a.UserHeaderClaim == "" {
		return UserHeaderPreferredUsername
	}
	return a.UserHeaderClaim
}

// setUserHeaderDefaults gives a headers-mode app a readable user name.
func (a *App) setUserHeaderDefaults() {
	if a.Identity == IdentityHeaders && a.UserHeaderClaim == "" {
		a.UserHeaderClaim = UserHeaderPreferredUsername
	}
}

// validateUserHeaderClaims refuses an unknown claim, and one set on an app
// that receives no identity headers (a token app gets only Authorization).
func validateUserHeaderClaims(s *Spec, apps *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range s.Apps {
		a, p := &s.Apps[i], apps.Index(i).Child("userHeaderClaim")
		if a.UserHeaderClaim == "" {
			continue
		}
		if a.Identity != IdentityHeaders {
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("only with identity headers: an app with identity %s receives no X-Auth-Request-User", a.Identity)))
			continue
		}
		switch a.UserHeaderClaim {
		case UserHeaderPreferredUsername, UserHeaderEmail, UserHeaderSub:
		default:
			errs = append(errs, field.NotSupported(p, a.UserHeaderClaim, UserHeaderClaims))
		}
	}
	return errs
}
