package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

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
	patches, err := res.PatchTargets(render.Targets{KubesprayVars: f.KubesprayVars, KubeadmConfig: f.KubeadmConfig, APIServerManifest: f.APIServerManifest})
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	for _, p := range patches {
		// The files a patched file points at come first: a manifest
		// naming a missing file would stop the API server.
		for _, w := range p.Writes {
			if err := a.writeFile(w.Path, w.Data); err != nil {
				return err
			}
		}
		if err := a.writeFile(p.Path, p.After); err != nil {
			return err
		}
		if p.NextStep != "" {
			a.next(p.NextStep)
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
