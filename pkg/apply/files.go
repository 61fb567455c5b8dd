package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/apiserver"
)

// checkPrefixes refuses a spec whose tokens could claim names the cluster
// trusts (system: users and groups), the way validation does, in case the
// spec was built in code or validation was skipped.
func checkPrefixes(stack *config.Stack, allow bool) error {
	a := stack.Spec.APIServer
	for _, p := range []struct {
		field string
		value *string
	}{{"spec.apiServer.usernamePrefix", a.UsernamePrefix}, {"spec.apiServer.groupsPrefix", a.GroupsPrefix}} {
		v := v1alpha1.DefaultPrefix
		if p.value != nil {
			v = *p.value
		}
		if (v == "" || v == "-") && !(allow && a.AllowUnprefixed) {
			return fmt.Errorf("apply: %s is %q: without a prefix a token could claim system: users or groups and lock the admin out or take over the cluster; keep a prefix such as %q, or set spec.apiServer.allowUnprefixed and pass --allow-unprefixed", p.field, v, v1alpha1.DefaultPrefix)
		}
	}
	return nil
}

// files writes or patches the API server's files on disk.
func (a *applier) files(res *render.Result) error {
	f := a.opts.Files
	spec := &a.stack.Spec
	if f.AuthenticationConfigOut != "" {
		data := findFile(res, apiserver.AuthConfigFile)
		if data == nil {
			return fmt.Errorf("--authentication-config-out: spec.apiServer.mode is %q; set it to %q to use an AuthenticationConfiguration file", spec.APIServer.Mode, v1alpha1.ModeAuthConfig)
		}
		if err := a.writeFile(f.AuthenticationConfigOut, data); err != nil {
			return err
		}
		a.next(fmt.Sprintf("point kube-apiserver at it: --%s=%s (or copy it to %s on every control-plane node)", apiserver.AuthConfigFlag, f.AuthenticationConfigOut, spec.APIServer.AuthenticationConfigPath))
	}
	for _, t := range []struct {
		target render.Target
		path   string
	}{{render.KubesprayVars, f.KubesprayVars}, {render.KubeadmConfig, f.KubeadmConfig}} {
		if t.path == "" {
			continue
		}
		p, err := res.Patch(t.target, t.path)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if err := a.writeFile(t.path, p.After); err != nil {
			return err
		}
		if t.target == render.KubesprayVars {
			a.next(apiserver.KubesprayNextStep(kubesprayInventory(t.path)))
		} else {
			a.next(fmt.Sprintf("on each control-plane node: kubeadm init phase control-plane apiserver --config %[1]s; once, so that upgrades keep the settings: kubeadm init phase upload-config kubeadm --config %[1]s", t.path))
		}
	}
	if f.APIServerManifest != "" {
		if err := a.staticPod(res, f.APIServerManifest); err != nil {
			return err
		}
	}
	for _, s := range a.sum.NextSteps {
		fmt.Fprintf(a.opts.Log, "next step: %s\n", s)
	}
	return nil
}

func (a *applier) next(s string) { a.sum.NextSteps = append(a.sum.NextSteps, s) }

func findFile(res *render.Result, path string) []byte {
	for _, f := range res.Files {
		if f.Path == path {
			return f.Data
		}
	}
	return nil
}

// writeFile writes data atomically when it differs (printing a diff with
// --diff), keeping a backup of the old file.
func (a *applier) writeFile(path string, data []byte) error {
	before, err := safefile.ReadNoFollow(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("apply: %w", err)
	}
	if bytes.Equal(before, data) {
		fmt.Fprintf(a.opts.Log, "%s is up to date\n", path)
		return nil
	}
	if a.opts.Diff {
		fmt.Fprint(a.opts.Out, patch.UnifiedDiff(path, before, data))
	}
	if a.opts.DryRun != DryRunNone {
		fmt.Fprintf(a.opts.Log, "%s would change (dry run)\n", path)
		return nil
	}
	backup, err := patch.WriteFileAtomic(path, data)
	if err != nil {
		return fmt.Errorf("apply: write %s: %w", path, err)
	}
	if backup != "" {
		fmt.Fprintf(a.opts.Log, "wrote %s (backup: %s)\n", path, backup)
	} else {
		fmt.Fprintf(a.opts.Log, "wrote %s\n", path)
	}
	return nil
}

