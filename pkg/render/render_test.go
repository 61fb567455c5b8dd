package render

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/secrets"
)

// examples are rendered with fixed secrets and compared with golden files.
var examples = []string{"dashboard-token", "dex-ldap-kubespray", "gateway-api", "kind", "kubeadm", "managed-multicluster", "prometheus-headers", "shared-signin", "traefik"}

func exampleEnv(t testing.TB) {
	t.Setenv("LDAP_BIND_PASSWORD", "example-bind-password")
	t.Setenv("GITHUB_CLIENT_SECRET", "example-github-secret")
	t.Setenv("KEYCLOAK_CLIENT_SECRET", "example-keycloak-secret")
}

func load(t testing.TB, name string) *config.Stack {
	t.Helper()
	s, err := config.LoadFile(filepath.Join("..", "..", "examples", name, "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// renderExample renders the example name with fixed secrets.
func renderExample(t testing.TB, name string) *Result {
	t.Helper()
	res, err := Render(load(t, name), Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// podTemplate is PodTemplate for a test: nil for an object that runs no pod.
func podTemplate(t testing.TB, u *unstructured.Unstructured) *corev1.PodTemplateSpec {
	t.Helper()
	tpl, err := PodTemplate(u)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestExamplesMatchGolden(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			res := renderExample(t, name)
			out, err := res.Stream()
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("..", "..", "testdata", "render", name+".yaml"), out)
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		var first []byte
		// Maps are iterated in random order; many runs would expose any
		// output that depends on it.
		for i := 0; i < 20; i++ {
			res := renderExample(t, name)
			out, err := res.Stream()
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = out
				continue
			}
			if !bytes.Equal(first, out) {
				t.Fatalf("%s: render %d differs from render 0", name, i)
			}
		}
	}
}

// markedSecrets hands out values that are easy to find in the output.
type markedSecrets struct {
	values      []string
	checksumKey string
}

func (m *markedSecrets) Generated(name string, _ int) (string, error) {
	v := "GENERATED-SECRET-" + strings.ReplaceAll(name, "/", "-")
	// The checksum key is only ever used by authstack itself, never by the
	// stack, so it must appear nowhere at all.
	if name != checksumKeyName {
		m.values = append(m.values, v)
	} else {
		m.checksumKey = v
	}
	return v, nil
}

func (m *markedSecrets) Provided(ref *v1alpha1.SecretRef) (string, error) {
	v := "PROVIDED-SECRET-" + ref.Env + ref.File
	m.values = append(m.values, v)
	return v, nil
}

func TestSecretValuesOnlyInSecretObjects(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			src := &markedSecrets{}
			res, err := Render(load(t, name), Options{Secrets: src})
			if err != nil {
				t.Fatal(err)
			}
			if len(src.values) == 0 {
				t.Fatal("the example uses no secret; the test would prove nothing")
			}
			found := map[string]bool{}
			for _, o := range res.Objects {
				data, err := yaml.Marshal(o.Object.Object)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range src.values {
					in := bytes.Contains(data, []byte(v)) || bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString([]byte(v))))
					if in && o.Object.GetKind() != "Secret" {
						t.Errorf("secret %s appears in %s %s", v, o.Object.GetKind(), o.Object.GetName())
					}
					found[v] = found[v] || in
				}
			}
			for _, f := range res.Files {
				for _, v := range src.values {
					if bytes.Contains(f.Data, []byte(v)) {
						t.Errorf("secret %s appears in %s", v, f.Path)
					}
				}
			}
			for _, v := range src.values {
				if !found[v] {
					t.Errorf("secret %s is in no Secret: the stack could not use it", v)
				}
			}
		})
	}
}

func TestRenderRejectsInvalidCELRule(t *testing.T) {
	exampleEnv(t)
	s := load(t, "prometheus-headers")
	s.Spec.APIServer.ClaimValidationRules = append(s.Spec.APIServer.ClaimValidationRules, v1alpha1.CELRule{Expression: "claims.exp +"})
	_, err := Render(s, Options{Secrets: secrets.Fixed{}})
	if err == nil || !strings.Contains(err.Error(), "authentication configuration is invalid") {
		t.Fatalf("err = %v, want the API server's validation error", err)
	}
}

