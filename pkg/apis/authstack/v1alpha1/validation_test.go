package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validSpec is the smallest spec that validates, written as a user would
// (before defaults).
func validSpec() *AuthStack {
	return &AuthStack{APIVersion: APIVersion, Kind: Kind, Spec: Spec{
		Cluster: Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: InstallerKubeadm},
		Issuer: Issuer{Dex: &Dex{Host: "dex.example.com", Connectors: []Connector{{LDAP: &LDAPConnector{
			Host:       "ldap.example.com:636",
			UserSearch: LDAPUserSearch{BaseDN: "ou=people,dc=example,dc=com", Username: "mail"},
		}}}}},
	}}
}

// validate edits a valid spec, defaults and validates it.
func validate(edit func(*AuthStack)) field.ErrorList {
	s := validSpec()
	edit(s)
	SetDefaults(s)
	return Validate(s)
}

func str(s string) *string { return &s }

// wantError checks that one error is about the field at path and says want.
func wantError(t *testing.T, errs field.ErrorList, path, want string) {
	t.Helper()
	for _, e := range errs {
		if e.Field == path && strings.Contains(e.Error(), want) {
			return
		}
	}
	t.Errorf("no error at %s saying %q; got %v", path, want, errs)
}

func TestValidSpecIsValid(t *testing.T) {
	if errs := validate(func(*AuthStack) {}); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestPrefixesCannotBuildSystemNames(t *testing.T) {
	for _, p := range []string{"system", "sys", "s", "system:", "system:oidc:", "syst"} {
		for _, f := range []string{"usernamePrefix", "groupsPrefix"} {
			t.Run(f+"="+p, func(t *testing.T) {
				errs := validate(func(s *AuthStack) {
					if f == "usernamePrefix" {
						s.Spec.APIServer.UsernamePrefix = str(p)
					} else {
						s.Spec.APIServer.GroupsPrefix = str(p)
					}
				})
				wantError(t, errs, "spec.apiServer."+f, "system:")
			})
		}
	}
}

func TestPrefixesEndWithAColon(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.APIServer.GroupsPrefix = str("oidc") })
	wantError(t, errs, "spec.apiServer.groupsPrefix", `must end with ":"`)
	for _, ok := range []string{"oidc:", "corp:sso:", "a:"} {
		if errs := validate(func(s *AuthStack) { s.Spec.APIServer.GroupsPrefix = str(ok) }); len(errs) > 0 {
			t.Errorf("%q: %v", ok, errs)
		}
	}
}

func TestUnprefixedNeedsConsent(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.APIServer.UsernamePrefix = str("") })
	wantError(t, errs, "spec.apiServer.usernamePrefix", "allowUnprefixed")
	if errs := validate(func(s *AuthStack) {
		s.Spec.APIServer.UsernamePrefix = str("")
		s.Spec.APIServer.AllowUnprefixed = true
	}); len(errs) > 0 {
		t.Errorf("allowUnprefixed: %v", errs)
	}
}
