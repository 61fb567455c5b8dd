package apiserver

import (
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// stack is a minimal spec for installer and mode, before defaults.
func stack(installer v1alpha1.Installer, mode v1alpha1.APIServerMode) *v1alpha1.AuthStack {
	return &v1alpha1.AuthStack{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: installer},
		Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com", TLS: v1alpha1.DexTLS{SecretName: "dex-tls"}, Connectors: []v1alpha1.Connector{{LDAP: &v1alpha1.LDAPConnector{
			Host:       "ldap.example.com:636",
			UserSearch: v1alpha1.LDAPUserSearch{BaseDN: "ou=people,dc=example,dc=com", Username: "mail"},
		}}}}},
		APIServer: v1alpha1.APIServer{Mode: mode},
	}}
}

// spec is a defaulted, valid spec for installer and mode, after edit.
func spec(t *testing.T, installer v1alpha1.Installer, mode v1alpha1.APIServerMode, edit func(*v1alpha1.AuthStack)) *v1alpha1.Spec {
	t.Helper()
	s := stack(installer, mode)
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

// installerOutput is everything the installer's API server receives: for
// kubespray only its variables (it writes the AuthenticationConfiguration
// itself from them); for the others their file plus the configuration.
func installerOutput(t *testing.T, s *v1alpha1.Spec, caPEM string) string {
	t.Helper()
	in := Input{Spec: s, CAPEM: caPEM}
	var out []byte
	var err error
	switch s.Cluster.Installer {
	case v1alpha1.InstallerKubespray:
		out, err = KubesprayVarsFile(in)
	case v1alpha1.InstallerKubeadm:
		out, err = KubeadmPatch(in)
	case v1alpha1.InstallerKind:
		out, err = KindCluster(in)
	default:
		out, err = FlagsFile(in)
	}
	if err != nil {
		t.Fatal(err)
	}
	if s.APIServer.Mode == v1alpha1.ModeAuthConfig && s.Cluster.Installer != v1alpha1.InstallerKubespray {
		cfg, err := AuthenticationConfiguration(s, caPEM)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cfg...)
	}
	return string(out)
}

// Every apiServer field is either rendered for the installer and mode or
// refused: none is dropped.
func TestEveryAPIServerFieldIsRenderedOrRefused(t *testing.T) {
	ca := string(testenv.NewCA(t, t.TempDir(), "test CA").CertPEM)
	fields := []struct {
		name string
		edit func(*v1alpha1.AuthStack)
		want string // a string the installer output must contain
		ca   bool
	}{
		{"issuer", func(s *v1alpha1.AuthStack) {
			s.Spec.Issuer.Dex = nil
			s.Spec.Issuer.External = &v1alpha1.ExternalIssuer{URL: "https://zzissuer.example.com/realm"}
		}, "https://zzissuer.example.com/realm", false},
		{"audiences", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.Audiences = []string{"zzaudience"} }, "zzaudience", false},
		{"two audiences", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.Audiences = []string{"zzaud1", "zzaud2"} }, "zzaud2", false},
		{"usernameClaim", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.UsernameClaim = "zzuserclaim" }, "zzuserclaim", false},
		{"usernamePrefix", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.UsernamePrefix = ptr("zzuser:") }, "zzuser:", false},
		{"groupsClaim", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.GroupsClaim = "zzgroupsclaim" }, "zzgroupsclaim", false},
		{"groupsPrefix", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.GroupsPrefix = ptr("zzgroups:") }, "zzgroups:", false},
		{"requiredClaims", func(s *v1alpha1.AuthStack) { s.Spec.APIServer.RequiredClaims = map[string]string{"zzclaim": "zzvalue"} }, "zzvalue", false},
		{"two requiredClaims", func(s *v1alpha1.AuthStack) {
			s.Spec.APIServer.RequiredClaims = map[string]string{"zzclaim": "zzvalue", "zzother": "zzvalue2"}
		}, "zzvalue2", false},
		{"claimValidationRules", func(s *v1alpha1.AuthStack) {
			s.Spec.APIServer.ClaimValidationRules = []v1alpha1.CELRule{{Expression: "claims.zzcel == 1"}}
		}, "claims.zzcel", false},
		{"issuer CA", func(*v1alpha1.AuthStack) {}, "", true},
	}
	for _, installer := range []v1alpha1.Installer{v1alpha1.InstallerKubespray, v1alpha1.InstallerKubeadm, v1alpha1.InstallerKind, v1alpha1.InstallerAuthConfig} {
		for _, mode := range []v1alpha1.APIServerMode{v1alpha1.ModeFlags, v1alpha1.ModeAuthConfig} {
			for _, f := range fields {
				t.Run(string(installer)+"/"+string(mode)+"/"+f.name, func(t *testing.T) {
					s := stack(installer, mode)
					f.edit(s)
					v1alpha1.SetDefaults(s)
					if errs := v1alpha1.Validate(s); len(errs) > 0 {
						return // refused: the user is told
					}
					caPEM, want := "", f.want
					if f.ca {
						caPEM, want = ca, s.Spec.APIServer.IssuerCAPath
						if mode == v1alpha1.ModeAuthConfig {
							want = strings.Split(strings.TrimSpace(ca), "\n")[1]
						}
					}
					out := installerOutput(t, &s.Spec, caPEM)
					if !strings.Contains(out, want) {
						t.Errorf("%s is neither refused nor rendered (want %q) in:\n%s", f.name, want, out)
					}
					// kube-apiserver reads one key=value per --oidc-required-claim
					// (component-base MapStringString with NoSplit): a joined
					// list would require the first claim to equal the rest.
					if strings.Contains(out, "zzvalue,") {
						t.Errorf("required claims joined into one flag value:\n%s", out)
					}
				})
			}
		}
	}
}
