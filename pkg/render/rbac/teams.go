package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Team role templates, as the setups that bind <cluster>:<role>:<namespace>
// groups know them:
//
//   - watcher reads everything in the namespace but Secrets, and custom
//     resources through the built-in view role (bound next to it), which
//     aggregates those whose authors opted in (aggregate-to-view) and never
//     Secrets. A read wildcard would reach Secrets and, through get on
//     pods/exec, a WebSocket exec.
//   - developer changes workloads, reads their logs and execs into pods.
//   - developer-with-port-forward is developer plus port-forward.
//   - devops may do everything with the namespaced resources, Secrets and
//     the namespace's RBAC included, but not the built-in admin role: admin
//     aggregates edit, which impersonates the namespace's ServiceAccounts
//     and requests their tokens. No escalate, bind or impersonate: the API
//     server then lets devops bind only roles whose permissions they hold
//     (Kubernetes docs, "Privilege escalation prevention").
//
// exec and port-forward need get as well as create: kubectl 1.30 and later
// open them over WebSockets (KEP-4006), an HTTP GET that the API server
// authorizes as get on pods/exec or pods/portforward; SPDY (older kubectl)
// is a POST, authorized as create; and from Kubernetes 1.35 the
// AuthorizePodWebsocketUpgradeCreatePermission gate (beta) checks create for
// the WebSocket upgrade too (kubernetes/kubernetes#133515, #136550).
var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	// streamVerbs open exec, attach and port-forward (see above).
	streamVerbs = []string{"create", "get"}
)

type resources struct {
	group     string
	resources []string
}

func rulesOf(verbs []string, rs ...resources) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, rbacv1.PolicyRule{APIGroups: []string{r.group}, Resources: r.resources, Verbs: verbs})
	}
	return out
}

// The namespaced resources of the templates, by API group.
var (
	workloadResources = []resources{
		{"", []string{"pods", "services", "configmaps", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale"}},
		{"apps", []string{"deployments", "deployments/scale", "statefulsets", "statefulsets/scale", "replicasets", "replicasets/scale", "daemonsets"}},
		{"batch", []string{"jobs", "cronjobs"}},
		{"autoscaling", []string{"horizontalpodautoscalers"}},
		{"policy", []string{"poddisruptionbudgets"}},
		{"networking.k8s.io", []string{"ingresses"}},
	}
	// statusResources are read by everyone who reads the workloads.
	statusResources = []resources{
		{"", []string{"pods/log", "pods/status", "services/status", "persistentvolumeclaims/status", "replicationcontrollers/status",
			"endpoints", "events", "serviceaccounts", "resourcequotas", "resourcequotas/status", "limitranges", "podtemplates"}},
		{"apps", []string{"deployments/status", "statefulsets/status", "replicasets/status", "daemonsets/status", "controllerrevisions"}},
		{"batch", []string{"jobs/status", "cronjobs/status"}},
		{"autoscaling", []string{"horizontalpodautoscalers/status"}},
		{"policy", []string{"poddisruptionbudgets/status"}},
		{"networking.k8s.io", []string{"ingresses/status", "networkpolicies"}},
		{"discovery.k8s.io", []string{"endpointslices"}},
		{"events.k8s.io", []string{"events"}},
		{"coordination.k8s.io", []string{"leases"}},
		{"rbac.authorization.k8s.io", []string{"roles", "rolebindings"}},
	}
	// devopsResources are what devops changes besides the workloads.
	devopsResources = []resources{
		{"", []string{"secrets", "serviceaccounts", "endpoints", "events", "podtemplates"}},
		{"apps", []string{"controllerrevisions"}},
		{"networking.k8s.io", []string{"networkpolicies"}},
		{"discovery.k8s.io", []string{"endpointslices"}},
		{"coordination.k8s.io", []string{"leases"}},
		{"rbac.authorization.k8s.io", []string{"roles", "rolebindings"}},
	}
)

// BuiltinTeamRules are the rules of a built-in team template, nil for a
// role authstack does not define.
func BuiltinTeamRules(role v1alpha1.TeamRole) []rbacv1.PolicyRule {
	var rules []rbacv1.PolicyRule
	exec := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: streamVerbs}
	portForward := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/portforward"}, Verbs: streamVerbs}
	switch role {
	case v1alpha1.TeamWatcher:
		rules = append(rulesOf(readVerbs, workloadResources...), rulesOf(readVerbs, statusResources...)...)
	case v1alpha1.TeamDeveloper:
		rules = append(rulesOf(writeVerbs, workloadResources...), rulesOf(readVerbs, statusResources...)...)
		rules = append(rules, exec)
	case v1alpha1.TeamDeveloperWithPortForward:
		rules = append(rulesOf(writeVerbs, workloadResources...), rulesOf(readVerbs, statusResources...)...)
		rules = append(rules, exec, portForward)
	case v1alpha1.TeamDevops:
		rules = append(rulesOf(writeVerbs, workloadResources...), rulesOf(writeVerbs, devopsResources...)...)
		rules = append(rules, rulesOf(readVerbs, statusResources...)...)
		rules = append(rules,
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach", "pods/portforward"}, Verbs: streamVerbs},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/eviction"}, Verbs: []string{"create"}},
		)
	}
	return rules
}

