package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	yamlv3 "gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/render"
)

// Inputs names the artifacts to read; every one is optional.
type Inputs struct {
	AuthenticationConfig string
	APIServerManifest    string
	KubesprayVars        string
	KubeadmConfig        string
	DexConfig            string
	OAuth2ProxyConfigs   []string
	Ingress              []string
	RBAC                 []string
	// Manifests are other Kubernetes objects: the dex Deployment and its
	// dex-config/dex-env Secrets, oauth2-proxy ConfigMaps and Secrets.
	Manifests  []string
	Kubeconfig string
	// Spec is an authstack.yaml; its rendered outputs are read as if they
	// were the user's files.
	Spec string
	// Token is a file with a raw JWT or an ExecCredential, or "-" for Stdin.
	Token string
	Stdin io.Reader
	JWKS  string
	Now   time.Time
}

// InputError is an artifact that cannot be read or parsed; the CLI exits 2.
type InputError struct {
	File string
	Err  error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(file string, format string, args ...any) error {
	return &InputError{File: file, Err: fmt.Errorf(format, args...)}
}

// Load reads every artifact named in in into a Model. An artifact that
// cannot be read or used (missing, a directory, too big, not UTF-8, not
// valid YAML, not the kind of file its flag takes) becomes an AS-00 finding
// naming the file, the line when known and the likely cause, and the other
// artifacts are still read: a broken file is what users run doctor for.
func Load(in Inputs) (*Model, error) {
	m := &Model{Now: in.Now}
	if m.Now.IsZero() {
		m.Now = time.Now().UTC()
	}
	proxyFiles := map[string][]byte{}
	for _, l := range m.loaders(in) {
		if l.path != "" {
			if l.proxyFile {
				fn := l.fn
				l.fn = func(s string, d []byte) error { proxyFiles[s] = d; return fn(s, d) }
			}
			m.load(l)
		}
	}
	m.pairAlphaConfigs(in.OAuth2ProxyConfigs, proxyFiles)
	if in.Spec != "" {
		m.load(loader{path: in.Spec, what: "an authstack spec (-f)", fn: func(path string, _ []byte) error { return m.AddSpec(path) }})
	}
	if in.Token != "" {
		m.loadToken(in)
	}
	return m, nil
}

// loader is one artifact to read: what its flag takes, the function that
// adds it to the model, and how much evidence of its kind the model holds,
// so that a file which adds nothing (a Secret given as --dex-config, an
// empty file) is reported instead of passing unchecked.
type loader struct {
	path string
	what string
	fn   func(string, []byte) error
	// count is the evidence of the loader's kind in the model; nil when the
	// loader's own errors already catch a file of another kind.
	count func() int
	// catchAll is a flag that takes objects of many kinds (--manifests).
	catchAll bool
	// proxyFile is an --oauth2-proxy-config file, which may be paired
	// with another one (pairAlphaConfigs).
	proxyFile bool
}

func (m *Model) loaders(in Inputs) []loader {
	jwts := func() int { return len(m.APIServers) }
	ls := []loader{
		{path: in.AuthenticationConfig, what: "an AuthenticationConfiguration (--authentication-config)", fn: m.AddAuthenticationConfig, count: jwts},
		{path: in.APIServerManifest, what: "a kube-apiserver static Pod manifest (--apiserver-manifest)", fn: m.AddAPIServerManifest, count: jwts},
		{path: in.KubesprayVars, what: "kubespray group_vars (--kubespray-vars)", fn: m.AddKubesprayVars, count: m.kubesprayVars},
		{path: in.KubeadmConfig, what: "a kubeadm ClusterConfiguration (--kubeadm-config)", fn: m.AddKubeadmConfig},
		{path: in.DexConfig, what: "a dex config with an issuer (--dex-config)", fn: m.AddDexConfig, count: m.dexIssuers},
		{path: in.Kubeconfig, what: "a kubeconfig (--kubeconfig)", fn: m.AddKubeconfig},
		{path: in.JWKS, what: "a JSON Web Key Set (--jwks)", fn: m.AddJWKS},
	}
	for _, p := range in.OAuth2ProxyConfigs {
		ls = append(ls, loader{path: p, what: "an oauth2-proxy config (--oauth2-proxy-config)", fn: func(s string, d []byte) error { return m.AddProxyConfig(s, appName(s), d) }, count: m.proxySettings, proxyFile: true})
	}
	for _, p := range in.Ingress {
		ls = append(ls, loader{path: p, what: "an Ingress (--ingress)", fn: m.AddIngresses, count: func() int { return len(m.Ingresses) }})
	}
	for _, p := range in.RBAC {
		ls = append(ls, loader{path: p, what: "a RoleBinding, ClusterRoleBinding, Role or ClusterRole (--rbac)", fn: m.AddRBAC, count: m.rbacObjects})
	}
	for _, p := range in.Manifests {
		ls = append(ls, loader{path: p, what: "an object doctor reads (--manifests: Ingress, binding, dex Deployment or Secret, oauth2-proxy ConfigMap)", fn: m.AddIngresses, catchAll: true, count: func() int {
			n := len(m.Ingresses) + m.rbacObjects() + m.proxySettings() + m.dexIssuers()
			if m.Dex != nil && m.Dex.ReplicasSource != "" {
				n++ // the dex Deployment alone says how many replicas run
			}
			return n
		}})
	}
	return ls
}

// load reads one artifact into the model, or records why it could not.
func (m *Model) load(l loader) {
	data, err := safefile.Read(l.path)
	if err != nil {
		m.invalid(l.path, nil, l.what, err)
		return
	}
	if err := checkText(data); err != nil {
		m.invalid(l.path, data, l.what, err)
		return
	}
	before := 0
	if l.count != nil {
		before = l.count()
	}
	if err := l.fn(l.path, data); err != nil {
		m.invalid(l.path, data, l.what, err)
		return
	}
	if l.count != nil && l.count() == before {
		m.invalid(l.path, data, l.what, errNothingOfKind)
		if l.catchAll {
			// --manifests takes whatever the user has: a file of other
			// objects is likely, not a broken one.
			m.Invalid[len(m.Invalid)-1].Severity = Warning
		}
	}
}

// loadToken reads --token, from a file or stdin.
func (m *Model) loadToken(in Inputs) {
	name := in.Token
	var data []byte
	var err error
	if in.Token == "-" {
		name = "stdin"
		if in.Stdin == nil {
			m.invalid(name, nil, "an id token (--token)", errors.New("no input to read the token from"))
			return
		}
		data, err = io.ReadAll(io.LimitReader(in.Stdin, safefile.MaxSize))
	} else {
		data, err = safefile.Read(in.Token)
	}
	if err == nil {
		err = checkText(data)
	}
	if err == nil {
		m.Token, err = ParseToken(name, data)
	}
	if err != nil {
		m.invalid(name, data, "an id token (--token: a raw JWT or kubelogin's ExecCredential JSON)", fmt.Errorf("token: %w", err))
	}
}

func (m *Model) dexIssuers() int {
	if m.Dex != nil && m.Dex.Issuer != "" {
		return 1
	}
	return 0
}

func (m *Model) rbacObjects() int {
	if m.RBAC == nil {
		return 0
	}
	return len(m.RBAC.Bindings) + len(m.RBAC.Roles)
}

// proxySettings counts the oauth2-proxy configs that set anything.
func (m *Model) proxySettings() int {
	n := 0
	for _, p := range m.Proxies {
		if len(p.Keys) > 0 {
			n++
		}
	}
	return n
}

// kubesprayVars is 1 when the kubespray variables hold any kube_ variable,
// the prefix of every variable that configures the API server.
func (m *Model) kubesprayVars() int {
	if m.Kubespray == nil {
		return 0
	}
	for k := range m.Kubespray.Vars {
		if strings.HasPrefix(k, "kube_") {
			return 1
		}
	}
	return 0
}

func appName(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".cfg", ".yaml", ".yml", ".toml"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// splitYAML returns the non-empty documents of a YAML stream as generic maps.
func splitYAML(source string, data []byte) ([]map[string]any, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for i := 0; ; i++ {
		var node yamlv3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, inputErr(source, "not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		b, err := yamlv3.Marshal(&node)
		if err != nil {
			return nil, inputErr(source, "document %d: %v", i+1, err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, inputErr(source, "document %d is not a YAML mapping: %v", i+1, err)
		}
		if len(doc) == 0 {
			continue
		}
		// A List holds its objects in items.
		if items, ok := doc["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(doc["kind"]), "List") {
			for _, it := range items {
				if mm, ok := it.(map[string]any); ok {
					out = append(out, mm)
				}
			}
			continue
		}
		out = append(out, doc)
	}
}

// AddIngresses reads a YAML stream of Kubernetes objects: Ingresses and,
// since users often keep everything in one file, bindings, Deployments and
// oauth2-proxy ConfigMaps too. Other kinds are skipped.
func (m *Model) AddIngresses(source string, data []byte) error { return m.addManifests(source, data) }

// AddRBAC reads RoleBindings and ClusterRoleBindings (and the other objects
// AddIngresses knows) from a YAML stream.
func (m *Model) AddRBAC(source string, data []byte) error {
	if m.RBAC == nil {
		m.RBAC = &RBAC{Source: source}
	}
	return m.addManifests(source, data)
}

func (m *Model) addManifests(source string, data []byte) error {
	docs, err := splitYAML(source, data)
	if err != nil {
		return err
	}
	// Secrets first: the configs that follow take their secret values from them.
	secretsByName := map[string]map[string]string{}
	secretObjs := map[string]*corev1.Secret{}
	var objs []*unstructured.Unstructured
	for i, d := range docs {
		u := &unstructured.Unstructured{Object: d}
		if u.GetKind() != "Secret" {
			objs = append(objs, u)
			continue
		}
		var s corev1.Secret
		if err := fromUnstructured(u, &s); err != nil {
			return inputErr(source, "document %d: %v", i+1, err)
		}
		secretsByName[s.Namespace+"/"+s.Name] = secretData(&s)
		secretObjs[s.Namespace+"/"+s.Name] = &s
	}
	for key, s := range secretObjs {
		if ns, ok := strings.CutSuffix(key, "/"+render.DexConfigSecret); ok && (m.Dex == nil || m.Dex.Issuer == "") {
			if err := m.addDexSecret(fmt.Sprintf("%s: Secret %s %s", source, key, dexconfig.ConfigKey), s, secretsByName[ns+"/"+render.DexEnvSecret]); err != nil {
				return err
			}
			m.Dex.Namespace = ns
		}
	}
	mounted, err := m.addProxyDeployments(objs, func(*unstructured.Unstructured) string { return source }, secretsByName)
	if err != nil {
		return asInputErr(source, err)
	}
	for _, u := range objs {
		if err := m.addObject(source, u, secretsByName, mounted); err != nil {
			return inputErr(source, "%v", err)
		}
	}
	return nil
}

// asInputErr keeps an InputError, which names its own source, and wraps
// any other error as one of source.
func asInputErr(source string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return inputErr(source, "%v", err)
}

func (m *Model) addIngress(source string, ing *networkingv1.Ingress) {
	in := &Ingress{Source: source, Namespace: ing.Namespace, Name: ing.Name, Annotations: ing.Annotations}
	if ing.Spec.IngressClassName != nil {
		in.ClassName = *ing.Spec.IngressClassName
	}
	for _, r := range ing.Spec.Rules {
		if r.Host != "" {
			in.Hosts = append(in.Hosts, r.Host)
		}
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			// Every path counts, whatever its backend: a path to a
			// resource backend is still served without a login when
			// the Ingress has no auth-url (AS-21).
			ip := IngressPath{Host: r.Host, Path: p.Path}
			if s := p.Backend.Service; s != nil {
				ip.Service, ip.Port, ip.PortName = s.Name, s.Port.Number, s.Port.Name
			}
			in.Paths = append(in.Paths, ip)
		}
	}
	for _, t := range ing.Spec.TLS {
		for _, h := range t.Hosts {
			if in.TLSSecrets == nil {
				in.TLSSecrets = map[string]string{}
			}
			in.TLSSecrets[h] = t.SecretName
		}
	}
	m.Ingresses = append(m.Ingresses, in)
}

func (m *Model) addBinding(source, kind, ns, name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
	if m.RBAC == nil {
		m.RBAC = &RBAC{Source: source}
	}
	if kind == "ClusterRoleBinding" {
		ns = ""
	}
	m.RBAC.Bindings = append(m.RBAC.Bindings, Binding{Source: source, Kind: kind, Namespace: ns, Name: name, RoleRef: ref, Subjects: subjects})
}

func (m *Model) addRole(source, kind, ns, name string, rules []rbacv1.PolicyRule) {
	if m.RBAC == nil {
		m.RBAC = &RBAC{Source: source}
	}
	if kind == "ClusterRole" {
		ns = ""
	}
	m.RBAC.Roles = append(m.RBAC.Roles, Role{Source: source, Kind: kind, Namespace: ns, Name: name, Rules: rules})
}

// AddKubeconfig reads the exec-plugin users of a kubeconfig.
func (m *Model) AddKubeconfig(source string, data []byte) error {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return inputErr(source, "not a kubeconfig: %v", err)
	}
	// clientcmd.Load takes any YAML map as an empty kubeconfig: a file
	// with none of its sections is another file given by mistake, and
	// saying nothing about it would read as "no problem found".
	if len(cfg.AuthInfos)+len(cfg.Clusters)+len(cfg.Contexts) == 0 {
		return inputErr(source, "not a kubeconfig: it has no clusters, contexts or users")
	}
	for name, ai := range cfg.AuthInfos {
		u := &KubeUser{Source: source, Name: name}
		switch {
		case ai.Exec != nil:
			u.APIVersion = ai.Exec.APIVersion
			u.Command = ai.Exec.Command
			args := ai.Exec.Args
			// kubelogin runs as "kubectl oidc-login" or as its own binary
			// kubectl-oidc_login (how authstack's kubeconfig runs it).
			u.OIDCLogin = strings.Contains(u.Command, "oidc-login") || strings.Contains(u.Command, "oidc_login") || strings.Contains(u.Command, "kubelogin") || (len(args) > 0 && args[0] == "oidc-login")
			for _, a := range args {
				k, v, _ := strings.Cut(a, "=")
				switch k {
				case "--oidc-issuer-url":
					u.IssuerURL = v
				case "--oidc-client-id":
					u.ClientID = v
				case "--oidc-client-secret":
					u.Secret, u.SecretKnown = v, true
				case "--oidc-extra-scope":
					for _, s := range strings.Split(v, ",") {
						u.ExtraScopes = append(u.ExtraScopes, strings.TrimSpace(s))
					}
				case "--certificate-authority", "--certificate-authority-data":
					u.HasCA = true
				}
			}
		case ai.AuthProvider != nil && ai.AuthProvider.Name == "oidc":
			// The oidc auth provider was removed from client-go in 1.26.
			u.APIVersion = "auth-provider/oidc"
			u.OIDCLogin = true
			c := ai.AuthProvider.Config
			u.IssuerURL, u.ClientID = c["idp-issuer-url"], c["client-id"]
			u.Secret, u.SecretKnown = c["client-secret"], c["client-secret"] != ""
		default:
			continue
		}
		if u.HasCA && u.IssuerURL != "" {
			m.IssuerCAs = append(m.IssuerCAs, fmt.Sprintf("%s: users.%s.exec --certificate-authority", source, name))
		}
		m.Kubeconfigs = append(m.Kubeconfigs, u)
	}
	sort.Slice(m.Kubeconfigs, func(i, j int) bool {
		a, b := m.Kubeconfigs[i], m.Kubeconfigs[j]
		return a.Source+"\x00"+a.Name < b.Source+"\x00"+b.Name
	})
	return nil
}

// AddJWKS reads a JSON Web Key Set.
func (m *Model) AddJWKS(source string, data []byte) error {
	var ks jose.JSONWebKeySet
	if err := yaml.Unmarshal(data, &ks); err != nil {
		return inputErr(source, "not a JSON Web Key Set: %v", err)
	}
	if len(ks.Keys) == 0 {
		return inputErr(source, "the key set has no keys")
	}
	m.JWKS = &JWKS{Source: source, Keys: ks}
	return nil
}

// secretData decodes the data of a Secret.
func secretData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}
