// Package rbac renders the RBAC objects that grant access to the people who
// log in: typed rbac/v1 objects whose subjects carry the API server's
// username and groups prefixes, so the names match what the API server sees.
package rbac

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/meta"
)

// Names of the ClusterRoles authstack defines.
const (
	ReadOnlyRole    = v1alpha1.ReadOnlyRole
	OwnerRole       = v1alpha1.OwnerRole
	teamRolePrefix  = v1alpha1.TeamRolePrefix
	userBindingPfx  = "authstack:user:"
	bindingPrefix   = "authstack:"
	builtinViewRole = "view"
)

// Render returns the RBAC objects of the spec and the Namespaces it owns,
// in a stable order.
//
// Two parts of the spec may ask for the same object: a user in rbac.users
// with the view role and in userNamespaces, which binds view too. The
// object is rendered once, as applying it twice is an error (kustomize
// refuses duplicate ids). When the two differ (names that become the same
// DNS label, a binding named like one authstack derives), neither can be
// honoured silently: Render refuses and names both spec fields.
func Render(spec *v1alpha1.Spec, labels map[string]string) ([]runtime.Object, error) {
	r := &renderer{spec: spec, labels: labels, seen: map[string]int{}}
	r.roles()
	r.bindings()
	r.users()
	r.readOnly()
	r.userNamespaces()
	r.teams()
	if len(r.conflicts) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(r.conflicts, "; "))
	}
	return r.out, nil
}

type renderer struct {
	spec   *v1alpha1.Spec
	labels map[string]string
	out    []runtime.Object
	// from is the spec field each object of out was rendered for, seen
	// the index in out of each object's kind, namespace and name.
	from      []string
	seen      map[string]int
	conflicts []string
}

// object is a typed Kubernetes object: its kind and its metadata.
type object interface {
	runtime.Object
	metav1.Object
}

// emit adds o, rendered for the spec field from, unless an identical
// object is there already; a different one of the same name is a conflict.
func (r *renderer) emit(o object, from string) {
	id := fmt.Sprintf("%s %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
	if ns := o.GetNamespace(); ns != "" {
		id = fmt.Sprintf("%s %s/%s", o.GetObjectKind().GroupVersionKind().Kind, ns, o.GetName())
	}
	if i, ok := r.seen[id]; ok {
		if !equality.Semantic.DeepEqual(r.out[i], o) {
			r.conflicts = append(r.conflicts, fmt.Sprintf("%s and %s both render %s, with different content: rename or remove one of them", r.from[i], from, id))
		}
		return
	}
	r.seen[id] = len(r.out)
	r.out = append(r.out, o)
	r.from = append(r.from, from)
}

func (r *renderer) meta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: meta.Copy(r.labels)}
}

// User is the username the API server gives a token's user.
func User(spec *v1alpha1.Spec, name string) string {
	return prefix(spec.APIServer.UsernamePrefix) + name
}

// Group is the group name the API server gives a token's group.
func Group(spec *v1alpha1.Spec, name string) string {
	return prefix(spec.APIServer.GroupsPrefix) + name
}

func prefix(p *string) string {
	if p == nil || *p == "-" {
		return ""
	}
	return *p
}

func (r *renderer) subjects(s v1alpha1.Subjects) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, u := range s.Users {
		out = append(out, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: User(r.spec, u)})
	}
	for _, g := range s.Groups {
		out = append(out, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: Group(r.spec, g)})
	}
	return out
}

func (r *renderer) clusterRoleBinding(from, name, role string, subjects []rbacv1.Subject) {
	r.emit(&rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: r.meta(name, ""),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}, from)
}

func (r *renderer) roleBinding(from, name, namespace, kind, role string, subjects []rbacv1.Subject) {
	r.emit(&rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: r.meta(name, namespace),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
		Subjects:   subjects,
	}, from)
}

