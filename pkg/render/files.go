package render

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/patch/dexconfig"
	"github.com/authstack/authstack/pkg/patch/kubeadm"
	"github.com/authstack/authstack/pkg/patch/kubespray"
	"github.com/authstack/authstack/pkg/patch/staticpod"
	"github.com/authstack/authstack/pkg/render/apiserver"
)

// Target is a user's existing file that authstack patches in place.
type Target string

// The files authstack knows how to patch.
const (
	KubesprayVars     Target = "kubespray-vars"
	KubeadmConfig     Target = "kubeadm-config"
	DexConfig         Target = "dex-config"
	APIServerManifest Target = "apiserver-manifest"
)

// Targets names the user's files to patch, one per kind; an empty path is
// not patched.
type Targets struct {
	KubesprayVars, KubeadmConfig, DexConfig, APIServerManifest string
}

// FilePatch is the before and after of a patched file.
type FilePatch struct {
	Target Target
	Path   string
	Before []byte
	After  []byte
	// Writes are files on this node that After points at: they must be
	// written before it (the API server's AuthenticationConfiguration or
	// issuer CA next to its static pod manifest).
	Writes []File
	// Notes say what the user must do or know besides writing After, such
	// as the environment variables the patched dex config now reads.
	Notes []string
	// NextStep is the command that makes the change take effect, if any.
	NextStep string
}

// Changed reports whether the patch changes the file.
func (p FilePatch) Changed() bool { return string(p.Before) != string(p.After) }

// checkTarget tells whether a file is the kind its flag names, before it is
// patched: a patcher given some other YAML (the spec itself, a Deployment)
// would otherwise write the API server's settings into it.
var checkTarget = map[Target]func([]byte) error{
	KubesprayVars:     kubespray.CheckTarget,
	KubeadmConfig:     kubeadm.CheckTarget,
	DexConfig:         dexconfig.CheckTarget,
	APIServerManifest: staticpod.CheckTarget,
}

// PatchTargets computes the patches of every file named in t, in one fixed
// order, and returns them only when all succeed: a caller writes nothing
// when one of the files cannot be patched. It is the one entry point that
// render and apply use.
func (res *Result) PatchTargets(t Targets) ([]FilePatch, error) {
	var out []FilePatch
	for _, f := range []struct {
		target Target
		path   string
	}{{KubesprayVars, t.KubesprayVars}, {KubeadmConfig, t.KubeadmConfig}, {DexConfig, t.DexConfig}, {APIServerManifest, t.APIServerManifest}} {
		if f.path == "" {
			continue
		}
		p, err := res.Patch(f.target, f.path)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
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
	p := FilePatch{Target: target, Path: path, Before: before}
	in := res.apiServer
	if in.Spec != nil && in.Spec.ProxyMode() && target != DexConfig {
		return FilePatch{}, fmt.Errorf("%s %s: apiServer.mode is proxy, which leaves the API server's settings as they are; there is nothing to patch (use apiServer.mode authentication-config or flags to configure the API server itself)", target, path)
	}
	switch target {
	case KubesprayVars:
		vars, verr := apiserver.KubesprayVars(in)
		if verr != nil {
			return FilePatch{}, verr
		}
		p.After, err = kubespray.Patch(before, vars)
		p.NextStep = apiserver.KubesprayNextStep(kubesprayInventory(path))
	case KubeadmConfig:
		set, remove := apiserver.KubeadmArgs(in)
		p.After, err = kubeadm.Patch(before, set, remove, apiserver.KubeadmVolumes(in))
		p.NextStep = fmt.Sprintf("on each control-plane node: kubeadm init phase control-plane apiserver --config %[1]s; once, so that upgrades keep the settings: kubeadm init phase upload-config kubeadm --config %[1]s", path)
	case APIServerManifest:
		flags := apiserver.Flags(in.Spec, in.CAPEM != "")
		if err := apiserver.CheckFlags(flags); err != nil {
			return FilePatch{}, err
		}
		p.After, err = staticpod.Patch(before, flags, apiserver.RemovedFlags(in.Spec), apiserver.StaticPodMounts(in))
		for _, f := range apiserver.NodeFiles(in) {
			p.Writes = append(p.Writes, File{Path: f.Path, Data: f.Data})
		}
		p.NextStep = "the kubelet restarts kube-apiserver from " + path + " by itself; watch it come back with: kubectl get --raw /readyz"
	case DexConfig:
		if res.dexConfig == nil {
			return FilePatch{}, fmt.Errorf("%s: the spec uses an external issuer, there is no dex config to merge", target)
		}
		var m dexconfig.Result
		m, err = dexconfig.Merge(before, res.dexConfig)
		p.After, p.Notes = m.Config, m.Notes
		if len(m.Env) > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("the dex that reads %s must now have these environment variables: %s (authstack render keeps their values in the %s Secret it renders)", path, strings.Join(m.Env, ", "), DexEnvSecret))
		}
	default:
		return FilePatch{}, fmt.Errorf("unknown file kind %q", target)
	}
	if err != nil {
		return FilePatch{}, fmt.Errorf("%s %s: %w", target, path, err)
	}
	return p, nil
}

// kubesprayInventory is the inventory file of a group_vars file, for the
// playbook command.
func kubesprayInventory(varsPath string) string {
	dir := filepath.Dir(varsPath)
	for d := dir; d != "." && d != "/" && d != ""; d = filepath.Dir(d) {
		if filepath.Base(d) == "group_vars" {
			return filepath.Join(filepath.Dir(d), "hosts.yaml")
		}
	}
	return filepath.Join(dir, "hosts.yaml")
}
