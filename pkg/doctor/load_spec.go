package doctor

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/formats/oauth2proxy"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// AddSpec renders an authstack.yaml with deterministic secrets and reads
// its outputs as if they were the user's files. Secret values are only
// compared, never shown.
func (m *Model) AddSpec(path string) error {
	stack, err := config.LoadFile(path)
	if err != nil {
		return err
	}
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		return &InputError{File: path, Err: err}
	}
	return m.addStack(path, stack, res)
}

// addStack reads what render wrote for a spec, with what only the spec
// says (an external issuer is not dex).
func (m *Model) addStack(path string, stack *config.Stack, res *render.Result) error {
	if stack.Spec.Issuer.External != nil {
		m.NotDex = append(m.NotDex, stack.Spec.IssuerURL())
	}
	return m.addRendered(path, res)
}

func (m *Model) addRendered(spec string, res *render.Result) error {
	src := func(p string) string { return fmt.Sprintf("%s (rendered %s)", spec, p) }
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Path] = f.Data
	}
	secretsByName := map[string]map[string]string{}
	for _, o := range res.Objects {
		if o.Object.GetKind() == "Secret" {
			var s corev1.Secret
			if err := fromUnstructured(o.Object, &s); err != nil {
				return &InputError{File: spec, Err: err}
			}
			secretsByName[s.Namespace+"/"+s.Name] = secretData(&s)
		}
	}
	switch {
	case files["apiserver/kubespray-vars.yaml"] != nil:
		if err := m.AddKubesprayVars(src("apiserver/kubespray-vars.yaml"), files["apiserver/kubespray-vars.yaml"]); err != nil {
			return err
		}
	case files["apiserver/authentication-config.yaml"] != nil:
		if err := m.AddAuthenticationConfig(src("apiserver/authentication-config.yaml"), files["apiserver/authentication-config.yaml"]); err != nil {
			return err
		}
	case files[render.ProxyAuthConfigFile] != nil:
		// The proxy authenticates with kube-apiserver's own code and file.
		if err := m.AddAuthenticationConfig(src(render.ProxyAuthConfigFile), files[render.ProxyAuthConfigFile]); err != nil {
			return err
		}
	case files["apiserver/flags.txt"] != nil:
		var args []string
		for _, l := range strings.Split(string(files["apiserver/flags.txt"]), "\n") {
			if strings.HasPrefix(l, "--") {
				args = append(args, l)
			}
		}
		flags, err := parseFlags(args)
		if err != nil {
			return inputErr(src("apiserver/flags.txt"), "%v", err)
		}
		m.addFlags(src("apiserver/flags.txt"), flags, func(n string) string { return "--" + n })
	}
	if data := files["dex/config.yaml"]; data != nil {
		var env map[string]string
		for k, v := range secretsByName {
			if strings.HasSuffix(k, "/"+render.DexEnvSecret) {
				env = v
			}
		}
		m.remember("dex", data)
		if err := m.addDex(src("dex/config.yaml"), data, env); err != nil {
			return err
		}
	}
	if data := files["kubeconfig.yaml"]; data != nil {
		if err := m.AddKubeconfig(src("kubeconfig.yaml"), data); err != nil {
			return err
		}
	}
	objs := make([]*unstructured.Unstructured, len(res.Objects))
	fileOf := map[*unstructured.Unstructured]string{}
	for i, o := range res.Objects {
		objs[i], fileOf[o.Object] = o.Object, o.File
	}
	if err := m.addAPIProxy(spec+" (rendered)", objs); err != nil {
		return &InputError{File: spec, Err: err}
	}
	mounted, err := m.addProxyDeployments(objs, func(u *unstructured.Unstructured) string { return src(fileOf[u]) }, secretsByName)
	if err != nil {
		return &InputError{File: spec, Err: err}
	}
	for _, o := range res.Objects {
		if o.Object.GetKind() == "ConfigMap" {
			if cfg, ok, _ := unstructured.NestedString(o.Object.Object, "data", oauth2proxy.ConfigKey); ok {
				alpha, _, _ := unstructured.NestedString(o.Object.Object, "data", oauth2proxy.AlphaConfigKey)
				m.remember("proxy/"+o.Object.GetNamespace()+"/"+o.Object.GetName(), []byte(cfg+alpha))
			}
		}
		if err := m.addObject(src(o.File), o.Object, secretsByName, mounted); err != nil {
			return &InputError{File: spec, Err: err}
		}
	}
	return nil
}

// addObject reads the objects doctor understands: Ingresses, bindings,
// the dex Deployment's replicas and oauth2-proxy ConfigMaps that no
// oauth2-proxy Deployment mounts (those in mounted were read with it).
func (m *Model) addObject(source string, u *unstructured.Unstructured, secretsByName map[string]map[string]string, mounted map[string]bool) error {
	switch u.GetKind() {
	case "SecurityPolicy", "HTTPRoute", "Middleware":
		m.addEdgeObject(source, u)
	case "Ingress":
		var ing networkingv1.Ingress
		if err := fromUnstructured(u, &ing); err != nil {
			return err
		}
		m.addIngress(source, &ing)
	case "RoleBinding", "ClusterRoleBinding":
		var b rbacv1.RoleBinding
		if err := fromUnstructured(u, &b); err != nil {
			return err
		}
		m.addBinding(source, u.GetKind(), b.Namespace, b.Name, b.RoleRef, b.Subjects)
	case "Role", "ClusterRole":
		var r rbacv1.ClusterRole
		if err := fromUnstructured(u, &r); err != nil {
			return err
		}
		m.addRole(source, u.GetKind(), r.Namespace, r.Name, r.Rules)
	case "Deployment":
		var d appsv1.Deployment
		if err := fromUnstructured(u, &d); err != nil {
			return err
		}
		m.addDeployment(source, &d)
	case "ConfigMap":
		var cm corev1.ConfigMap
		if err := fromUnstructured(u, &cm); err != nil {
			return err
		}
		if cfg, ok := cm.Data[oauth2proxy.ConfigKey]; ok && !mounted[cm.Namespace+"/"+cm.Name] {
			app := strings.TrimPrefix(cm.Name, "oauth2-proxy-")
			if err := m.addProxyFiles(fmt.Sprintf("%s: ConfigMap %s/%s", source, cm.Namespace, cm.Name), app, []byte(cfg), alphaOf(cm.Data), secretsByName[cm.Namespace+"/"+cm.Name]); err != nil {
				return err
			}
			m.Proxies[len(m.Proxies)-1].Namespace = cm.Namespace
		}
	}
	return nil
}

func (m *Model) addDeployment(source string, d *appsv1.Deployment) {
	if d.Labels["app.kubernetes.io/name"] != "dex" || d.Spec.Replicas == nil {
		return
	}
	if m.Dex == nil {
		m.Dex = &Dex{Source: source, IDTokenLifetime: dexDefaultIDTokens}
	}
	m.Dex.Replicas = int(*d.Spec.Replicas)
	m.Dex.ReplicasSource = fmt.Sprintf("%s: Deployment %s/%s spec.replicas", source, d.Namespace, d.Name)
}

func fromUnstructured(u *unstructured.Unstructured, into any) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

func (m *Model) remember(key string, data []byte) {
	if m.rendered == nil {
		m.rendered = map[string][]byte{}
	}
	m.rendered[key] = data
}

// alphaOf is the alpha config beside an oauth2_proxy.cfg in a ConfigMap's
// data (a headers-mode proxy of authstack), nil without one.
func alphaOf(data map[string]string) []byte {
	if a, ok := data[oauth2proxy.AlphaConfigKey]; ok {
		return []byte(a)
	}
	return nil
}