func TestManifestObjectsAreAppliedNamespacesFirst(t *testing.T) {
	exampleEnv(t)
	res, err := Render(load(t, "dex-ldap-kubespray"), Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	seenOther := false
	for _, o := range res.Objects {
		if ApplyPhase(o.Object) == 0 && seenOther {
			t.Fatalf("%s %s comes after objects that may live in it", o.Object.GetKind(), o.Object.GetName())
		}
		seenOther = seenOther || ApplyPhase(o.Object) == 1
	}
}

// Variants cover the installer outputs that no example produces.
func TestVariantsMatchGolden(t *testing.T) {
	exampleEnv(t)
	variants := []struct {
		name    string
		example string
		edit    func(s *v1alpha1.Spec)
		files   []string
	}{
		{
			name: "kubespray-structured-auth", example: "dex-ldap-kubespray",
			edit: func(s *v1alpha1.Spec) {
				s.Cluster.KubernetesVersion = "1.34"
				s.APIServer.Mode = v1alpha1.ModeAuthConfig
			},
			files: []string{"apiserver/kubespray-vars.yaml", "apiserver/authentication-config.yaml"},
		},
		{
			name: "kubeadm-v1beta3-flags", example: "kubeadm",
			edit: func(s *v1alpha1.Spec) {
				s.Cluster.KubernetesVersion = "1.29"
				s.APIServer.Mode = v1alpha1.ModeFlags
				// one claim: kube-apiserver reads one key=value per --oidc-required-claim
				s.APIServer.RequiredClaims = map[string]string{"hd": "example.com"}
			},
			files: []string{"apiserver/kubeadm-patch.yaml", "apiserver/flags.txt"},
		},
		{
			name: "authconfig-v1beta1", example: "prometheus-headers",
			edit: func(s *v1alpha1.Spec) {
				s.Cluster.KubernetesVersion = "1.31"
				s.APIServer.Audiences = []string{"kubernetes", "grafana"}
			},
			files: []string{"apiserver/authentication-config.yaml"},
		},
		{
			// An issuer other than dex issues the forwarded id token for
			// the proxy's own client: no cross-client scope, and the API
			// server accepts that client too (MatchAny).
			name: "external-token-app", example: "prometheus-headers",
			edit: func(s *v1alpha1.Spec) {
				s.Apps[1].Identity = v1alpha1.IdentityToken
				s.Apps[1].UserHeaderClaim = "" // the headers default, refused on a token app
				s.APIServer.Audiences = nil
				a := &v1alpha1.AuthStack{Spec: *s}
				v1alpha1.SetDefaults(a)
				*s = a.Spec
			},
			files: []string{"apiserver/authentication-config.yaml", "manifests/oauth2-proxy-grafana.yaml"},
		},
		{
			name: "kind-flags-with-ca", example: "kind",
			edit:  func(s *v1alpha1.Spec) { s.APIServer.Mode = v1alpha1.ModeFlags },
			files: []string{"apiserver/kind-cluster.yaml", "apiserver/flags.txt"},
		},
		{
			name: "confidential-kubectl-cert-manager", example: "dashboard-token",
			edit: func(s *v1alpha1.Spec) {
				f := false
				s.Kubectl.Public = &f
				s.Issuer.Dex.TLS.CertManager.Kind = "Issuer"
			},
			files: []string{"kubeconfig.yaml", "dex/config.yaml", "manifests/dex.yaml"},
		},
	}
	variants = append(variants, struct {
		name    string
		example string
		edit    func(s *v1alpha1.Spec)
		files   []string
	}{
		// Headlamp logs in itself: no oauth2-proxy, its own dex client with
		// the /oidc-callback redirect, a trusted peer of kubectl, the client
		// in a Secret and the chart values pointing at that Secret.
		name: "headlamp-oidc", example: "dashboard-token",
		edit: func(s *v1alpha1.Spec) {
			a := &s.Apps[1]
			a.Identity, a.Kind, a.ClientID = v1alpha1.IdentityOIDC, v1alpha1.AppKindHeadlamp, "headlamp"
		},
		files: []string{"apps/headlamp/headlamp-values.yaml", "dex/config.yaml", "manifests/app-headlamp.yaml", "manifests/secrets.yaml"},
	})
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			s := load(t, v.example)
			v.edit(&s.Spec)
			if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
				t.Fatal(errs.ToAggregate())
			}
			res, err := Render(s, Options{Secrets: secrets.Fixed{}})
			if err != nil {
				t.Fatal(err)
			}
			all, err := res.AllFiles()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			for _, want := range v.files {
				found := false
				for _, f := range all {
					if f.Path == want {
						fmt.Fprintf(&out, "# %s\n%s", f.Path, f.Data)
						found = true
					}
				}
				if !found {
					t.Errorf("no %s rendered", want)
				}
			}
			golden.Assert(t, filepath.Join("..", "..", "testdata", "render", "variants", v.name+".yaml"), out.Bytes())
		})
	}
}

