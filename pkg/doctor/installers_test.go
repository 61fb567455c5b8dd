package doctor

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/patch/staticpod"
	"github.com/authstack/authstack/pkg/render/apiserver"
)

// jwtView is what the API server decides with, without where doctor found it.
type jwtView struct {
	Issuer, CAFile, UsernameClaim, UsernamePref, GroupsClaim, GroupsPref string
	Audiences, SigningAlgs                                               []string
}

func viewOf(t *testing.T, m *Model) jwtView {
	t.Helper()
	js := m.jwts()
	if len(js) != 1 {
		t.Fatalf("doctor read %d JWT authenticators, want 1", len(js))
	}
	j := js[0]
	return jwtView{j.Issuer, j.CAFile, j.UsernameClaim, j.UsernamePref, j.GroupsClaim, j.GroupsPref, j.Audiences, j.SigningAlgs}
}

// Render writes the API server's settings for each installer through the
// installer table, and doctor reads them back through it: for every
// installer form and Kubernetes version (kubeadm v1beta3 before 1.31,
// v1beta4 after), doctor must see exactly the flags render wrote.
func TestDoctorReadsBackWhatRenderWritesForEveryInstaller(t *testing.T) {
	ca := string(testenv.NewCA(t, t.TempDir(), "test CA").CertPEM)
	kindManifest, err := os.ReadFile(filepath.Join("..", "formats", "kubeapiserver", "testdata", "kind-v1.31.2-kube-apiserver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"1.30", "1.34"} {
		for _, installer := range []v1alpha1.Installer{v1alpha1.InstallerKubespray, v1alpha1.InstallerKubeadm, v1alpha1.InstallerKind, v1alpha1.InstallerAuthConfig} {
			t.Run(version+"/"+string(installer), func(t *testing.T) {
				pfx := "zz:"
				s := &v1alpha1.AuthStack{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Spec: v1alpha1.Spec{
					Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: version, Installer: installer},
					Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com", TLS: v1alpha1.DexTLS{SecretName: "dex-tls"}, Connectors: []v1alpha1.Connector{{LDAP: &v1alpha1.LDAPConnector{
						Host: "ldap.example.com:636", UserSearch: v1alpha1.LDAPUserSearch{BaseDN: "dc=example,dc=com", Username: "mail"},
					}}}}},
					Kubectl: v1alpha1.Kubectl{ClientID: "zzaudience"},
					APIServer: v1alpha1.APIServer{Mode: v1alpha1.ModeFlags, Audiences: []string{"zzaudience"}, UsernameClaim: "zzuser",
						UsernamePrefix: &pfx, GroupsClaim: "zzgroups", GroupsPrefix: &pfx, IssuerCAPath: "/etc/authstack/zz-ca.crt"},
				}}
				v1alpha1.SetDefaults(s)
				if errs := v1alpha1.Validate(s); len(errs) > 0 {
					t.Fatalf("spec is invalid: %v", errs)
				}
				spec := &s.Spec
				in := apiserver.Input{Spec: spec, CAPEM: ca}
				want := jwtView{Issuer: spec.IssuerURL(), CAFile: "/etc/authstack/zz-ca.crt", UsernameClaim: "zzuser", UsernamePref: "zz:",
					GroupsClaim: "zzgroups", GroupsPref: "zz:", Audiences: []string{"zzaudience"}, SigningAlgs: []string{"RS256"}}

				forms := map[string]func(*Model) error{}
				switch installer {
				case v1alpha1.InstallerKubespray:
					forms["kubespray vars"] = func(m *Model) error {
						data, err := apiserver.KubesprayVarsFile(in)
						if err != nil {
							return err
						}
						return m.AddKubesprayVars("vars", data)
					}
				case v1alpha1.InstallerKubeadm:
					forms["kubeadm patch"] = func(m *Model) error {
						data, err := apiserver.KubeadmPatch(in)
						if err != nil {
							return err
						}
						return m.AddKubeadmConfig("kubeadm", data)
					}
				case v1alpha1.InstallerKind:
					forms["kind kubeadmConfigPatches"] = func(m *Model) error {
						data, err := apiserver.KindCluster(in)
						if err != nil {
							return err
						}
						var c kindv1alpha4.Cluster
						if err := yaml.Unmarshal(data, &c); err != nil {
							return err
						}
						return m.AddKubeadmConfig("kind", []byte(c.KubeadmConfigPatches[0]))
					}
				default:
					forms["flags file"] = func(m *Model) error {
						data, err := apiserver.FlagsFile(in)
						if err != nil {
							return err
						}
						var args []string
						for _, l := range strings.Split(string(data), "\n") {
							if strings.HasPrefix(l, "--") {
								args = append(args, l)
							}
						}
						flags, err := parseFlags(args)
						if err != nil {
							return err
						}
						m.addFlags("flags", flags, func(n string) string { return "--" + n })
						return nil
					}
				}
				forms["static pod manifest"] = func(m *Model) error {
					set, remove := apiserver.KubeadmArgs(in)
					data, err := staticpod.Patch(kindManifest, set, remove, apiserver.StaticPodMounts(in))
					if err != nil {
						return err
					}
					return m.AddAPIServerManifest("manifest", data)
				}
				for name, read := range forms {
					m := &Model{}
					if err := read(m); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if got := viewOf(t, m); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: doctor reads\n%+v\nrender wrote\n%+v", name, got, want)
					}
				}
			})
		}
	}
}