func (r *renderer) clusterRole(from, name string, rules []rbacv1.PolicyRule) {
	r.emit(&rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: r.meta(name, ""),
		Rules:      rules,
	}, from)
}

// roles renders the spec's own roles: a ClusterRole once, a Role in each
// of its namespaces.
func (r *renderer) roles() {
	for i, role := range r.spec.RBAC.Roles {
		from := fmt.Sprintf("spec.rbac.roles[%d]", i)
		// ClusterRole is the default kind, also before defaulting.
		if role.Kind != v1alpha1.KindRole {
			r.clusterRole(from, role.Name, role.Rules)
			continue
		}
		for _, ns := range role.Namespaces {
			r.emit(&rbacv1.Role{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
				ObjectMeta: r.meta(role.Name, ns),
				Rules:      role.Rules,
			}, from)
		}
	}
}

func (r *renderer) bindings() {
	for i, b := range r.spec.RBAC.Bindings {
		from := fmt.Sprintf("spec.rbac.bindings[%d]", i)
		subjects := r.subjects(b.Subjects)
		switch {
		case b.Namespace == "":
			r.clusterRoleBinding(from, bindingPrefix+b.Name, b.ClusterRole, subjects)
		case b.Role != "":
			r.roleBinding(from, bindingPrefix+b.Name, b.Namespace, "Role", b.Role, subjects)
		default:
			r.roleBinding(from, bindingPrefix+b.Name, b.Namespace, "ClusterRole", b.ClusterRole, subjects)
		}
	}
}

// users renders one ClusterRoleBinding per user and role, so that adding or
// removing a person touches one object.
func (r *renderer) users() {
	for i, u := range r.spec.RBAC.Users {
		subjects := r.subjects(v1alpha1.Subjects{Users: []string{u.Name}})
		for j, role := range u.ClusterRoles {
			r.clusterRoleBinding(fmt.Sprintf("spec.rbac.users[%d].clusterRoles[%d]", i, j), userBindingPfx+v1alpha1.DNSLabel(u.Name)+":"+role, role, subjects)
		}
	}
}

// readOnly lets its subjects read the cluster and change nothing. Its rules
// are explicit, so that no Secret, no exec/attach/port-forward/proxy
// subresource and no token request is reachable, whatever API groups the
// cluster serves: a wildcard would grant them all, including "get" on
// pods/exec, which the API server accepts for a websocket exec.
//
// The built-in view role is bound as well, for the custom resources whose
// authors opted into it (rbac.authorization.k8s.io/aggregate-to-view);
// Kubernetes keeps Secrets and the subresources above out of view. View
// alone would not do: it leaves out cluster-scoped objects (nodes,
// persistent volumes, CRDs, RBAC, storage classes) a read-only admin needs.
func (r *renderer) readOnly() {
	ro := r.spec.RBAC.ReadOnly
	if ro == nil {
		return
	}
	const from = "spec.rbac.readOnly"
	r.clusterRole(from, ReadOnlyRole, readOnlyRules())
	subjects := r.subjects(*ro)
	r.clusterRoleBinding(from, ReadOnlyRole, ReadOnlyRole, subjects)
	r.clusterRoleBinding(from, ReadOnlyRole+":"+builtinViewRole, builtinViewRole, subjects)
}

