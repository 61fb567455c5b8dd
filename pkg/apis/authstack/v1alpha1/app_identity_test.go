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

// Where preferred_username may be missing or name two people alike, a
// headers app gets email by default; choosing preferred_username there is
// refused (no name at all) or warned about (two people, one name).
func TestUserHeaderClaimWherePreferredUsernameIsNotSafe(t *testing.T) {
	noAttr := func(s *AuthStack) { s.Spec.Issuer.Dex.Connectors[0].LDAP.UserSearch.PreferredUsernameAttr = "" }
	twoConnectors := func(s *AuthStack) {
		s.Spec.Issuer.Dex.Connectors = append(s.Spec.Issuer.Dex.Connectors, Connector{ID: "github", GitHub: &GitHubConnector{
			ClientID: "c", ClientSecret: &SecretRef{Env: "GH"}, Orgs: []GitHubOrg{{Name: "example"}}}})
	}
	for name, edit := range map[string]func(*AuthStack){"ldap without preferredUsernameAttr": noAttr, "two connectors": twoConnectors} {
		s := validSpec()
		sharedApps(s)
		edit(s)
		SetDefaults(s)
		if errs := Validate(s); len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		if got := s.Spec.Apps[0].UserHeaderClaim; got != UserHeaderEmail {
			t.Errorf("%s: default userHeaderClaim %q, want email", name, got)
		}
	}
	errs := validate(func(s *AuthStack) {
		sharedApps(s)
		noAttr(s)
		s.Spec.Apps[0].UserHeaderClaim = UserHeaderPreferredUsername
	})
	wantError(t, errs, "spec.apps[0].userHeaderClaim", "sends no preferred_username")

	s := validSpec()
	sharedApps(s)
	twoConnectors(s)
	s.Spec.Apps[0].UserHeaderClaim = UserHeaderPreferredUsername
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	found := false
	for _, w := range Warnings(s) {
		if w.Field == "spec.apps[0].userHeaderClaim" && strings.Contains(w.Message, "2 connectors") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning about two people with one name: %v", Warnings(s))
	}
}