// An app Ingress names its class itself: left to the cluster's default
// class, a controller other than ingress-nginx would ignore the auth
// annotations and serve the app without a login.
func TestAuthIngressesNameIngressNginx(t *testing.T) {
	exampleEnv(t)
	checked := 0
	for _, name := range examples {
		res := renderExample(t, name)
		for _, o := range res.Objects {
			u := o.Object
			if u.GetKind() != "Ingress" || u.GetAnnotations()["nginx.ingress.kubernetes.io/auth-url"] == "" {
				continue
			}
			checked++
			class, _, _ := unstructured.NestedString(u.Object, "spec", "ingressClassName")
			if class != v1alpha1.DefaultIngressClass {
				t.Errorf("%s: Ingress %s/%s has class %q, want %q", name, u.GetNamespace(), u.GetName(), class, v1alpha1.DefaultIngressClass)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Ingress with auth annotations rendered")
	}
}

// The config checksums in the manifests (meant for Git) are keyed: with the
// same config and secrets but another key they differ, so the repository
// alone is not enough to test guesses for a secret against them; the key
// itself appears in no output.
func TestConfigChecksumsNeedTheGeneratedKey(t *testing.T) {
	exampleEnv(t)
	sums := func(src secrets.Source) map[string]string {
		res, err := Render(load(t, "dex-ldap-kubespray"), Options{Secrets: src})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range res.Objects {
			if o.Object.GetKind() != "Deployment" {
				continue
			}
			v, _, _ := unstructured.NestedString(o.Object.Object, "spec", "template", "metadata", "annotations", "authstack.dev/config-checksum")
			if v == "" {
				t.Fatalf("Deployment %s has no config checksum", o.Object.GetName())
			}
			out[o.Object.GetName()] = v
		}
		return out
	}
	a := &markedSecrets{}
	first := sums(a)
	if a.checksumKey == "" {
		t.Fatal("no checksum key was asked for")
	}
	second := sums(otherKey{a})
	for name, v := range first {
		if second[name] == v {
			t.Errorf("Deployment %s: the checksum does not depend on the key", name)
		}
	}
	res, err := Render(load(t, "dex-ldap-kubespray"), Options{Secrets: &markedSecrets{}})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := res.Stream()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stream, []byte(a.checksumKey)) || bytes.Contains(stream, []byte(base64.StdEncoding.EncodeToString([]byte(a.checksumKey)))) {
		t.Error("the checksum key is in the output")
	}
}

// otherKey is markedSecrets with another checksum key.
type otherKey struct{ *markedSecrets }

func (o otherKey) Generated(name string, size int) (string, error) {
	if name == checksumKeyName {
		return "another-key", nil
	}
	return o.markedSecrets.Generated(name, size)
}
