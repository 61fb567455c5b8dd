package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// roundTrip imports a hand-made setup, writes the spec and its secrets,
// renders the spec with those secrets, and reads the rendered artifacts
// back with doctor.Load: the model of the original and of the rendered
// setup are what the tests compare.
func roundTrip(t *testing.T, in doctor.Inputs, opts Options) (orig, rendered *doctor.Model, res *Result, dir string) {
	t.Helper()
	orig, err := doctor.Load(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Import(orig, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	spec := filepath.Join(dir, "authstack.yaml")
	if _, err := Write(res, WriteOptions{SpecPath: spec}); err != nil {
		t.Fatal(err)
	}
	stack, err := config.LoadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	store := &secrets.FileStore{Path: filepath.Join(dir, "authstack.secrets.yaml"), Dir: dir}
	out, err := render.Render(stack, render.Options{Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	if _, err := out.WriteDir(outDir, render.FormatYAML); err != nil {
		t.Fatal(err)
	}
	back := doctor.Inputs{Now: in.Now}
	p := func(rel string) string { return filepath.Join(outDir, rel) }
	switch {
	case exists(p("apiserver/kubespray-vars.yaml")):
		back.KubesprayVars = p("apiserver/kubespray-vars.yaml")
	case exists(p("apiserver/authentication-config.yaml")):
		back.AuthenticationConfig = p("apiserver/authentication-config.yaml")
	case exists(p("apiserver/kubeadm-patch.yaml")):
		back.KubeadmConfig = p("apiserver/kubeadm-patch.yaml")
	default:
		t.Fatalf("no API server file rendered")
	}
	// One stream, as kubectl apply -f out/manifests reads it: the proxies'
	// Secrets are in secrets.yaml, their ConfigMaps beside their Deployments.
	manifests, _ := filepath.Glob(p("manifests/*.yaml"))
	var stream []byte
	for _, f := range manifests {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(append(stream, "\n---\n"...), data...)
	}
	all := filepath.Join(dir, "rendered-manifests.yaml")
	if err := os.WriteFile(all, stream, 0o600); err != nil {
		t.Fatal(err)
	}
	back.Manifests = []string{all}
	rendered, err = doctor.Load(back)
	if err != nil {
		t.Fatal(err)
	}
	return orig, rendered, res, dir
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// effective is what decides who logs in where, read from a model.
type effective struct {
	Issuer                                             string
	Audiences                                          []string
	UsernameClaim, UsernamePrefix, GroupsClaim, Groups string
	// Clients: id -> public, redirect URIs, secret.
	Clients map[string]string
	// Connectors: id -> type and config without secrets and redirectURI.
	Connectors map[string]string
	// Proxies: client id -> issuer, redirect URL, scopes, groups, secrets.
	Proxies map[string]string
	// Ingresses: host -> upstream and auth annotations, normalized.
	Ingresses map[string]string
	// Bindings: kind, namespace, role and subjects; names are not compared.
	Bindings []string
}

// effectiveOf reads the settings of m; added are redirect URIs that the
// import reported it adds, left out of the comparison.
func effectiveOf(t *testing.T, m *doctor.Model, clients []string, added ...string) effective {
	t.Helper()
	var e effective
	var j *doctor.JWTAuth
	for _, a := range m.APIServers {
		if len(a.JWT) > 0 {
			j = a.JWT[0]
			break
		}
	}
	if j == nil {
		t.Fatal("no API server view")
	}
	e.Issuer, e.Audiences = j.Issuer, j.Audiences
	e.UsernameClaim, e.UsernamePrefix, e.GroupsClaim, e.Groups = j.UsernameClaim, j.UsernamePref, j.GroupsClaim, j.GroupsPref
	e.Clients = map[string]string{}
	e.Connectors = map[string]string{}
	if m.Dex != nil {
		if m.Dex.Issuer != e.Issuer {
			t.Errorf("dex issuer %q, API server %q", m.Dex.Issuer, e.Issuer)
		}
		for _, id := range clients {
			c := m.Dex.Client(id)
			if c == nil {
				e.Clients[id] = "missing"
				continue
			}
			var r []string
			for _, u := range c.RedirectURIs {
				if !contains(added, u) {
					r = append(r, u)
				}
			}
			sort.Strings(r)
			e.Clients[id] = fmt.Sprintf("public=%v redirect=%v secretKnown=%v secret=%q", c.Public, r, c.SecretKnown, c.Secret)
		}
		for _, c := range m.Dex.Connectors {
			cfg := map[string]any{}
			for k, v := range c.Config {
				switch k {
				case "bindPW", "clientSecret", "redirectURI", "rootCAData":
				default:
					cfg[k] = v
				}
			}
			e.Connectors[c.ID] = fmt.Sprintf("%s %v", c.Type, cfg)
		}
	}
	e.Proxies = map[string]string{}
	for _, p := range m.Proxies {
		s := append([]string{}, p.Scopes...)
		sort.Strings(s)
		e.Proxies[p.ClientID] = fmt.Sprintf("issuer=%s redirect=%s scopes=%v groupsClaim=%s allowed=%v domains=%v authz=%v secret=%q/%v cookie=%q/%v",
			p.Issuer, p.RedirectURL, s, p.GroupsClaim, p.AllowedGroups, p.EmailDomains, p.SetAuthz, p.ClientSecret, p.SecretKnown, p.CookieSecret, p.CookieKnown)
	}
	e.Ingresses = map[string]string{}
	for _, ing := range m.Ingresses {
		a, err := ing.Auth()
		if err != nil {
			t.Errorf("Ingress %s/%s: %v", ing.Namespace, ing.Name, err)
		}
		if !a.Guarded() {
			continue
		}
		for _, path := range ing.Paths {
			host := path.Host
			// ingress-nginx expands $host in auth-signin to the request's
			// host; the query names where to go back, in either spelling.
			signin := strings.SplitN(strings.ReplaceAll(a.Signin, "$host", host), "?", 2)[0]
			authPath := a.URL[strings.LastIndex(a.URL, "/oauth2/"):]
			e.Ingresses[host] = fmt.Sprintf("ns=%s backend=%s:%d tls=%s signin=%s auth=%s headers=%s protocol=%s",
				ing.Namespace, path.Service, path.Port, ing.TLSSecrets[host], signin, authPath, strings.Join(a.ResponseHeaders, ","), a.BackendProtocol)
		}
	}
	if m.RBAC != nil {
		for _, b := range m.RBAC.Bindings {
			for _, s := range b.Subjects {
				if s.Kind == "ServiceAccount" || strings.HasPrefix(s.Name, "system:") {
					continue
				}
				e.Bindings = append(e.Bindings, fmt.Sprintf("%s %s %s/%s %s %s", b.Kind, b.Namespace, b.RoleRef.Kind, b.RoleRef.Name, s.Kind, s.Name))
			}
		}
		sort.Strings(e.Bindings)
	}
	return e
}

func compareEffective(t *testing.T, orig, rendered effective) {
	t.Helper()
	ov, rv := reflect.ValueOf(orig), reflect.ValueOf(rendered)
	for i := 0; i < ov.NumField(); i++ {
		name := ov.Type().Field(i).Name
		if !reflect.DeepEqual(ov.Field(i).Interface(), rv.Field(i).Interface()) {
			t.Errorf("%s differs after import and render:\n original: %v\n rendered: %v", name, ov.Field(i).Interface(), rv.Field(i).Interface())
		}
	}
}

func gapFields(res *Result) []string {
	var out []string
	for _, g := range res.Gaps {
		out = append(out, g.Source+" | "+g.Field)
	}
	return out
}

func hasGap(t *testing.T, res *Result, source, field string) {
	t.Helper()
	for _, g := range res.Gaps {
		if strings.Contains(g.Source, source) && g.Field == field {
			return
		}
	}
	t.Errorf("no report of %s %s; reported:\n%s", source, field, strings.Join(gapFields(res), "\n"))
}

func TestRoundTripDashboard(t *testing.T) {
	dir := filepath.Join("testdata", "dashboard")
	in := doctor.Inputs{
		DexConfig:         filepath.Join(dir, "dex-config.yaml"),
		APIServerManifest: filepath.Join(dir, "kube-apiserver.yaml"),
		Manifests:         []string{filepath.Join(dir, "manifests.yaml")},
		RBAC:              []string{filepath.Join(dir, "rbac.yaml")},
	}
	// As the report says: the spec takes the GitHub secret from the
	// variable dex read it from.
	t.Setenv("GITHUB_CLIENT_SECRET", "made-up")
	orig, rendered, res, out := roundTrip(t, in, Options{ClusterName: "platform", KubernetesVersion: "1.29"})
	clients := []string{"kubernetes", "oauth2-proxy"}
	compareEffective(t, effectiveOf(t, orig, clients), effectiveOf(t, rendered, clients))

	s := res.Spec.Spec
	if s.Cluster.Installer != v1alpha1.InstallerKubeadm || s.APIServer.Mode != v1alpha1.ModeFlags {
		t.Errorf("installer %q mode %q, want kubeadm and flags (a static Pod with --oidc-* flags)", s.Cluster.Installer, s.APIServer.Mode)
	}
	if len(s.Apps) != 1 || s.Apps[0].Name != "kubernetes-dashboard" || s.Apps[0].Identity != v1alpha1.IdentityToken {
		t.Errorf("apps = %+v, want one token app kubernetes-dashboard", s.Apps)
	}
	// The GitHub secret stays in dex's environment variable: a reference.
	if c := s.Issuer.Dex.Connectors[0].GitHub; c == nil || c.ClientSecret == nil || c.ClientSecret.Env != "GITHUB_CLIENT_SECRET" {
		t.Errorf("github clientSecret = %+v, want a reference to $GITHUB_CLIENT_SECRET", c)
	}
	// Nothing secret in the spec.
	spec, err := os.ReadFile(filepath.Join(out, "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"ZGFzaGJvYXJkLWNsaWVudC1zZWNyZXQtbWFkZS11cA", "bWFkZS11cC1jb29raWUtc2VjcmV0LTMyYnl0ZXMhIQ=="} {
		if strings.Contains(string(spec), secret) {
			t.Errorf("the spec holds a secret:\n%s", spec)
		}
	}
	// What the spec cannot say is reported by file and field.
	hasGap(t, res, "kube-apiserver.yaml", "prefix")
	// The ConfigMap is mounted by the Deployment, which is read as one proxy.
	hasGap(t, res, "Deployment kubernetes-dashboard/oauth2-proxy", "cookie_refresh")
	hasGap(t, res, "Deployment kubernetes-dashboard/oauth2-proxy", "skip_provider_button")
	hasGap(t, res, "Ingress kubernetes-dashboard/kubernetes-dashboard", "backend.service")
	// The original proxy's /oauth2 route must go once the rendered one runs.
	hasGap(t, res, "Ingress kubernetes-dashboard/oauth2-proxy", "rules.http.paths.path")
}

func TestRoundTripLDAPKubespray(t *testing.T) {
	dir := filepath.Join("testdata", "ldap-kubespray")
	in := doctor.Inputs{
		DexConfig:     filepath.Join(dir, "dex-config.yaml"),
		KubesprayVars: filepath.Join(dir, "k8s-cluster.yml"),
		RBAC:          []string{filepath.Join(dir, "rbac.yaml")},
	}
	orig, rendered, res, out := roundTrip(t, in, Options{ClusterName: "prod"})
	clients := []string{"kubernetes"}
	// kubelogin's second port is rendered too, and reported.
	compareEffective(t, effectiveOf(t, orig, clients), effectiveOf(t, rendered, clients, "http://localhost:18000"))

	s := res.Spec.Spec
	if s.Cluster.Installer != v1alpha1.InstallerKubespray || s.Cluster.KubernetesVersion != "1.30" || s.APIServer.Mode != v1alpha1.ModeFlags {
		t.Errorf("cluster %+v mode %q, want kubespray 1.30 (from kube_version) in flags mode (kube_oidc_*)", s.Cluster, s.APIServer.Mode)
	}
	// The bind password written into dex's config goes to a private file
	// that the spec references, never into the spec.
	l := s.Issuer.Dex.Connectors[0].LDAP
	if l == nil || l.BindPassword == nil || l.BindPassword.File == "" {
		t.Fatalf("ldap bindPassword = %+v, want a file reference", l)
	}
	fi, err := os.Stat(filepath.Join(out, l.BindPassword.File))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("bind password file: %v, mode %v; want 0600", err, fi)
	}
	spec, _ := os.ReadFile(filepath.Join(out, "authstack.yaml"))
	if strings.Contains(string(spec), "bindPW") || strings.Contains(string(spec), "a3ViZWN0bC1zZWNyZXQtbWFkZS11cA") {
		t.Errorf("the spec holds a secret:\n%s", spec)
	}
	hasGap(t, res, "dex-config.yaml: staticClients[0]", "redirectURIs")
	hasGap(t, res, "dex-config.yaml", "web.https")
}

// A shared sign-in host becomes spec.auth.host with one app per app
// Ingress, each keeping the groups its auth-url asks for; rendered back,
// the proxy, the clients and what each Ingress asks are the same.
func TestRoundTripSharedSignin(t *testing.T) {
	dir := filepath.Join("testdata", "shared-signin")
	in := doctor.Inputs{
		DexConfig:         filepath.Join(dir, "dex-config.yaml"),
		APIServerManifest: filepath.Join(dir, "kube-apiserver.yaml"),
		Manifests:         []string{filepath.Join(dir, "manifests.yaml")},
	}
	t.Setenv("GITHUB_CLIENT_SECRET", "made-up")
	orig, rendered, res, _ := roundTrip(t, in, Options{ClusterName: "platform", KubernetesVersion: "1.29"})
	clients := []string{"kubernetes", "oauth2-proxy"}
	o, r := effectiveOf(t, orig, clients), effectiveOf(t, rendered, clients)
	// The rendered Ingresses pass every identity header, the original two:
	// more headers, the same answer to who gets in.
	for _, e := range []*effective{&o, &r} {
		for h, v := range e.Ingresses {
			i := strings.Index(v, " headers=")
			j := strings.Index(v, " protocol=")
			e.Ingresses[h] = v[:i] + v[j:]
		}
	}
	compareEffective(t, o, r)

	s := res.Spec.Spec
	if s.Auth.Host != "oauthproxy.example.com" || s.Auth.CookieDomain != ".example.com" || s.Auth.Namespace != "sso" || s.Auth.TLSSecretName != "oauthproxy-tls" {
		t.Errorf("auth = %+v, want host oauthproxy.example.com, cookie domain .example.com, namespace sso, TLS oauthproxy-tls", s.Auth)
	}
	got := map[string]string{}
	for _, a := range s.Apps {
		got[a.Host] = fmt.Sprintf("%s %s %v", a.Namespace, a.Identity, a.AllowedGroups)
	}
	want := map[string]string{"grafana.example.com": "monitoring headers []", "prometheus.example.com": "monitoring headers [sre]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apps = %v, want %v", got, want)
	}
	if len(res.Generated) == 0 || res.Generated["cookie-secret/oauth2-proxy"] == "" {
		t.Errorf("the shared proxy's cookie secret is not kept: %v", sortedKeys(res.Generated))
	}
	hasGap(t, res, "Ingress sso/oauth2-proxy", "rules.http.paths.path")
	for _, g := range res.Gaps {
		if g.Field == "cookie_domains" {
			t.Errorf("cookie_domains reported as not carried: %s", g)
		}
	}
}
