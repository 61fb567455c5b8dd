package apiserver

import (
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// spec is a defaulted, valid spec for installer and mode, after edit.
func spec(t *testing.T, installer v1alpha1.Installer, mode v1alpha1.APIServerMode, edit func(*v1alpha1.AuthStack)) *v1alpha1.Spec {
	t.Helper()
	s := &v1alpha1.AuthStack{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: installer},
		Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com", Connectors: []v1alpha1.Connector{{LDAP: &v1alpha1.LDAPConnector{
			Host:       "ldap.example.com:636",
			UserSearch: v1alpha1.LDAPUserSearch{BaseDN: "ou=people,dc=example,dc=com", Username: "mail"},
		}}}}},
		APIServer: v1alpha1.APIServer{Mode: mode},
	}}
	if edit != nil {
		edit(s)
	}
	v1alpha1.SetDefaults(s)
	if errs := v1alpha1.Validate(s); len(errs) > 0 {
		t.Fatalf("spec is invalid: %v", errs)
	}
	return &s.Spec
}

func TestUnprefixedAuthConfigRefusesSystemNames(t *testing.T) {
	s := spec(t, v1alpha1.InstallerKubeadm, v1alpha1.ModeAuthConfig, func(s *v1alpha1.AuthStack) {
		empty := ""
		s.Spec.APIServer.UsernamePrefix, s.Spec.APIServer.GroupsPrefix = &empty, &empty
		s.Spec.APIServer.AllowUnprefixed = true
	})
	out, err := AuthenticationConfiguration(s, "")
	if err != nil {
		t.Fatal(err)
	}
	var cfg apiserverv1.AuthenticationConfiguration
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cfg.JWT[0].UserValidationRules {
		got = append(got, r.Expression)
	}
	want := []string{"!user.username.startsWith('system:')", "user.groups.all(g, !g.startsWith('system:'))"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("user validation rules = %q, want %q", got, want)
	}
	prefixed, err := AuthenticationConfiguration(spec(t, v1alpha1.InstallerKubeadm, v1alpha1.ModeAuthConfig, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(prefixed), "userValidationRules") {
		t.Errorf("a prefixed configuration needs no user rule:\n%s", prefixed)
	}
}

// A value that got past validation must still not become a second flag.
func TestFlagRenderersRefuseInjection(t *testing.T) {
	for _, installer := range []v1alpha1.Installer{v1alpha1.InstallerKubespray, v1alpha1.InstallerAuthConfig} {
		s := spec(t, installer, v1alpha1.ModeFlags, nil)
		s.APIServer.UsernameClaim = "email --oidc-groups-prefix="
		s.APIServer.RequiredClaims = map[string]string{"hd": "example.com\n--oidc-username-prefix=-"}
		if out, err := FlagsFile(Input{Spec: s}); err == nil {
			t.Errorf("%s: flags file rendered:\n%s", installer, out)
		}
		if vars, err := KubesprayVars(Input{Spec: s}); err == nil {
			t.Errorf("%s: kubespray vars rendered: %v", installer, vars)
		}
	}
}
