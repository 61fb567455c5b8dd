package up

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// EnforcerName names the NetworkPolicy enforcer's objects in kube-system.
const EnforcerName = "kube-network-policies"

// DeployEnforcer runs sigs.k8s.io/kube-network-policies (the policy engine
// kind's kindnetd embeds) on the local node image, which has a static bridge
// CNI and nothing else that would enforce NetworkPolicy. hack/kind/binaries.sh
// builds it; the objects follow the upstream install.yaml (v0.8.0): a
// host-network DaemonSet with NET_ADMIN, list/watch on pods, namespaces and
// NetworkPolicies, the NRI socket and /var/run/netns mounted. It returns when
// the DaemonSet's pod is ready, so policies are enforced before the stack is
// applied.
func DeployEnforcer(ctx context.Context, cs kubernetes.Interface, image string) error {
	const ns = "kube-system"
	labels := map[string]string{"app": EnforcerName}
	if err := create(ctx, "ServiceAccount "+EnforcerName, cs.CoreV1().ServiceAccounts(ns).Create,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: EnforcerName, Namespace: ns}}); err != nil {
		return err
	}
	if err := create(ctx, "ClusterRole "+EnforcerName, cs.RbacV1().ClusterRoles().Create, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: EnforcerName},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"list", "watch"}},
		},
	}); err != nil {
		return err
	}
	if err := create(ctx, "ClusterRoleBinding "+EnforcerName, cs.RbacV1().ClusterRoleBindings().Create, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: EnforcerName},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: EnforcerName},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: EnforcerName, Namespace: ns}},
	}); err != nil {
		return err
	}
	hostPath := func(name, path string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
	}
	if err := create(ctx, "DaemonSet "+EnforcerName, cs.AppsV1().DaemonSets(ns).Create, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: EnforcerName, Namespace: ns, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostNetwork:        true,
					DNSPolicy:          corev1.DNSClusterFirst,
					ServiceAccountName: EnforcerName,
					Tolerations:        []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name:            EnforcerName,
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{"--hostname-override=$(MY_NODE_NAME)", "--v=2", "--nfqueue-id=98",
							// Its metrics port on the node's network; 9080 is upstream's default.
							"--metrics-bind-address=127.0.0.1:9080"},
						Env: []corev1.EnvVar{{Name: "MY_NODE_NAME", ValueFrom: &corev1.EnvVarSource{
							FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
						SecurityContext: &corev1.SecurityContext{
							Privileged:   ptr.To(true),
							Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "nri-plugin", MountPath: "/var/run/nri"},
							{Name: "netns", MountPath: "/var/run/netns", MountPropagation: ptr.To(corev1.MountPropagationHostToContainer)},
						},
					}},
					Volumes: []corev1.Volume{hostPath("nri-plugin", "/var/run/nri"), hostPath("netns", "/var/run/netns")},
				},
			},
		},
	}); err != nil {
		return err
	}
	err := poll(ctx, 2*time.Minute, 2*time.Second, func() error {
		ds, err := cs.AppsV1().DaemonSets(ns).Get(ctx, EnforcerName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if ds.Status.DesiredNumberScheduled == 0 || ds.Status.NumberReady < ds.Status.DesiredNumberScheduled {
			return fmt.Errorf("DaemonSet %s/%s: %d of %d pods ready", ns, EnforcerName, ds.Status.NumberReady, ds.Status.DesiredNumberScheduled)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the NetworkPolicy enforcer did not start: %w", err)
	}
	return nil
}
