package up

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/authstack/authstack/pkg/apply"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
)

// ResolveInNode maps the stack's names to 127.0.0.1 inside the node, where
// the edge listens on host port 443, for the API server (host network, the
// node's resolver). Where public DNS resolves *.127.0.0.1.nip.io this
// changes nothing. The API server's pod got a copy of the node's /etc/hosts
// when it started, so its copy gets the line too (bind-mounted, so it sees
// it at once).
func ResolveInNode(node nodes.Node, hosts []string) error {
	line := "127.0.0.1 " + strings.Join(hosts, " ")
	script := fmt.Sprintf(`set -e
echo %[1]q >> /etc/hosts
n=0
for d in /var/log/pods/kube-system_kube-apiserver-*; do
  f=/var/lib/kubelet/pods/${d##*_}/etc-hosts
  [ -f "$f" ] && echo %[1]q >> "$f" && n=$((n+1))
done
[ "$n" -gt 0 ] || { echo "no kube-apiserver pod hosts file found"; exit 1; }`, line)
	var out bytes.Buffer
	cmd := node.Command("sh", "-c", script)
	cmd.SetStdout(&out)
	cmd.SetStderr(&out)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("resolve %v in node %s: %w: %s", hosts, node.String(), err, out.String())
	}
	return nil
}

// RouteHostsInCluster sends pods that look up the stack's hosts to the
// edge: the Corefile rewrite of `authstack apply --coredns-rewrite` (the
// same code, apply.RewriteCoreDNS), to the ingress controller's Service,
// which DeployEdge creates for the edge. In a pod *.127.0.0.1.nip.io would
// be the pod itself. CoreDNS is restarted so that it reads the Corefile at
// once, not at its next reload (kind's Corefile reloads within about a
// minute, by when oauth2-proxy would have failed its OIDC discovery).
func RouteHostsInCluster(ctx context.Context, cs kubernetes.Interface, stack *config.Stack, log io.Writer) error {
	changed, _, err := apply.RewriteCoreDNS(ctx, cs, stack, log)
	if err != nil || !changed {
		return err
	}
	// A rollout restart, the way kubectl does it.
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"authstack.dev/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
	if _, err := cs.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", "application/strategic-merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("restart CoreDNS: %w", err)
	}
	return nil
}

func create[T any](ctx context.Context, what string, fn func(context.Context, T, metav1.CreateOptions) (T, error), obj T) error {
	if _, err := fn(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %s: %w", what, err)
	}
	return nil
}

// RestrictedContainer is a securityContext the restricted Pod Security
// Standard accepts.
func RestrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		RunAsNonRoot:             ptr.To(true),
		RunAsUser:                ptr.To[int64](65532),
		ReadOnlyRootFilesystem:   ptr.To(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// RestrictedNamespace is a namespace enforcing the restricted Pod Security
// Standard.
func RestrictedNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
	}}}
}

// DemoApp is one demo app in an identity mode behind a Service named like
// the app's upstream: the nginx echo app of `authstack up` (echoapp.go) or
// the kind tier's testapp (DeployApps).
type DemoApp struct {
	Namespace, Service string
	Port               int32
	Labels             map[string]string
	// Mode is token or headers.
	Mode string
}

// DeployApps runs the testapp image for each app: in token mode it asks the
// API server who the forwarded token belongs to, in headers mode it shows
// the identity headers.
func DeployApps(ctx context.Context, cs kubernetes.Interface, image string, apps []DemoApp) error {
	for _, app := range apps {
		if err := create(ctx, "namespace "+app.Namespace, cs.CoreV1().Namespaces().Create, RestrictedNamespace(app.Namespace)); err != nil {
			return err
		}
		dep := demoDeployment(app, corev1.Container{
			Image:        image,
			Args:         []string{"-mode=" + app.Mode, "-ca=/etc/testapp/ca.crt", fmt.Sprintf("-addr=:%d", app.Port)},
			VolumeMounts: []corev1.VolumeMount{{Name: "ca", MountPath: "/etc/testapp", ReadOnly: true}},
		}, []corev1.Volume{{Name: "ca", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}}}})
		if err := create(ctx, "Deployment "+app.Namespace+"/"+app.Service, cs.AppsV1().Deployments(app.Namespace).Create, dep); err != nil {
			return err
		}
		if err := createAppService(ctx, cs, app); err != nil {
			return err
		}
	}
	return nil
}

// demoDeployment runs one demo app's container c (its image, command, args
// and mounts) as a restricted pod with a readiness probe on /healthz of the
// app's port, named and labelled like the app's upstream.
func demoDeployment(app DemoApp, c corev1.Container, volumes []corev1.Volume) *appsv1.Deployment {
	c.Name = "app"
	c.ImagePullPolicy = corev1.PullIfNotPresent
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: app.Port}}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 2}
	c.SecurityContext = RestrictedContainer()
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: app.Service, Namespace: app.Namespace, Labels: app.Labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: app.Labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: app.Labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					Containers:                   []corev1.Container{c},
					Volumes:                      volumes,
				},
			},
		},
	}
}