// TeamRules are the rules of a team role: the built-in template, replaced
// or extended by the spec's rbac.teamTemplates.
func TeamRules(spec *v1alpha1.Spec, role v1alpha1.TeamRole) []rbacv1.PolicyRule {
	t := spec.RBAC.TeamTemplate(role)
	if t == nil {
		return BuiltinTeamRules(role)
	}
	if t.Extend {
		return append(BuiltinTeamRules(role), t.Rules...)
	}
	return t.Rules
}

// teamViewsCRDs says whether a team role is also bound to the built-in view
// role, for the custom resources: the watcher template, unless replaced.
func teamViewsCRDs(spec *v1alpha1.Spec, role v1alpha1.TeamRole) bool {
	t := spec.RBAC.TeamTemplate(role)
	return role == v1alpha1.TeamWatcher && (t == nil || t.Extend)
}

// TeamClusterRole is the ClusterRole a team role is bound to.
func TeamClusterRole(role v1alpha1.TeamRole) string { return v1alpha1.TeamClusterRole(role) }

func (r *renderer) teams() {
	rb := &r.spec.RBAC
	roles := rb.TeamRoles()
	for _, role := range roles {
		r.clusterRole("spec.rbac.teams", TeamClusterRole(role), TeamRules(r.spec, role))
	}
	for i, t := range rb.Teams {
		for j, role := range t.Roles {
			from := fmt.Sprintf("spec.rbac.teams[%d].roles[%d]", i, j)
			subjects := r.subjects(v1alpha1.Subjects{Groups: []string{r.spec.TeamGroup(role, t.Namespace)}})
			r.roleBinding(from, teamRolePrefix+string(role), t.Namespace, "ClusterRole", TeamClusterRole(role), subjects)
			if teamViewsCRDs(r.spec, role) {
				r.roleBinding(from, teamRolePrefix+string(role)+":"+builtinViewRole, t.Namespace, "ClusterRole", builtinViewRole, subjects)
			}
		}
	}
	// Cluster-wide team roles: the group <cluster>:<role> holds the role in
	// every namespace.
	for i, role := range rb.ClusterTeamRoles {
		from := fmt.Sprintf("spec.rbac.clusterTeamRoles[%d]", i)
		subjects := r.subjects(v1alpha1.Subjects{Groups: []string{r.spec.ClusterTeamGroup(role)}})
		r.clusterRoleBinding(from, teamRolePrefix+string(role), TeamClusterRole(role), subjects)
		if teamViewsCRDs(r.spec, role) {
			r.clusterRoleBinding(from, teamRolePrefix+string(role)+":"+builtinViewRole, builtinViewRole, subjects)
		}
	}
}
