//go:build e2e_kind

package kind

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/up"
)

// env is what hack/kind/e2e.sh hands the tests.
type env struct {
	nodeImage string // the kind node image
	mode      string // local (built here, no registry) or stock
	images    []string
	artifacts string
	keep      bool
	// netpolImage is the NetworkPolicy enforcer the test deploys on the
	// local node image (kube-network-policies); the stock node image brings
	// kindnetd. Empty only when AUTHSTACK_E2E_KIND_NETPOL=off.
	netpolImage string
	netpolOff   bool
}

func loadEnv(t *testing.T) env {
	t.Helper()
	e := env{
		nodeImage: os.Getenv("AUTHSTACK_E2E_KIND_NODE_IMAGE"),
		mode:      os.Getenv("AUTHSTACK_E2E_KIND_IMAGE_SOURCE"),
		images:    strings.Fields(os.Getenv("AUTHSTACK_E2E_KIND_IMAGES_TO_LOAD")),
		artifacts: os.Getenv("E2E_ARTIFACTS"),
		keep:      os.Getenv("AUTHSTACK_E2E_KIND_KEEP") == "1",

		netpolImage: os.Getenv("AUTHSTACK_E2E_KIND_NETPOL_IMAGE"),
		netpolOff:   os.Getenv("AUTHSTACK_E2E_KIND_NETPOL") == "off",
	}
	// Failing, not skipping: a skipped tier must never read as a pass.
	if e.nodeImage == "" || e.mode == "" || len(e.images) == 0 {
		t.Fatal("AUTHSTACK_E2E_KIND_NODE_IMAGE, AUTHSTACK_E2E_KIND_IMAGE_SOURCE and AUTHSTACK_E2E_KIND_IMAGES_TO_LOAD are unset: run `make e2e-kind` (hack/kind/e2e.sh), which builds or pulls the images and sets them")
	}
	// The enforcer is part of the local tier: without it the bypass test
	// could not fail, so its absence is an error unless switched off.
	if e.mode == "local" && e.netpolImage == "" && !e.netpolOff {
		t.Fatal("AUTHSTACK_E2E_KIND_NETPOL_IMAGE is unset for the local node image: hack/kind/images.sh builds the NetworkPolicy enforcer and sets it (AUTHSTACK_E2E_KIND_NETPOL=off runs the tier without one, skipping the NetworkPolicy test)")
	}
	if e.artifacts == "" {
		e.artifacts = filepath.Join(repoRoot(), "_output", "e2e-kind")
	}
	if err := os.MkdirAll(e.artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// kindConfig reads the rendered kind config strictly, the way kind would,
// checks that it works as it is (absolute mounts, the edge's ports on
// loopback, the ingress-ready node label), and adapts only what the test
// harness decides: the cluster's name and, for a node image without
// kindnetd, no default CNI.
func kindConfig(t *testing.T, outDir string, e env) *v1alpha4.Cluster {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(outDir, "apiserver", "kind-cluster.yaml"))
	if err != nil {
		t.Fatalf("the render wrote no kind config: %v", err)
	}
	var cfg v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("rendered apiserver/kind-cluster.yaml is not a valid kind v1alpha4 Cluster: %v", err)
	}
	if cfg.Kind != "Cluster" || cfg.APIVersion != "kind.x-k8s.io/v1alpha4" {
		t.Fatalf("rendered kind config is %s %s, want kind.x-k8s.io/v1alpha4 Cluster", cfg.APIVersion, cfg.Kind)
	}
	if len(cfg.Nodes) == 0 {
		t.Fatal("rendered kind config has no nodes")
	}
	cfg.Name = "authstack-e2e"
	if e.mode == "local" {
		// The local node image is single-node with a static bridge CNI.
		cfg.Networking.DisableDefaultCNI = true
	}
	n := cfg.Nodes[0]
	for _, m := range n.ExtraMounts {
		if !filepath.IsAbs(m.HostPath) {
			t.Errorf("rendered kind config mounts %s by a relative path: kind would resolve it against its working directory", m.HostPath)
		}
	}
	has443 := false
	for _, p := range n.ExtraPortMappings {
		has443 = has443 || (p.HostPort == 443 && p.ContainerPort == 443 && p.ListenAddress == "127.0.0.1")
	}
	if !has443 || n.Labels["ingress-ready"] != "true" {
		t.Errorf("rendered kind config's first node lacks the edge's loopback port 443 or the ingress-ready label: %+v", n)
	}
	return &cfg
}

