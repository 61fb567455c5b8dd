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
	// preferred_username (the profile scope is requested), email (the email scope is requested)
	// or sub (the issuer's subject, opaque with dex). Default: preferred_username with dex and
	// one connector that gives every user one (static, GitHub, LDAP with preferredUsernameAttr),
	// email otherwise (two connectors can give two people one login name). X-Auth-Request-Email,
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

// setUserHeaderDefaults gives a headers-mode app a readable user name:
// preferred_username where it names one person and is always there (dex
// with one connector: static users, GitHub logins, or LDAP with
// preferredUsernameAttr), email otherwise. With several connectors two
// people can share a login name (a GitHub login and an LDAP uid), and the
// app would take them for one user; other issuers may not send
// preferred_username at all (Google) or let it change (Entra ID's UPN).
func (a *App) setUserHeaderDefaults(spec *Spec) {
	if a.Identity != IdentityHeaders || a.UserHeaderClaim != "" {
		return
	}
	a.UserHeaderClaim = UserHeaderEmail
	if spec.preferredUsernameIsSafe() {
		a.UserHeaderClaim = UserHeaderPreferredUsername
	}
}

// preferredUsernameIsSafe: dex with exactly one connector whose users all
// have a preferred_username of their own.
func (spec *Spec) preferredUsernameIsSafe() bool {
	d := spec.Issuer.Dex
	if d == nil || len(d.Connectors) != 1 {
		return false
	}
	c := d.Connectors[0]
	switch {
	case c.Static != nil, c.GitHub != nil:
		return true
	case c.LDAP != nil:
		return c.LDAP.UserSearch.PreferredUsernameAttr != ""
	}
	return false
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
		case UserHeaderPreferredUsername:
			// dex sends no preferred_username for an LDAP connector without
			// preferredUsernameAttr (connector/ldap/ldap.go: "No default"),
			// and nginx drops the empty header: the app would see no user.
			if d := s.Issuer.Dex; d != nil {
				for j, c := range d.Connectors {
					if c.LDAP != nil && c.LDAP.UserSearch.PreferredUsernameAttr == "" {
						errs = append(errs, field.Invalid(p, a.UserHeaderClaim, fmt.Sprintf(
							"connector %s (spec.issuer.dex.connectors[%d]) sends no preferred_username: set its ldap.userSearch.preferredUsernameAttr, or use email", c.ID, j)))
						break
					}
				}
			}
		case UserHeaderEmail, UserHeaderSub:
		default:
			errs = append(errs, field.NotSupported(p, a.UserHeaderClaim, UserHeaderClaims))
		}
	}
	return errs
}

// userHeaderWarnings: preferred_username chosen where it may not name one
// person (see setUserHeaderDefaults).
func userHeaderWarnings(s *Spec) []Warning {
	if s.preferredUsernameIsSafe() {
		return nil
	}
	why := "the issuer may not send preferred_username, or may let users change it"
	if d := s.Issuer.Dex; d != nil && len(d.Connectors) > 1 {
		why = fmt.Sprintf("dex has %d connectors, and two of them can return the same name for two people (a GitHub login and an LDAP uid)", len(d.Connectors))
	}
	var ws []Warning
	for i, a := range s.Apps {
		if a.Identity == IdentityHeaders && a.UserHeaderClaim == UserHeaderPreferredUsername {
			ws = append(ws, Warning{
				Field:   field.NewPath("spec", "apps").Index(i).Child("userHeaderClaim").String(),
				Message: fmt.Sprintf("preferred_username: %s; the app would take them for one user. email names one person", why),
			})
		}
	}
	return ws
}