// readOnlyResources are the built-in resources the read-only role reads, by
// API group. Secrets, pods/exec, pods/attach, pods/portforward, pods/proxy,
// nodes/proxy, services/proxy and serviceaccounts/token are absent on
// purpose; TestReadOnlyReachesNothingSensitive keeps it so.
var readOnlyResources = []struct {
	group     string
	resources []string
}{
	{"", []string{"pods", "pods/log", "pods/status", "services", "services/status", "endpoints", "configmaps", "events",
		"persistentvolumeclaims", "persistentvolumeclaims/status", "replicationcontrollers", "replicationcontrollers/scale",
		"replicationcontrollers/status", "serviceaccounts", "resourcequotas", "resourcequotas/status", "limitranges",
		"namespaces", "namespaces/status", "nodes", "nodes/status", "persistentvolumes", "persistentvolumes/status", "podtemplates"}},
	{"apps", []string{"deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
		"statefulsets", "statefulsets/scale", "statefulsets/status", "daemonsets", "daemonsets/status", "controllerrevisions"}},
	{"batch", []string{"jobs", "jobs/status", "cronjobs", "cronjobs/status"}},
	{"autoscaling", []string{"horizontalpodautoscalers", "horizontalpodautoscalers/status"}},
	{"policy", []string{"poddisruptionbudgets", "poddisruptionbudgets/status"}},
	{"networking.k8s.io", []string{"ingresses", "ingresses/status", "ingressclasses", "networkpolicies", "ipaddresses", "servicecidrs"}},
	{"discovery.k8s.io", []string{"endpointslices"}},
	{"events.k8s.io", []string{"events"}},
	{"storage.k8s.io", []string{"storageclasses", "volumeattachments", "csidrivers", "csinodes", "csistoragecapacities", "volumeattributesclasses"}},
	{"rbac.authorization.k8s.io", []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}},
	{"apiextensions.k8s.io", []string{"customresourcedefinitions", "customresourcedefinitions/status"}},
	{"apiregistration.k8s.io", []string{"apiservices", "apiservices/status"}},
	{"admissionregistration.k8s.io", []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}},
	{"scheduling.k8s.io", []string{"priorityclasses"}},
	{"node.k8s.io", []string{"runtimeclasses"}},
	{"coordination.k8s.io", []string{"leases"}},
	{"certificates.k8s.io", []string{"certificatesigningrequests"}},
	{"flowcontrol.apiserver.k8s.io", []string{"flowschemas", "prioritylevelconfigurations"}},
	{"metrics.k8s.io", []string{"pods", "nodes"}},
}

// readOnlyURLs are the non-resource URLs of the API server's health and
// metrics; discovery (/api, /apis, /version) is open to every
// authenticated user already (system:discovery).
var readOnlyURLs = []string{"/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/metrics"}

func readOnlyRules() []rbacv1.PolicyRule {
	var rules []rbacv1.PolicyRule
	for _, g := range readOnlyResources {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g.group}, Resources: g.resources, Verbs: readVerbs})
	}
	return append(rules, rbacv1.PolicyRule{NonResourceURLs: readOnlyURLs, Verbs: []string{"get"}})
}

// userNamespaces gives each user a namespace of their own: full control of
// the workloads in it, and (by default) read access to the rest.
func (r *renderer) userNamespaces() {
	if len(r.spec.RBAC.UserNamespaces) == 0 {
		return
	}
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	r.clusterRole("spec.rbac.userNamespaces", OwnerRole, []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward", "pods/attach"}, Verbs: []string{"create", "get"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "replicasets", "daemonsets"}, Verbs: all},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: all},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "networkpolicies"}, Verbs: all},
	})
	for i, u := range r.spec.RBAC.UserNamespaces {
		from := fmt.Sprintf("spec.rbac.userNamespaces[%d]", i)
		subjects := r.subjects(v1alpha1.Subjects{Users: []string{u.User}})
		r.namespace(from, u.Namespace)
		r.roleBinding(from, OwnerRole, u.Namespace, "ClusterRole", OwnerRole, subjects)
		if *u.ClusterView {
			r.clusterRoleBinding(from+".clusterView", userBindingPfx+v1alpha1.DNSLabel(u.User)+":"+builtinViewRole, builtinViewRole, subjects)
		}
	}
}

func (r *renderer) namespace(from, name string) {
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: r.meta(name, ""),
	}
	for k, v := range meta.RestrictedPodSecurity {
		ns.Labels[k] = v
	}
	r.emit(ns, from)
}
