package doctor

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// doctor is the inverse of render: on what render writes it finds no
// error, and when one setting that matters for login is changed in the
// rendered files it names that setting in an error finding.

// renderSpec renders a spec as `doctor -f` does.
func renderSpec(t *testing.T, spec string) *render.Result {
	t.Helper()
	stack, err := config.LoadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// diagnoseRendered reads rendered artifacts as doctor -f reads them.
func diagnoseRendered(t *testing.T, spec string, res *render.Result) *Report {
	t.Helper()
	stack, err := config.LoadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Now: testNow}
	if err := m.addStack(spec, stack, res); err != nil {
		t.Fatal(err)
	}
	return Diagnose(m)
}

// generatedSpecs are valid specs beyond the examples: each example with
// the other installers and app identities, so that every rendered form
// (flags, kubespray vars, kubeadm config, kind config, authentication
// config; token and headers apps) is checked.
func generatedSpecs(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	base, err := os.ReadFile("../../examples/dashboard-token/authstack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range []struct{ name, old, new string }{
		{"kubespray", "installer: authentication-config", "installer: kubespray"},
		{"kubeadm", "installer: authentication-config", "installer: kubeadm"},
		{"headers", "identity: token\n      allowedGroups", "identity: headers\n      allowedGroups"},
		{"one-replica", "replicas: 2", "replicas: 1"},
	} {
		if !strings.Contains(string(base), v.old) {
			t.Fatalf("generated spec %s: the example lacks %q", v.name, v.old)
		}
		p := filepath.Join(dir, v.name, "authstack.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(base), v.old, v.new, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// False positives: zero error findings on what render writes, for every
// example and every generated spec.
func TestRenderedStacksHaveNoErrors(t *testing.T) {
	specs, err := filepath.Glob("../../examples/*/authstack.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no example specs: %v", err)
	}
	specs = append(specs, generatedSpecs(t)...)
	for _, spec := range specs {
		t.Run(filepath.Base(filepath.Dir(spec)), func(t *testing.T) {
			r := diagnoseRendered(t, spec, renderSpec(t, spec))
			for _, f := range r.Findings {
				if f.Severity == Error {
					t.Errorf("false positive %s %s: %s %v", f.Code, f.Name, f.Message, f.Evidence)
				}
			}
		})
	}
}

// mutation changes one setting in the rendered artifacts of an example.
type mutation struct {
	example string
	// target is a rendered file ("dex/config.yaml") or an object
	// ("ConfigMap/kubernetes-dashboard/oauth2-proxy-dashboard").
	target string
	// path is a field path: a.b[0].c, ["a.key/with dots"], [=--prefix] (the
	// list element that starts with --prefix); in a ConfigMap's
	// oauth2_proxy.cfg, data["oauth2_proxy.cfg"]:key names a cfg setting.
	path string
	// value is the new value; deleted removes the setting.
	value any
	// names is what the evidence of an error finding must contain to name
	// the mutated setting; by default the last element of path.
	names string
}

const deleted = "\x00deleted"

func (mu mutation) String() string {
	return fmt.Sprintf("%s: %s %s = %v", mu.example, mu.target, mu.path, mu.value)
}

func (mu mutation) name() string {
	if mu.names != "" {
		return mu.names
	}
	p := mu.path
	if i := strings.LastIndex(p, ":"); i >= 0 && strings.Contains(p, "oauth2_proxy.cfg") {
		return p[i+1:]
	}
	segs := pathSegments(p)
	return strings.Trim(segs[len(segs)-1], `"=[]`)
}

const (
	dash    = "ConfigMap/kubernetes-dashboard/oauth2-proxy-dashboard"
	dashCfg = `data["oauth2_proxy.cfg"]:`
	dashIng = "Ingress/kubernetes-dashboard/dashboard"
	ann     = `metadata.annotations["nginx.ingress.kubernetes.io/`
)

// mutations are the settings render writes that matter for login, each
// changed to a value that breaks it (or lets someone in). Extend the list
// by adding a row.
var mutations = []mutation{
	// API server (AuthenticationConfiguration)
	{"dashboard-token", "apiserver/authentication-config.yaml", "jwt[0].issuer.url", "https://login.example.com/", "issuer.url"},
	{"dashboard-token", "apiserver/authentication-config.yaml", "jwt[0].issuer.url", "http://login.example.com", "issuer.url"},
	{"dashboard-token", "apiserver/authentication-config.yaml", "jwt[0].issuer.audiences[0]", "kubectl", "audiences"},
	{"kubeadm", "apiserver/authentication-config.yaml", "jwt[0].claimMappings.username.prefix", "dex:", "username.prefix"},
	{"dashboard-token", "apiserver/authentication-config.yaml", "jwt[0].claimMappings.groups.prefix", "dex:", "groups.prefix"},
	{"dashboard-token", "apiserver/authentication-config.yaml", "jwt[0].claimMappings.groups.claim", "roles", "groups.claim"},
	{"kind", "apiserver/authentication-config.yaml", "jwt[0].issuer.certificateAuthority", deleted, "certificateAuthority"},
	{"kind", "ConfigMap/apps/oauth2-proxy-whoami", `data["oauth2_proxy.cfg"]:provider_ca_files`, deleted, ""},
	{"kind", "kubeconfig.yaml", "users[0].user.exec.args[=--certificate-authority-data]", deleted, "certificate-authority"},
	{"kubeadm", "apiserver/authentication-config.yaml", "jwt[0].claimMappings.username.claim", "sub", "username.claim"},
	// dex
	{"dashboard-token", "dex/config.yaml", "issuer", "https://login.example.com/", ""},
	{"dashboard-token", "dex/config.yaml", "staticClients[1].id", "oauth2-proxy-dashbord", "staticClients"},
	{"dashboard-token", "dex/config.yaml", "staticClients[1].redirectURIs[0]", "https://dashboard.example.com/callback", "redirectURIs"},
	{"dashboard-token", "dex/config.yaml", "staticClients[0].trustedPeers", []any{"oauth2-proxy-headlamp"}, "trustedPeers"},
	{"dashboard-token", "dex/config.yaml", "staticClients[0].id", "kubectl", "staticClients"},
	{"dashboard-token", "dex/config.yaml", "staticClients[1].secretEnv", deleted, "secret"},
	{"dashboard-token", "dex/config.yaml", "storage.type", "memory", "storage"},
	{"dashboard-token", "dex/config.yaml", "expiry.idTokens", "10m", "idTokens"},
	// oauth2-proxy
	{"dashboard-token", dash, dashCfg + "oidc_issuer_url", "https://login.example.com/", ""},
	{"dashboard-token", dash, dashCfg + "client_id", "oauth2-proxy-dashbord", ""},
	{"dashboard-token", dash, dashCfg + "redirect_url", "https://dashboard.example.com/callback", ""},
	{"dashboard-token", dash, dashCfg + "scope", "openid profile email groups offline_access", ""},
	{"dashboard-token", dash, dashCfg + "scope", "openid profile email offline_access audience:server:client_id:kubernetes", ""},
	{"dashboard-token", dash, dashCfg + "scope", "openid profile email groups audience:server:client_id:kubernetes", ""},
	{"dashboard-token", dash, dashCfg + "scope", "openid profile email groups offline_access audience:server:client_id:kubectl", ""},
	{"dashboard-token", dash, dashCfg + "oidc_groups_claim", "roles", ""},
	{"dashboard-token", dash, dashCfg + "oidc_email_claim", "upn", ""},
	{"dashboard-token", dash, dashCfg + "allowed_groups", []any{"platform"}, ""},
	{"dashboard-token", dash, dashCfg + "cookie_secure", false, ""},
	{"dashboard-token", dash, dashCfg + "cookie_httponly", false, ""},
	{"dashboard-token", dash, dashCfg + "cookie_refresh", "2h", ""},
	{"dashboard-token", dash, dashCfg + "cookie_expire", "10m", ""},
	{"dashboard-token", dash, dashCfg + "cookie_domains", []any{"example.org"}, ""},
	{"dashboard-token", dash, dashCfg + "whitelist_domains", []any{"*.com"}, ""},
	{"dashboard-token", dash, dashCfg + "set_authorization_header", false, ""},
	{"dashboard-token", dash, dashCfg + "skip_jwt_bearer_tokens", true, ""},
	{"dashboard-token", dash, dashCfg + "email_domains", []any{"example.org"}, ""},
	{"dashboard-token", "Secret/kubernetes-dashboard/oauth2-proxy-dashboard", "data.client-secret", "not-the-secret-dex-has", "client"},
	{"dashboard-token", "Secret/kubernetes-dashboard/oauth2-proxy-dashboard", "data.cookie-secret", "too-short", "cookie"},
	{"dashboard-token", "Secret/dex/dex-env", "data.CLIENT_SECRET_OAUTH2_PROXY_DASHBOARD", "not-the-secret-the-proxy-has", "secret"},
	// ingress-nginx annotations
	{"dashboard-token", dashIng, ann + `auth-url"]`, deleted, "auth-url"},
	{"dashboard-token", dashIng, ann + `auth-url"]`, "http://oauth2-proxy-headlamp.headlamp.svc.cluster.local:4180/oauth2/auth", "auth-url"},
	{"dashboard-token", dashIng, ann + `auth-signin"]`, deleted, "auth-signin"},
	{"dashboard-token", dashIng, ann + `auth-signin"]`, "https://headlamp.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri", "auth-signin"},
	{"dashboard-token", dashIng, ann + `auth-response-headers"]`, deleted, "auth-response-headers"},
	{"dashboard-token", dashIng, ann + `proxy-buffer-size"]`, "4k", "proxy-buffer-size"},
	{"dashboard-token", dashIng, ann + `configuration-snippet"]`, "proxy_set_header Authorization $http_authorization;", "snippet"},
	// kubeconfig
	{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.args[=--oidc-issuer-url]", "--oidc-issuer-url=https://login.example.com/", "--oidc-issuer-url"},
	{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.args[=--oidc-client-id]", "--oidc-client-id=kubectl", "--oidc-client-id"},
	{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.args[=--oidc-extra-scope=groups]", deleted, "groups"},
	{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.args[=--oidc-extra-scope=email]", deleted, "email"},
	{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.apiVersion", "client.authentication.k8s.io/v1alpha1", "apiVersion"},
	// RBAC
	{"dashboard-token", "ClusterRoleBinding//authstack:platform-admins", "subjects[0].name", "example:platform", "subjects"},
	{"dashboard-token", "ClusterRoleBinding//authstack:platform-admins", "subjects[0].name", "system:authenticated", "subjects"},
	{"dashboard-token", "RoleBinding/shop/authstack:team:developer", "subjects[0].name", "platform:developer:shop", "subjects"},
	{"kind", "RoleBinding/apps/authstack:developers-edit", "subjects[0].kind", "User", "subjects"},
	// kubespray variables (API server flags)
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_url", "https://dex.example.com/", "kube_oidc_url"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_client_id", "kubectl", "kube_oidc_client_id"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_username_prefix", "dex:", "kube_oidc_username_prefix"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_groups_prefix", "dex:", "kube_oidc_groups_prefix"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_groups_claim", "roles", "kube_oidc_groups_claim"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_ca_file", deleted, "kube_oidc_ca_file"},
	{"dex-ldap-kubespray", "apiserver/kubespray-vars.yaml", "kube_oidc_auth", false, "kube_oidc_auth"},
	{"dashboard-token", "dex/config.yaml", "connectors[0].config.redirectURI", "https://login.example.com/callback/github", "redirectURI"},
}

// knownMisses are the mutations doctor does not name in an error finding,
// with the reason; docs/doctor.md lists them. A mutation that starts being
// named must leave this list, so that the report stays true.
var knownMisses = map[string]string{
	"kind: kubeconfig.yaml users[0].user.exec.args[=--certificate-authority-data] = " + deleted:                                     "a warning (AS-09): a workstation may trust the issuer's CA system-wide",
	`dashboard-token: ConfigMap/kubernetes-dashboard/oauth2-proxy-dashboard data["oauth2_proxy.cfg"]:allowed_groups = [platform]`:   "the groups the GitHub connector issues (org:team from its orgs) are not derived from its config yet",
	`dashboard-token: ConfigMap/kubernetes-dashboard/oauth2-proxy-dashboard data["oauth2_proxy.cfg"]:email_domains = [example.org]`: "the users' email domains are known only for dex static users",
	`dashboard-token: ConfigMap/kubernetes-dashboard/oauth2-proxy-dashboard data["oauth2_proxy.cfg"]:skip_jwt_bearer_tokens = true`: "a warning (AS-58): bearer tokens of the proxy's own client only, allowed_groups still apply",
}

// Every mutation not in knownMisses is named by an error finding; the
// score is the one docs/doctor.md reports.
func TestMutationsAreNamed(t *testing.T) {
	rendered := map[string]*render.Result{}
	caught, missed := 0, map[string]bool{}
	for _, mu := range mutations {
		spec := filepath.Join("../../examples", mu.example, "authstack.yaml")
		if rendered[mu.example] == nil {
			rendered[mu.example] = renderSpec(t, spec)
		}
		res := copyResult(rendered[mu.example])
		if err := mu.apply(res); err != nil {
			t.Fatalf("%s: %v", mu, err)
		}
		r := diagnoseRendered(t, spec, res)
		if named(r, mu.name()) {
			caught++
			if _, ok := knownMisses[mu.String()]; ok {
				t.Errorf("%s is now named: remove it from knownMisses and docs", mu)
			}
			continue
		}
		missed[mu.String()] = true
		if _, ok := knownMisses[mu.String()]; ok {
			continue
		}
		var got []string
		for _, f := range r.Findings {
			if f.Severity == Error {
				got = append(got, f.Code+" "+strings.Join(f.Evidence, "; "))
			}
		}
		t.Errorf("not named: %s (errors: %v)", mu, got)
	}
	for m := range knownMisses {
		if !missed[m] {
			t.Errorf("knownMisses has %q, which is no mutation that is missed", m)
		}
	}
	t.Logf("mutation score: %d/%d named", caught, len(mutations))
	if got := fmt.Sprintf("%d/%d named (%d%%)", caught, len(mutations), 100*caught/len(mutations)); got != MutationScore {
		t.Errorf("mutation score %s, docs/doctor.md says %s: update MutationScore in docs.go", got, MutationScore)
	}
}

// named reports an error finding whose evidence names the setting.
func named(r *Report, setting string) bool {
	for _, f := range r.Findings {
		if f.Severity != Error {
			continue
		}
		for _, e := range f.Evidence {
			if strings.Contains(e, setting) {
				return true
			}
		}
	}
	return false
}

func copyResult(res *render.Result) *render.Result {
	out := &render.Result{}
	for _, f := range res.Files {
		f.Data = append([]byte(nil), f.Data...)
		out.Files = append(out.Files, f)
	}
	for _, o := range res.Objects {
		out.Objects = append(out.Objects, render.Object{File: o.File, Object: o.Object.DeepCopy()})
	}
	return out
}

func (mu mutation) apply(res *render.Result) error {
	if strings.Contains(mu.target, "/") && !strings.Contains(mu.target, ".") {
		parts := strings.SplitN(mu.target, "/", 3)
		for _, o := range res.Objects {
			if o.Object.GetKind() == parts[0] && o.Object.GetNamespace() == parts[1] && o.Object.GetName() == parts[2] {
				return mu.applyObject(o.Object)
			}
		}
		return fmt.Errorf("no object %s", mu.target)
	}
	for i, f := range res.Files {
		if f.Path != mu.target {
			continue
		}
		var doc any
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			return err
		}
		doc, err := setPath(doc, pathSegments(mu.path), mu.value)
		if err != nil {
			return err
		}
		if res.Files[i].Data, err = yaml.Marshal(doc); err != nil {
			return err
		}
		return nil
	}
	return fmt.Errorf("no rendered file %s", mu.target)
}

func (mu mutation) applyObject(u *unstructured.Unstructured) error {
	if field, key, ok := strings.Cut(mu.path, ":"); ok && strings.Contains(field, "oauth2_proxy.cfg") {
		data := u.Object["data"].(map[string]any)
		data["oauth2_proxy.cfg"] = setCfg(data["oauth2_proxy.cfg"].(string), key, mu.value)
		return nil
	}
	value := mu.value
	if u.GetKind() == "Secret" {
		value = base64.StdEncoding.EncodeToString([]byte(value.(string)))
	}
	_, err := setPath(u.Object, pathSegments(mu.path), value)
	return err
}

// setCfg sets (or removes) one key = value line of an oauth2_proxy.cfg.
func setCfg(cfg, key string, value any) string {
	line := ""
	switch v := value.(type) {
	case string:
		if v != deleted {
			line = fmt.Sprintf("%s = %q", key, v)
		}
	case bool:
		line = fmt.Sprintf("%s = %t", key, v)
	case []any:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = strconv.Quote(fmt.Sprint(s))
		}
		line = fmt.Sprintf("%s = [%s]", key, strings.Join(q, ", "))
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*$`)
	if re.MatchString(cfg) {
		return re.ReplaceAllLiteralString(cfg, line)
	}
	return cfg + line + "\n"
}

var segment = regexp.MustCompile(`\["([^"]+)"\]|\[=([^\]]+)\]|\[(\d+)\]|([^.\[]+)`)

func pathSegments(p string) []string {
	var out []string
	for _, m := range segment.FindAllStringSubmatch(p, -1) {
		switch {
		case m[1] != "":
			out = append(out, `"`+m[1])
		case m[2] != "":
			out = append(out, "="+m[2])
		case m[3] != "":
			out = append(out, "["+m[3])
		default:
			out = append(out, m[4])
		}
	}
	return out
}

// setPath sets the value at path in a decoded YAML document, or deletes it.
func setPath(doc any, path []string, value any) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	seg := path[0]
	switch {
	case strings.HasPrefix(seg, "[") || strings.HasPrefix(seg, "="):
		list, ok := doc.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: not a list", seg)
		}
		i := -1
		if strings.HasPrefix(seg, "[") {
			i, _ = strconv.Atoi(seg[1:])
		} else {
			for j, e := range list {
				if strings.HasPrefix(fmt.Sprint(e), seg[1:]) {
					i = j
				}
			}
		}
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("%s: no such element", seg)
		}
		if len(path) == 1 && value == deleted {
			return append(list[:i:i], list[i+1:]...), nil
		}
		v, err := setPath(list[i], path[1:], value)
		list[i] = v
		return list, err
	default:
		key := strings.TrimPrefix(seg, `"`)
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: not a mapping", key)
		}
		if len(path) == 1 && value == deleted {
			if _, ok := obj[key]; !ok {
				return nil, fmt.Errorf("%s: not set", key)
			}
			delete(obj, key)
			return obj, nil
		}
		cur, ok := obj[key]
		if !ok && len(path) > 1 {
			return nil, fmt.Errorf("%s: not set", key)
		}
		v, err := setPath(cur, path[1:], value)
		obj[key] = v
		return obj, err
	}
}

// Settings that differ from what render writes but work in the real
// programs give no error: the new checks follow the programs, not render.
func TestWorkingVariantsOfRenderedSettings(t *testing.T) {
	for _, mu := range []mutation{
		// RFC 6265: a parent domain covers the host; oauth2-proxy trims the dot.
		{"dashboard-token", dash, dashCfg + "cookie_domains", []any{".example.com"}, ""},
		// auth-url through the app's public host reaches the same oauth2-proxy.
		{"dashboard-token", dashIng, ann + `auth-url"]`, "https://dashboard.example.com/oauth2/auth", ""},
		// auth-signin on $host is the Ingress's own host.
		{"dashboard-token", dashIng, ann + `auth-signin"]`, "https://$host/oauth2/start?rd=$escaped_request_uri", ""},
		// a buffer of 8k is below the estimate (a warning), not a sure failure
		{"dashboard-token", dashIng, ann + `proxy-buffer-size"]`, "8k", ""},
		// kubelogin asking for profile too when usernames come from email
		{"dashboard-token", "kubeconfig.yaml", "users[0].user.exec.args[=--oidc-extra-scope=profile]", "--oidc-extra-scope=profile", ""},
	} {
		spec := filepath.Join("../../examples", mu.example, "authstack.yaml")
		res := renderSpec(t, spec)
		if err := mu.apply(res); err != nil {
			t.Fatalf("%s: %v", mu, err)
		}
		for _, f := range diagnoseRendered(t, spec, res).Findings {
			if f.Severity == Error {
				t.Errorf("%s: %s %s: %s", mu, f.Code, f.Name, f.Message)
			}
		}
	}
}
