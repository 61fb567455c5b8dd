package up

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authstack/authstack/internal/safefile"
)

// State is what up created, so that down deletes exactly that.
type State struct {
	// Cluster is the kind cluster's name.
	Cluster string `json:"cluster"`
	// Kubeconfig is the file kind added the admin entry kind-<cluster> to.
	Kubeconfig string `json:"kubeconfig"`
	// Network is the Docker network kind put the cluster on.
	Network string `json:"network"`
	// CreatedNetwork says Network did not exist before up.
	CreatedNetwork bool `json:"createdNetwork"`
}

const stateFile = "state.json"

// StateDir is where up keeps a cluster's state, rendered files, test user
// passwords and CA key: $XDG_STATE_HOME/authstack/up/NAME, or
// ~/.local/state/authstack/up/NAME. It is outside any repository, so
// nothing there is meant for Git.
func StateDir(name string, getenv func(string) string) (string, error) {
	base := getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("state directory: %w (set XDG_STATE_HOME)", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "authstack", "up", name), nil
}

func writeState(dir string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, stateFile), append(data, '\n'), 0o600)
}

// errNoState is returned by readState when up never created the cluster.
var errNoState = errors.New("no state")

func readState(dir string) (State, error) {
	var s State
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, errNoState
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return s, nil
}

// writeFile replaces a file of the state directory atomically and never
// through a symbolic link or onto a special file (safefile.Write): the
// directory holds the edge's key, the test users' passwords and a
// kubeconfig, and a link planted there must not choose what is overwritten.
// Files without group or other permissions are written as private files.
func writeFile(path string, data []byte, mode os.FileMode) error {
	_, err := safefile.Write(path, data, safefile.Options{Mode: mode, Private: mode&0o077 == 0})
	return err
}
