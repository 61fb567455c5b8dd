package v1alpha1

import (
	"strings"
	"testing"
)

func TestUserHeaderClaimDefaultsToPreferredUsername(t *testing.T) {
	s := validSpec()
	sharedApps(s)
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := s.Spec.Apps[0].UserHeaderClaim; got != UserHeaderPreferredUsername {
		t.Errorf("headers app: userHeaderClaim %q, want preferred_username", got)
	}
	if got := s.Spec.Apps[1].UserHeaderClaim; got != "" {
		t.Errorf("token app: userHeaderClaim %q, want none", got)
	}
}

func TestUserHeaderClaimRefusals(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		sharedApps(s)
		s.Spec.Apps[0].UserHeaderClaim = "name"
		s.Spec.Apps[1].UserHeaderClaim = UserHeaderEmail
	})
	wantError(t, errs, "spec.apps[0].userHeaderClaim", `Unsupported value: "name"`)
	wantError(t, errs, "spec.apps[1].userHeaderClaim", "only with identity headers")
	for _, ok := range UserHeaderClaims {
		errs := validate(func(s *AuthStack) { sharedApps(s); s.Spec.Apps[0].UserHeaderClaim = ok })
		if len(errs) > 0 {
			t.Errorf("%s refused: %v", ok, errs)
		}
	}
}

func TestLDAPWithoutPreferredUsernameWarnsOfAnEmptyUserHeader(t *testing.T) {
	s := validSpec()
	sharedApps(s)
	s.Spec.Issuer.Dex.Connectors[0].LDAP.UserSearch.PreferredUsernameAttr = ""
	SetDefaults(s)
	ws := Warnings(s)
	found := false
	for _, w := range ws {
		if strings.HasSuffix(w.Field, "preferredUsernameAttr") && strings.Contains(w.Message, "apps grafana get no X-Auth-Request-User") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %v", ws)
	}
}
