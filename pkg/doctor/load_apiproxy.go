package doctor

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// APIProxy is authstack-apiproxy as configured: its flags, and the rules
// its ServiceAccount holds (apiServer.mode proxy). Its
// AuthenticationConfiguration is read as a view of the API server
// (APIServers), since the proxy authenticates with the same code.
type APIProxy struct {
	// Source is where the Deployment was read.
	Source    string
	Namespace string
	Args      []string
	// Rules are those of every ClusterRole bound to the proxy's
	// ServiceAccount; RulesSource names the bindings, RulesKnown is false
	// when the bindings were not part of the evidence.
	Rules       []rbacv1.PolicyRule
	RulesSource []string
	RulesKnown  bool
	// Clusters is how many clusters its clusters config names (0: one, in-cluster).
	Clusters int
}

// Flag returns the value of --name, and whether it is given.
func (p *APIProxy) Flag(name string) (string, bool) {
	for _, a := range p.Args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// addAPIProxy reads the proxy's Deployment and the RBAC bound to its
// ServiceAccount from rendered or live objects.
func (m *Model) addAPIProxy(source string, objs []*unstructured.Unstructured) error {
	var dep *appsv1.Deployment
	for _, o := range objs {
		if o.GetKind() == "Deployment" && o.GetName() == apiproxy.Name {
			dep = &appsv1.Deployment{}
			if err := fromUnstructured(o, dep); err != nil {
				return err
			}
		}
	}
	if dep == nil || len(dep.Spec.Template.Spec.Containers) == 0 {
		return nil
	}
	p := &APIProxy{Source: source + ": Deployment " + dep.Namespace + "/" + dep.Name, Namespace: dep.Namespace, Args: dep.Spec.Template.Spec.Containers[0].Args}
	roles := map[string][]rbacv1.PolicyRule{}
	for _, o := range objs {
		if o.GetKind() == "ClusterRole" {
			var r rbacv1.ClusterRole
			if err := fromUnstructured(o, &r); err != nil {
				return err
			}
			roles[r.Name] = r.Rules
		}
	}
	for _, o := range objs {
		if o.GetKind() != "ClusterRoleBinding" {
			continue
		}
		var b rbacv1.ClusterRoleBinding
		if err := fromUnstructured(o, &b); err != nil {
			return err
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == apiproxy.Name && s.Namespace == dep.Namespace {
				p.RulesKnown = true
				p.Rules = append(p.Rules, roles[b.RoleRef.Name]...)
				p.RulesSource = append(p.RulesSource, source+": ClusterRoleBinding "+b.Name+" -> ClusterRole "+b.RoleRef.Name)
			}
		}
	}
	m.APIProxy = p
	return nil
}
