package kubespray

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
)

// CheckTarget tells whether src is an Ansible group_vars file that Patch may
// edit: one YAML mapping of variables, without the apiVersion and kind of a
// Kubernetes-style document (an authstack spec, a manifest, a kubeadm
// config), which kubespray would never read as variables. An empty or
// comment-only file is accepted: a new group_vars file for authstack's
// variables starts that way.
func CheckTarget(src []byte) error {
	doc, err := yamledit.ParseOne(src)
	if err != nil {
		return fmt.Errorf("kubespray vars: %w", err)
	}
	if len(doc.Content) == 0 || yamledit.IsNull(doc.Content[0]) {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("not a kubespray group_vars file: line %d: expected a mapping of variables, found %s", root.Line, yamledit.KindName(root))
	}
	if av, kind, ok := yamledit.TypeMeta(root); ok {
		return fmt.Errorf("not a kubespray group_vars file: it is %s, and group_vars hold Ansible variables, not apiVersion and kind; name inventory/<cluster>/group_vars/k8s_cluster/k8s-cluster.yml", yamledit.Describe(av, kind))
	}
	return nil
}
