package up

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	"sigs.k8s.io/kind/pkg/log"
)

// Kind is the part of kind's cluster API up and down use.
type Kind interface {
	List() ([]string, error)
	Create(cfg *v1alpha4.Cluster, nodeImage, kubeconfig string) error
	Delete(name, kubeconfig string) error
	// ControlPlane is the node the edge runs on.
	ControlPlane(name string) (nodes.Node, error)
}

// Docker is the part of the Docker engine up and down use besides kind.
type Docker interface {
	NetworkExists(name string) (bool, error)
	// NetworkContainers lists the containers attached to a network.
	NetworkContainers(name string) ([]string, error)
	RemoveNetwork(name string) error
	// LoadImages copies images from the engine into a node's containerd,
	// what `kind load docker-image` does.
	LoadImages(node nodes.Node, images []string) error
}

// kindNetwork is the Docker network kind puts every cluster on
// (sigs.k8s.io/kind pkg/cluster/internal/providers/docker/network.go,
// fixedNetworkName); kind creates it on first use and never deletes it.
const kindNetwork = "kind"

// NewKind is kind's Docker provider.
func NewKind(logger log.Logger) Kind {
	return kindProvider{cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(logger))}
}

type kindProvider struct{ p *cluster.Provider }

func (k kindProvider) List() ([]string, error) { return k.p.List() }

func (k kindProvider) Create(cfg *v1alpha4.Cluster, nodeImage, kubeconfig string) error {
	opts := []cluster.CreateOption{
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithWaitForReady(3 * time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	}
	if nodeImage != "" {
		opts = append(opts, cluster.CreateWithNodeImage(nodeImage))
	}
	return k.p.Create(cfg.Name, opts...)
}

func (k kindProvider) Delete(name, kubeconfig string) error { return k.p.Delete(name, kubeconfig) }

func (k kindProvider) ControlPlane(name string) (nodes.Node, error) {
	ns, err := k.p.ListNodes(name)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if r, _ := n.Role(); r == "control-plane" {
			return n, nil
		}
	}
	return nil, fmt.Errorf("cluster %s has no control-plane node", name)
}

// NewDocker is the docker CLI, which kind's Docker provider uses as well.
func NewDocker() Docker { return dockerCLI{} }

type dockerCLI struct{}

func (dockerCLI) run(stdout *bytes.Buffer, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w: %s", strings.Join(args[:min(len(args), 3)], " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (d dockerCLI) NetworkExists(name string) (bool, error) {
	var out bytes.Buffer
	if err := d.run(&out, "network", "ls", "--filter", "name=^"+name+"$", "--format", "{{.Name}}"); err != nil {
		return false, err
	}
	return strings.TrimSpace(out.String()) == name, nil
}

func (d dockerCLI) NetworkContainers(name string) ([]string, error) {
	var out bytes.Buffer
	if err := d.run(&out, "network", "inspect", name, "--format", "{{range .Containers}}{{.Name}} {{end}}"); err != nil {
		return nil, err
	}
	return strings.Fields(out.String()), nil
}

func (d dockerCLI) RemoveNetwork(name string) error {
	return d.run(&bytes.Buffer{}, "network", "rm", name)
}

func (d dockerCLI) LoadImages(node nodes.Node, images []string) error {
	var archive bytes.Buffer
	if err := d.run(&archive, append([]string{"save"}, images...)...); err != nil {
		return err
	}
	if err := nodeutils.LoadImageArchive(node, &archive); err != nil {
		return fmt.Errorf("load %v into node %s: %w", images, node.String(), err)
	}
	return nil
}