// createAppService is the Service named like the app's upstream, in front
// of the demo app's pods.
func createAppService(ctx context.Context, cs kubernetes.Interface, app DemoApp) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app.Service, Namespace: app.Namespace, Labels: app.Labels},
		Spec: corev1.ServiceSpec{Selector: app.Labels, Ports: []corev1.ServicePort{{
			Name: "http", Port: app.Port, TargetPort: intstr.FromString("http")}}},
	}
	return create(ctx, "Service "+app.Namespace+"/"+app.Service, cs.CoreV1().Services(app.Namespace).Create, svc)
}

// Edge says where the edge runs and what it serves.
type Edge struct {
	Namespace string
	Image     string
	// Objects are the rendered objects; the edge serves their Ingresses.
	Objects []*unstructured.Unstructured
	// Cert and Key are the PEM serving certificate and key for every host.
	Cert, Key []byte
}

// DeployEdge runs nginx, configured from the rendered Ingresses by
// EdgeConfig, as a pod on the control-plane node's ports 80 and 443,
// standing in for ingress-nginx in its namespace. It returns the
// nginx.conf.
func DeployEdge(ctx context.Context, cs kubernetes.Interface, e Edge) (string, error) {
	ingresses, err := objectsOfKind[networkingv1.Ingress](e.Objects, "Ingress")
	if err != nil {
		return "", err
	}
	services, err := objectsOfKind[corev1.Service](e.Objects, "Service")
	if err != nil {
		return "", err
	}
	if len(ingresses) == 0 {
		return "", fmt.Errorf("the stack renders no Ingress for the edge to serve")
	}
	dnsSvc, err := cs.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("kube-dns Service: %w", err)
	}
	conf, err := EdgeConfig(ingresses, services, dnsSvc.Spec.ClusterIP, "/etc/edge-tls/tls.crt", "/etc/edge-tls/tls.key")
	if err != nil {
		return "", fmt.Errorf("translate the rendered Ingresses for the edge: %w", err)
	}
	// The edge is infrastructure, not part of authstack: it binds host
	// ports, so its namespace is privileged.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.Namespace, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}}
	if err := create(ctx, "namespace "+e.Namespace, cs.CoreV1().Namespaces().Create, ns); err != nil {
		return "", err
	}
	if err := create(ctx, "edge config", cs.CoreV1().ConfigMaps(e.Namespace).Create, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "edge"}, Data: map[string]string{"nginx.conf": conf}}); err != nil {
		return "", err
	}
	if err := create(ctx, "edge TLS", cs.CoreV1().Secrets(e.Namespace).Create, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "edge-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": e.Cert, "tls.key": e.Key}}); err != nil {
		return "", err
	}
	labels := map[string]string{"app.kubernetes.io/name": "edge"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					// The node whose port 443 kind publishes on the host.
					NodeSelector: map[string]string{"node-role.kubernetes.io/control-plane": ""},
					Tolerations:  []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name:            "nginx",
						Image:           e.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{"nginx", "-c", "/etc/edge/nginx.conf", "-g", "daemon off;"},
						// A pod in the ingress namespace on the node's ports 80
						// and 443, the way kind's ingress guide runs
						// ingress-nginx: its connections to oauth2-proxy and
						// dex come from the namespace the rendered
						// NetworkPolicies let in, as a real controller's do.
						// On the host network they would come from the node
						// instead, which kube-network-policies lets in only
						// for root's sockets (kube-network-policies#65).
						Ports: []corev1.ContainerPort{
							{Name: "http", ContainerPort: 80, HostPort: 80},
							{Name: "https", ContainerPort: 443, HostPort: 443},
						},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{
							Port: intstr.FromInt32(443)}}, PeriodSeconds: 2},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "conf", MountPath: "/etc/edge", ReadOnly: true},
							{Name: "tls", MountPath: "/etc/edge-tls", ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "edge"}}}},
						{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "edge-tls"}}},
					},
				},
			},
		},
	}
	if err := create(ctx, "edge Deployment", cs.AppsV1().Deployments(e.Namespace).Create, dep); err != nil {
		return "", err
	}
	// Named as ingress-nginx names its controller's Service: the target of
	// the CoreDNS rewrites (render.CoreDNSRewrites), so pods reach the
	// stack's hosts through the edge as browsers do.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: render.IngressControllerService, Namespace: e.Namespace, Labels: labels},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http")},
			{Name: "https", Port: 443, TargetPort: intstr.FromString("https")},
		}},
	}
	if err := create(ctx, "edge Service", cs.CoreV1().Services(e.Namespace).Create, svc); err != nil {
		return "", err
	}
	return conf, nil
}

// WaitDeployments waits until every Deployment of the namespaces is
// available.
func WaitDeployments(ctx context.Context, cs kubernetes.Interface, timeout time.Duration, namespaces ...string) error {
	return poll(ctx, timeout, 2*time.Second, func() error {
		for _, ns := range namespaces {
			deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			if len(deps.Items) == 0 {
				return fmt.Errorf("no Deployment in %s", ns)
			}
			for _, d := range deps.Items {
				if d.Status.AvailableReplicas < ptr.Deref(d.Spec.Replicas, 1) || d.Status.ObservedGeneration < d.Generation {
					return fmt.Errorf("Deployment %s/%s: %d/%d available", ns, d.Name, d.Status.AvailableReplicas, ptr.Deref(d.Spec.Replicas, 1))
				}
			}
		}
		return nil
	})
}

// poll calls check until it returns nil, at most until timeout.
func poll(ctx context.Context, timeout, interval time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
