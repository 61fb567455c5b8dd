package kubeadm

import (
	"fmt"
	"strings"

	"github.com/authstack/authstack/internal/yamledit"
)

// CheckTarget tells whether src is a kubeadm config that Patch may edit:
// it must hold an InitConfiguration or a ClusterConfiguration of
// kubeadm.k8s.io/v1beta3 or v1beta4. kubeadm init takes either (the
// ClusterConfiguration is defaulted when absent, and Patch then appends one);
// a file with neither (a JoinConfiguration alone, an authstack spec, a
// Deployment) is not the file --kubeadm-config should name, and patching it
// would write the API server's settings where nothing reads them.
func CheckTarget(src []byte) error {
	chunks, err := yamledit.Split(src)
	if err != nil {
		return fmt.Errorf("kubeadm config: %w", err)
	}
	var found []string
	for _, c := range chunks {
		if c.Empty() {
			continue
		}
		doc, err := c.Parse()
		if err != nil {
			return fmt.Errorf("kubeadm config: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		av, kind, _ := yamledit.TypeMeta(doc.Content[0])
		if kind == "InitConfiguration" || kind == "ClusterConfiguration" {
			switch {
			case av == v1beta3 || av == v1beta4:
				return nil
			case strings.HasPrefix(av, "kubeadm.k8s.io/"):
				return fmt.Errorf("kubeadm config: line %d: %s is not supported; migrate the file with \"kubeadm config migrate\" to %s", c.Line, av, v1beta4)
			}
		}
		found = append(found, yamledit.Describe(av, kind))
	}
	what := "no YAML document"
	if len(found) > 0 {
		what = strings.Join(found, ", ")
	}
	return fmt.Errorf("not a kubeadm config: expected an InitConfiguration or ClusterConfiguration of %s or %s (the file given to kubeadm init --config), found %s", v1beta3, v1beta4, what)
}
