package render

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/secrets"
)

func file(t *testing.T, res *Result, path string) []byte {
	t.Helper()
	for _, f := range res.Files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("no rendered file %s", path)
	return nil
}

// The kind config works as it is for kind create cluster --config from any
// directory: absolute mounts into the output directory, the edge's ports on
// loopback with the node label ingress-nginx's kind deployment selects, and
// the API server pinned where the rendered kubeconfig points.
func TestKindConfigWorksAsItIs(t *testing.T) {
	exampleEnv(t)
	out := t.TempDir()
	res, err := Render(load(t, "kind"), Options{Secrets: secrets.Fixed{}, OutputDir: out})
	if err != nil {
		t.Fatal(err)
	}
	var cfg kindv1alpha4.Cluster
	if err := yaml.UnmarshalStrict(file(t, res, "apiserver/kind-cluster.yaml"), &cfg); err != nil {
		t.Fatalf("not a kind v1alpha4 Cluster: %v", err)
	}
	if len(cfg.Nodes) != 1 {
		t.Fatalf("nodes = %d, want 1", len(cfg.Nodes))
	}
	n := cfg.Nodes[0]
	if len(n.ExtraMounts) != 1 || n.ExtraMounts[0].HostPath != filepath.Join(out, "apiserver", "authentication-config.yaml") {
		t.Errorf("mounts = %+v, want the authentication config by absolute path under %s", n.ExtraMounts, out)
	}
	if n.Labels["ingress-ready"] != "true" {
		t.Errorf("node labels = %v, want ingress-ready=true", n.Labels)
	}
	got := map[int32]int32{}
	for _, p := range n.ExtraPortMappings {
		if p.ListenAddress != "127.0.0.1" {
			t.Errorf("port %d listens on %q, want loopback only", p.HostPort, p.ListenAddress)
		}
		got[p.HostPort] = p.ContainerPort
	}
	if got[80] != 80 || got[443] != 443 || len(got) != 2 {
		t.Errorf("port mappings host->node %v, want 80->80 and 443->443", got)
	}
	kc, err := clientcmd.Load(file(t, res, "kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "https://" + cfg.Networking.APIServerAddress + ":" + "6443"
	if cfg.Networking.APIServerPort != 6443 || kc.Clusters["dev"].Server != want {
		t.Errorf("kind API server %s:%d, kubeconfig server %q: want both %s", cfg.Networking.APIServerAddress, cfg.Networking.APIServerPort, kc.Clusters["dev"].Server, want)
	}

	// A host with a port of its own is mapped from that port.
	s := load(t, "kind")
	s.Spec.Apps[0].Host = "whoami.127.0.0.1.nip.io:8443"
	res, err = Render(s, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg = kindv1alpha4.Cluster{}
	if err := yaml.UnmarshalStrict(file(t, res, "apiserver/kind-cluster.yaml"), &cfg); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range cfg.Nodes[0].ExtraPortMappings {
		found = found || (p.HostPort == 8443 && p.ContainerPort == 443)
	}
	if !found {
		t.Errorf("no mapping 8443->443 for a host on port 8443: %+v", cfg.Nodes[0].ExtraPortMappings)
	}
}

// Without spec.cluster.server (and not kind, whose server is pinned), no
// kubeconfig pointing nowhere is written; a warning says what to set.
func TestNoServerNoKubeconfig(t *testing.T) {
	exampleEnv(t)
	res, err := Render(load(t, "prometheus-headers"), Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if f.Path == "kubeconfig.yaml" {
			t.Fatalf("kubeconfig.yaml rendered without a server:\n%s", f.Data)
		}
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "spec.cluster.server") {
		t.Errorf("warnings %v, want one asking for spec.cluster.server", res.Warnings)
	}
}