// kubesprayInventory is the inventory directory of a group_vars file.
func kubesprayInventory(varsPath string) string {
	dir := filepath.Dir(varsPath)
	for d := dir; d != "." && d != "/" && d != ""; d = filepath.Dir(d) {
		if filepath.Base(d) == "group_vars" {
			return filepath.Join(filepath.Dir(d), "hosts.yaml")
		}
	}
	return filepath.Join(dir, "hosts.yaml")
}

// staticPod edits a kube-apiserver static pod manifest on this node: it
// writes the files the flags point at, sets the flags, removes the flags of
// the other mode and mounts the files. The kubelet restarts the API server
// when the manifest changes.
func (a *applier) staticPod(res *render.Result, path string) error {
	spec := &a.stack.Spec
	data, err := safefile.ReadNoFollow(path)
	if err != nil {
		return fmt.Errorf("--apiserver-manifest: %w", err)
	}
	// The kind first: any other object (a Deployment with a kube-apiserver
	// container, say) is not what the kubelet runs from this file.
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil || tm.APIVersion != "v1" || tm.Kind != "Pod" {
		return fmt.Errorf("--apiserver-manifest %s: not a static pod manifest: expected apiVersion v1 and kind Pod (the kubelet's /etc/kubernetes/manifests/kube-apiserver.yaml), found apiVersion %q, kind %q", path, tm.APIVersion, tm.Kind)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		return fmt.Errorf("--apiserver-manifest %s: not a Pod manifest: %w", path, err)
	}
	var c *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == "kube-apiserver" {
			c = &pod.Spec.Containers[i]
		}
	}
	if c == nil {
		return fmt.Errorf("--apiserver-manifest %s: no container named kube-apiserver", path)
	}
	caPEM := findFile(res, apiserver.CAFile)
	// Files the API server reads, written before the manifest points at them.
	var mounts []corev1.VolumeMount
	var vols []corev1.Volume
	addFile := func(name, hostPath string, content []byte) error {
		if err := a.writeFile(hostPath, content); err != nil {
			return err
		}
		if strings.HasPrefix(hostPath, "/etc/kubernetes/pki/") {
			return nil // kubeadm mounts this directory already
		}
		ft := corev1.HostPathFile
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostPath, Type: &ft}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: hostPath, ReadOnly: true})
		return nil
	}
	if spec.APIServer.Mode == v1alpha1.ModeAuthConfig {
		if err := addFile("authstack-authentication-config", spec.APIServer.AuthenticationConfigPath, findFile(res, apiserver.AuthConfigFile)); err != nil {
			return err
		}
	} else if caPEM != nil {
		if err := addFile("authstack-oidc-ca", spec.APIServer.IssuerCAPath, caPEM); err != nil {
			return err
		}
	}
	args := &c.Command
	if len(c.Args) > 0 {
		args = &c.Args
	}
	*args = setFlags(*args, apiserver.Flags(spec, caPEM != nil), apiserver.RemovedFlags(spec))
	for _, v := range vols {
		pod.Spec.Volumes = upsertVolume(pod.Spec.Volumes, v)
	}
	for _, m := range mounts {
		c.VolumeMounts = upsertMount(c.VolumeMounts, m)
	}
	out, err := yaml.Marshal(&pod)
	if err != nil {
		return fmt.Errorf("--apiserver-manifest: %w", err)
	}
	out = bytes.ReplaceAll(out, []byte("  creationTimestamp: null\n"), nil)
	out = bytes.ReplaceAll(out, []byte("status: {}\n"), nil)
	if err := a.writeFile(path, out); err != nil {
		return err
	}
	a.next("the kubelet restarts kube-apiserver from " + path + " by itself; watch it come back with: kubectl get --raw /readyz")
	return nil
}

// setFlags sets each flag (replacing its old value) and drops the removed ones.
func setFlags(args []string, set []apiserver.Flag, remove []string) []string {
	drop := map[string]bool{}
	for _, r := range remove {
		drop[r] = true
	}
	for _, f := range set {
		drop[f.Name] = true
	}
	var out []string
	for _, a := range args {
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		if strings.HasPrefix(a, "--") && drop[name] {
			continue
		}
		out = append(out, a)
	}
	for _, f := range set {
		out = append(out, "--"+f.Name+"="+f.Value)
	}
	return out
}

func upsertVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	for i := range vols {
		if vols[i].Name == v.Name {
			vols[i] = v
			return vols
		}
	}
	return append(vols, v)
}

func upsertMount(ms []corev1.VolumeMount, m corev1.VolumeMount) []corev1.VolumeMount {
	for i := range ms {
		if ms[i].Name == m.Name {
			ms[i] = m
			return ms
		}
	}
	return append(ms, m)
}