// createCluster creates the cluster and registers its deletion, which also
// runs when creation fails halfway or a later step fails.
func createCluster(t *testing.T, cfg *v1alpha4.Cluster, e env, kubeconfig string) (*cluster.Provider, nodes.Node) {
	t.Helper()
	p := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))
	// A cluster left by an interrupted run would make Create fail.
	if names, err := p.List(); err == nil {
		for _, n := range names {
			if n == cfg.Name {
				t.Logf("deleting cluster %s left by an earlier run", n)
				_ = p.Delete(n, kubeconfig)
			}
		}
	}
	t.Cleanup(func() {
		if e.keep && t.Failed() {
			t.Logf("AUTHSTACK_E2E_KIND_KEEP=1: keeping cluster %s (kubeconfig %s); delete it with `kind delete cluster --name %s`", cfg.Name, kubeconfig, cfg.Name)
			return
		}
		if t.Failed() {
			dir := filepath.Join(e.artifacts, "kind-logs")
			_ = os.RemoveAll(dir)
			if err := p.CollectLogs(cfg.Name, dir); err == nil {
				t.Logf("node logs in %s", dir)
			}
		}
		if err := p.Delete(cfg.Name, kubeconfig); err != nil {
			t.Errorf("delete cluster %s: %v", cfg.Name, err)
		}
	})
	if err := p.Create(cfg.Name,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithNodeImage(e.nodeImage),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithWaitForReady(3*time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	); err != nil {
		t.Fatalf("kind create cluster from the rendered config: %v", err)
	}
	ns, err := p.ListNodes(cfg.Name)
	if err != nil || len(ns) == 0 {
		t.Fatalf("list nodes of %s: %v (%d nodes)", cfg.Name, err, len(ns))
	}
	for _, n := range ns {
		if r, _ := n.Role(); r == "control-plane" {
			return p, n
		}
	}
	return p, ns[0]
}

// loadImages puts images from the Docker engine into the node's containerd,
// what `kind load docker-image` does.
func loadImages(t *testing.T, node nodes.Node, images []string) {
	t.Helper()
	if err := up.NewDocker().LoadImages(node, images); err != nil {
		t.Fatal(err)
	}
}

// nodeExec runs a shell command in the node container.
func nodeExec(t *testing.T, node nodes.Node, script string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := node.Command("sh", "-c", script)
	cmd.SetStdout(&out)
	cmd.SetStderr(&out)
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %s: %v: %s", script, err, out.String())
	}
	return out.String()
}

// deployEnforcer runs the NetworkPolicy enforcer on the local node image
// (see up.DeployEnforcer).
func deployEnforcer(t *testing.T, cs *kubernetes.Clientset, image string) {
	t.Helper()
	if err := up.DeployEnforcer(context.Background(), cs, image); err != nil {
		t.Fatalf("%v\n%s", err, podReport(cs, "kube-system"))
	}
}

// resolveInNode maps the stack's names to 127.0.0.1 inside the node (see
// up.ResolveInNode).
func resolveInNode(t *testing.T, node nodes.Node, hosts []string) {
	t.Helper()
	if err := up.ResolveInNode(node, hosts); err != nil {
		t.Fatal(err)
	}
}

// resolveOnHost makes the stack's host names resolve to 127.0.0.1 on this
// machine. *.127.0.0.1.nip.io already does wherever public DNS works; where it
// does not (CI's VMs), lines marked with this run's tag are added to
// /etc/hosts and removed again at the end.
func resolveOnHost(t *testing.T, hosts []string) {
	t.Helper()
	var missing []string
	for _, h := range hosts {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		addrs, err := net.DefaultResolver.LookupHost(ctx, h)
		cancel()
		if err != nil || len(addrs) == 0 || addrs[0] != "127.0.0.1" {
			missing = append(missing, h)
		}
	}
	if len(missing) == 0 {
		return
	}
	mark := fmt.Sprintf("# authstack-e2e-kind %d", os.Getpid())
	f, err := os.OpenFile("/etc/hosts", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("%v do not resolve to 127.0.0.1 and /etc/hosts is not writable: %v", missing, err)
	}
	for _, h := range missing {
		fmt.Fprintf(f, "127.0.0.1 %s %s\n", h, mark)
	}
	f.Close()
	t.Logf("added %v to /etc/hosts (public DNS does not resolve them here)", missing)
	t.Cleanup(func() {
		data, err := os.ReadFile("/etc/hosts")
		if err != nil {
			return
		}
		var kept []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if !strings.HasSuffix(sc.Text(), mark) {
				kept = append(kept, sc.Text())
			}
		}
		// /etc/hosts may be a bind mount: rewrite in place.
		_ = os.WriteFile("/etc/hosts", []byte(strings.Join(kept, "\n")+"\n"), 0o644)
	})
}

// poll calls check until it returns nil, at most until timeout.
func poll(timeout, interval time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}
