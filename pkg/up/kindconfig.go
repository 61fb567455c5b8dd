package up

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// kindConfig reads the rendered kind config strictly, the way kind would,
// and adapts what only up knows: the cluster name, absolute mount paths (the
// rendered ones are relative to the output directory outDir), the host port
// the edge listens on, and, for the locally built node image, no default
// CNI. The rendered config gains port mappings itself in a later change
// (issue 12 item 3); a mapping it already has is not added twice.
func kindConfig(data []byte, name, outDir string, local bool) (*v1alpha4.Cluster, error) {
	var cfg v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("rendered kind config is not a kind v1alpha4 Cluster: %w", err)
	}
	if cfg.Kind != "Cluster" || cfg.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return nil, fmt.Errorf("rendered kind config is %s %s, want kind.x-k8s.io/v1alpha4 Cluster", cfg.APIVersion, cfg.Kind)
	}
	if len(cfg.Nodes) == 0 {
		return nil, fmt.Errorf("rendered kind config has no nodes")
	}
	cfg.Name = name
	if local {
		cfg.Networking.DisableDefaultCNI = true
	}
	edgeNode := -1
	for i := range cfg.Nodes {
		n := &cfg.Nodes[i]
		for j := range n.ExtraMounts {
			if !filepath.IsAbs(n.ExtraMounts[j].HostPath) {
				n.ExtraMounts[j].HostPath = filepath.Join(outDir, n.ExtraMounts[j].HostPath)
			}
		}
		if edgeNode < 0 && n.Role == v1alpha4.ControlPlaneRole {
			edgeNode = i
		}
	}
	if edgeNode < 0 {
		return nil, fmt.Errorf("rendered kind config has no control-plane node")
	}
	n := &cfg.Nodes[edgeNode]
	for _, m := range n.ExtraPortMappings {
		if m.HostPort == 443 {
			return &cfg, nil
		}
	}
	// Loopback only: the edge is for this machine's browser.
	n.ExtraPortMappings = append(n.ExtraPortMappings,
		v1alpha4.PortMapping{ContainerPort: 443, HostPort: 443, ListenAddress: "127.0.0.1", Protocol: v1alpha4.PortMappingProtocolTCP})
	return &cfg, nil
}
