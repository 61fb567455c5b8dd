package up

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Down removes what up created for a cluster.
type Down struct {
	Kind   Kind
	Docker Docker
	Log    io.Writer
}

// Do deletes, in this order, the kind cluster (its node containers and the
// kind-<name> entries kind added to the kubeconfig up named), the Docker
// network when up created it and no other container uses it, and the state
// directory. A cluster up has no state for is refused: down removes only
// what up created.
func (d *Down) Do(name, stateDir string) error {
	st, err := readState(stateDir)
	if errors.Is(err, errNoState) {
		return fmt.Errorf("authstack up created no cluster %s (no %s in %s): nothing to remove; a cluster made otherwise is deleted with kind delete cluster --name %s", name, stateFile, stateDir, name)
	}
	if err != nil {
		return err
	}
	if st.Cluster != name {
		return fmt.Errorf("%s records cluster %q, not %q: refusing to guess what to delete", stateDir, st.Cluster, name)
	}
	// kind's Delete is a no-op for a cluster that does not exist (created
	// halfway, or deleted by hand), and still removes the kubeconfig entry.
	if err := d.Kind.Delete(st.Cluster, st.Kubeconfig); err != nil {
		return fmt.Errorf("delete kind cluster %s: %w", st.Cluster, err)
	}
	fmt.Fprintf(d.Log, "✓ deleted kind cluster %s and its entry in %s\n", st.Cluster, st.Kubeconfig)
	if st.CreatedNetwork && st.Network != "" {
		exists, err := d.Docker.NetworkExists(st.Network)
		if err != nil {
			return err
		}
		if exists {
			users, err := d.Docker.NetworkContainers(st.Network)
			if err != nil {
				return err
			}
			if len(users) > 0 {
				fmt.Fprintf(d.Log, "kept Docker network %s: up created it, but %s use it now\n", st.Network, strings.Join(users, ", "))
			} else {
				if err := d.Docker.RemoveNetwork(st.Network); err != nil {
					return err
				}
				fmt.Fprintf(d.Log, "✓ deleted Docker network %s\n", st.Network)
			}
		}
	}
	if err := os.RemoveAll(stateDir); err != nil {
		return fmt.Errorf("remove %s: %w", stateDir, err)
	}
	fmt.Fprintf(d.Log, "✓ removed %s\n", stateDir)
	return nil
}
