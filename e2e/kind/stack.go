//go:build e2e_kind

package kind

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/config"
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
func restrictedContainer() *corev1.SecurityContext { return up.RestrictedContainer() }

func restrictedNamespace(name string) *corev1.Namespace { return up.RestrictedNamespace(name) }

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
	var apps []up.DemoApp
	for _, app := range []struct{ name, mode string }{{"whoami", "token"}, {"headers", "headers"}} {
		apps = append(apps, up.DemoApp{Namespace: namespace, Service: app.name, Port: 8080, Mode: app.mode,
			Labels: map[string]string{"app.kubernetes.io/name": app.name}})
	}
	if err := up.DeployApps(context.Background(), cs, image, apps); err != nil {
		t.Fatal(err)
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

// routeHostsInCluster puts the stack's CoreDNS rewrites (those of
// authstack apply --coredns-rewrite) in place and restarts CoreDNS.
func routeHostsInCluster(t *testing.T, cs *kubernetes.Clientset, stack *config.Stack) {
	t.Helper()
	if err := up.RouteHostsInCluster(context.Background(), cs, stack, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// deployEdge runs the edge authstack up runs (nginx configured from the
// rendered Ingresses) on the node's ports 443/80, standing in for
// ingress-nginx.
func deployEdge(t *testing.T, cs *kubernetes.Clientset, outDir, image, certFile, keyFile string) string {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, kind := range []string{"Ingress", "Service"} {
		for _, u := range renderedObjects[unstructured.Unstructured](t, outDir, kind) {
			objs = append(objs, &u)
		}
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := up.DeployEdge(context.Background(), cs, up.Edge{Namespace: edgeNamespace, Image: image, Objects: objs, Cert: cert, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

// waitDeployments waits until every Deployment of the namespaces is
// available, reporting the pods of the ones that are not.
func waitDeployments(t *testing.T, cs *kubernetes.Clientset, timeout time.Duration, namespaces ...string) {
	t.Helper()
	if err := up.WaitDeployments(context.Background(), cs, timeout, namespaces...); err != nil {
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
