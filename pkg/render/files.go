package render

import (
	"fmt"
	"strings"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/patch/dexconfig"
	"github.com/authstack/authstack/pkg/patch/kubeadm"
	"github.com/authstack/authstack/pkg/patch/kubespray"
	"github.com/authstack/authstack/pkg/render/apiserver"
)

// Target is a user's existing file that authstack patches in place.
type Target string

// The files authstack knows how to patch.
const (
	KubesprayVars Target = "kubespray-vars"
	KubeadmConfig Target = "kubeadm-config"
	DexConfig     Target = "dex-config"
)

// FilePatch is the before and after of a patched file.
type FilePatch struct {
	Path   string
	Before []byte
	After  []byte
	// Notes say what the user must do or know besides writing After, such
	// as the environment variables the patched dex config now reads.
	Notes []string
}

// Changed reports whether the patch changes the file.
func (p FilePatch) Changed() bool { return string(p.Before) != string(p.After) }

// checkTarget tells whether a file is the kind its flag names, before it is
// patched: a patcher given some other YAML (the spec itself, a Deployment)
// would otherwise write the API server's settings into it.
var checkTarget = map[Target]func([]byte) error{
	KubesprayVars: kubespray.CheckTarget,
	KubeadmConfig: kubeadm.CheckTarget,
	DexConfig:     dexconfig.CheckTarget,
}

// Patch computes the new content of the user's file at path. It reads the
// file and never writes it: callers show a diff or write it atomically. The
// file is read as it will be written back: a symbolic link, a special file
// or a file over safefile.MaxSize is refused.
func (res *Result) Patch(target Target, path string) (FilePatch, error) {
	before, err := safefile.ReadNoFollow(path)
	if err != nil {
		return FilePatch{}, fmt.Errorf("%s: %w", target, err)
	}
	if check, ok := checkTarget[target]; ok {
		if err := check(before); err != nil {
			return FilePatch{}, fmt.Errorf("%s %s: %w", target, path, err)
		}
	}
	var after []byte
	var notes []string
	switch target {
	case KubesprayVars:
		vars, verr := apiserver.KubesprayVars(res.apiServer)
		if verr != nil {
			return FilePatch{}, verr
		}
		after, err = kubespray.Patch(before, vars)
	case KubeadmConfig:
		set, remove := apiserver.KubeadmArgs(res.apiServer)
		after, err = kubeadm.Patch(before, set, remove, apiserver.KubeadmVolumes(res.apiServer))
	case DexConfig:
		if res.dexConfig == nil {
			return FilePatch{}, fmt.Errorf("%s: the spec uses an external issuer, there is no dex config to merge", target)
		}
		var m dexconfig.Result
		m, err = dexconfig.Merge(before, res.dexConfig)
		after, notes = m.Config, m.Notes
		if len(m.Env) > 0 {
			notes = append(notes, fmt.Sprintf("the dex that reads %s must now have these environment variables: %s (authstack render keeps their values in the %s Secret it renders)", path, strings.Join(m.Env, ", "), DexEnvSecret))
		}
	default:
		return FilePatch{}, fmt.Errorf("unknown file kind %q", target)
	}
	if err != nil {
		return FilePatch{}, fmt.Errorf("%s %s: %w", target, path, err)
	}
	return FilePatch{Path: path, Before: before, After: after, Notes: notes}, nil
}
