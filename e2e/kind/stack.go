//go:build e2e_kind

package kind

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/up"
)

const (
	edgeNamespace = "authstack-e2e-edge"
	appImageEnv   = "AUTHSTACK_E2E_KIND_APP_IMAGE"
	edgeImageEnv  = "AUTHSTACK_E2E_KIND_EDGE_IMAGE"
)

func client(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 30 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// run runs a command and returns its combined output.
func run(t *testing.T, dir string, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// restrictedContainer is a securityContext the restricted Pod Security
// Standard accepts.
func restrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		RunAsNonRoot:             ptr.To(true),
		RunAsUser:                ptr.To[int64](65532),
		ReadOnlyRootFilesystem:   ptr.To(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func restrictedNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
	}}}
}

func create[T any](t *testing.T, what string, fn func(context.Context, T, metav1.CreateOptions) (T, error), obj T) {
	t.Helper()
	if _, err := fn(context.Background(), obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create %s: %v", what, err)
	}
}

// deployApps runs the spec's two apps: whoami in token mode (it asks the API
// server who the forwarded token belongs to) and headers in headers mode.
func deployApps(t *testing.T, cs *kubernetes.Clientset, namespace, image string) {
	t.Helper()
	create(t, "namespace "+namespace, cs.CoreV1().Namespaces().Create, restrictedNamespace(namespace))
	for _, app := range []struct{ name, mode string }{{"whoami", "token"}, {"headers", "headers"}} {
		labels := map[string]string{"app.kubernetes.io/name": app.name}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: app.name, Namespace: namespace, Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						AutomountServiceAccountToken: ptr.To(false),
						Containers: []corev1.Container{{
							Name:            "app",
							Image:           image,
							ImagePullPolicy: corev1.PullIfNotPresent,
							Args:            []string{"-mode=" + app.mode, "-ca=/etc/testapp/ca.crt"},
							Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
								Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 2},
							SecurityContext: restrictedContainer(),
							VolumeMounts:    []corev1.VolumeMount{{Name: "ca", MountPath: "/etc/testapp", ReadOnly: true}},
						}},
						Volumes: []corev1.Volume{{Name: "ca", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}}}},
					},
				},
			},
		}
		create(t, "Deployment "+app.name, cs.AppsV1().Deployments(namespace).Create, dep)
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: app.name, Namespace: namespace, Labels: labels},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
				Name: "http", Port: 8080, TargetPort: intstr.FromString("http")}}},
		}
		create(t, "Service "+app.name, cs.CoreV1().Services(namespace).Create, svc)
	}
}

// renderedObjects reads the rendered manifests of a kind.
func renderedObjects[T any](t *testing.T, outDir, kind string) []T {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(outDir, "manifests", "*.yaml"))
	var out []T
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			var head struct{ Kind string }
			if sigsyaml.Unmarshal([]byte(doc), &head) != nil || head.Kind != kind {
				continue
			}
			var obj T
			if err := sigsyaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, obj)
		}
	}
	return out
}

// patchCoreDNS adds a hosts block mapping the stack's names to ip and
// restarts CoreDNS.
func patchCoreDNS(t *testing.T, cs *kubernetes.Clientset, ip string, hosts []string) {
	t.Helper()
	ctx := context.Background()
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("CoreDNS ConfigMap: %v", err)
	}
	corefile := cm.Data["Corefile"]
	block := fmt.Sprintf("    hosts {\n       %s %s\n       fallthrough\n    }\n", ip, strings.Join(hosts, " "))
	if !strings.Contains(corefile, "    ready\n") {
		t.Fatalf("unexpected Corefile, no ready plugin line:\n%s", corefile)
	}
	cm.Data["Corefile"] = strings.Replace(corefile, "    ready\n", "    ready\n"+block, 1)
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update CoreDNS ConfigMap: %v", err)
	}
	// A rollout restart, the way kubectl does it.
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"authstack.dev/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
	if _, err := cs.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", "application/strategic-merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("restart CoreDNS: %v", err)
	}
}

// deployEdge runs Debian's nginx, configured from the rendered Ingresses, on
// the node's network (ports 443/80), standing in for ingress-nginx.
func deployEdge(t *testing.T, cs *kubernetes.Clientset, outDir, image, certFile, keyFile string) string {
	t.Helper()
	ctx := context.Background()
	ingresses := renderedObjects[networkingv1.Ingress](t, outDir, "Ingress")
	services := renderedObjects[corev1.Service](t, outDir, "Service")
	if len(ingresses) == 0 {
		t.Fatal("the render wrote no Ingress")
	}
	dnsSvc, err := cs.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kube-dns Service: %v", err)
	}
	conf, err := up.EdgeConfig(ingresses, services, dnsSvc.Spec.ClusterIP, "/etc/edge-tls/tls.crt", "/etc/edge-tls/tls.key")
	if err != nil {
		t.Fatalf("translate the rendered Ingresses for the edge: %v", err)
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// The edge is infrastructure, not part of authstack: it binds host
	// ports, so its namespace is privileged.
	create(t, "namespace "+edgeNamespace, cs.CoreV1().Namespaces().Create, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: edgeNamespace, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}})
	create(t, "edge config", cs.CoreV1().ConfigMaps(edgeNamespace).Create, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "edge"}, Data: map[string]string{"nginx.conf": conf}})
	create(t, "edge TLS", cs.CoreV1().Secrets(edgeNamespace).Create, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "edge-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": cert, "tls.key": key}})
	labels := map[string]string{"app.kubernetes.io/name": "edge"}
	create(t, "edge Deployment", cs.AppsV1().Deployments(edgeNamespace).Create, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:            "nginx",
						Image:           image,
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
	})
	return conf
}

// waitDeployments waits until every Deployment of the namespaces is
// available, reporting the pods of the ones that are not.
func waitDeployments(t *testing.T, cs *kubernetes.Clientset, timeout time.Duration, namespaces ...string) {
	t.Helper()
	err := poll(timeout, 2*time.Second, func() error {
		for _, ns := range namespaces {
			deps, err := cs.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
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
	if err != nil {
		t.Fatalf("%v\n%s", err, podReport(cs, namespaces...))
	}
}

// podReport describes the pods of the namespaces for a failure message.
func podReport(cs *kubernetes.Clientset, namespaces ...string) string {
	var b strings.Builder
	ctx := context.Background()
	for _, ns := range namespaces {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", ns, err)
			continue
		}
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "pod %s/%s phase=%s", ns, p.Name, p.Status.Phase)
			for _, c := range p.Status.ContainerStatuses {
				fmt.Fprintf(&b, " [%s ready=%v restarts=%d", c.Name, c.Ready, c.RestartCount)
				if w := c.State.Waiting; w != nil {
					fmt.Fprintf(&b, " waiting %s: %s", w.Reason, w.Message)
				}
				if l := c.LastTerminationState.Terminated; l != nil {
					fmt.Fprintf(&b, " last exit %d %s", l.ExitCode, l.Reason)
				}
				b.WriteString("]")
			}
			b.WriteString("\n")
			for _, c := range p.Spec.Containers {
				logs, err := cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, TailLines: ptr.To[int64](15)}).Do(ctx).Raw()
				if err == nil && len(logs) > 0 {
					fmt.Fprintf(&b, "  logs %s:\n%s\n", c.Name, logs)
				}
			}
		}
		evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			for _, e := range evs.Items {
				if e.Type == corev1.EventTypeWarning {
					fmt.Fprintf(&b, "event %s/%s %s: %s\n", ns, e.InvolvedObject.Name, e.Reason, e.Message)
				}
			}
		}
	}
	return b.String()
}
