package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

type renderFlags struct {
	file          string
	outDir        string
	format        string
	secretsFile   string
	kustomizeDir  string
	kubesprayVars string
	kubeadmConfig string
	dexConfig     string
	inPlace       bool
}

func newRender(streams IO) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render every piece of the stack from authstack.yaml",
		Long: `Render dex, oauth2-proxy, ingress wiring, RBAC, the API server settings for the
cluster's installer, and a kubeconfig, all from one spec. Without -o the
result is one YAML stream on stdout. Generated secrets are kept in the
secrets file (created on first use, mode 0600) so that rendering again
gives the same output.

With --kubespray-vars, --kubeadm-config or --dex-config, authstack patches
your existing file, changing only what it owns: without --in-place it
prints a unified diff, with --in-place it writes the file atomically and
keeps a backup next to it. Each file must be the kind its flag names, and
not a symbolic link: authstack never writes through links.`,
		Example: `  # everything on stdout
  authstack render -f authstack.yaml

  # a directory, as a kustomize base for a GitOps repository
  authstack render -f authstack.yaml -o out --format kustomize

  # show, then apply, the change to a kubespray inventory
  authstack render -f authstack.yaml --kubespray-vars inventory/prod/group_vars/k8s_cluster/k8s-cluster.yml
  authstack render -f authstack.yaml --kubespray-vars inventory/prod/group_vars/k8s_cluster/k8s-cluster.yml --in-place`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return runRender(streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "authstack.yaml", "the spec file")
	fl.StringVarP(&f.outDir, "output-dir", "o", "", "write files under this directory instead of stdout")
	fl.StringVar(&f.format, "format", render.FormatYAML, "output directory format: yaml; kustomize (a base for Git: kustomization.yaml with a secretGenerator reading secrets/, kept out of Git by .gitignore); or kustomize-external (the same without Secrets, for an external secret manager: SECRETS.md lists them)")
	completeWith(cmd, "format", render.FormatYAML, render.FormatKustomize, render.FormatKustomizeExternal)
	fl.StringVar(&f.secretsFile, "secrets-file", "", "where generated secrets are kept (default: authstack.secrets.yaml next to the spec)")
	fl.StringVar(&f.kustomizeDir, "kustomize", "", "a directory with a kustomization.yaml applied to the manifests (overrides spec.kustomize.dir)")
	fl.StringVar(&f.kubesprayVars, "kubespray-vars", "", "patch this kubespray group_vars/k8s_cluster/k8s-cluster.yml")
	fl.StringVar(&f.kubeadmConfig, "kubeadm-config", "", "patch this kubeadm config file")
	fl.StringVar(&f.dexConfig, "dex-config", "", "merge the stack's clients and connectors into this existing dex config file or dex Helm chart values file")
	fl.BoolVar(&f.inPlace, "in-place", false, "write patched files (a backup is kept as FILE.authstack.bak) instead of printing a diff")
	return cmd
}

func runRender(streams IO, f *renderFlags) error {
	switch f.format {
	case render.FormatYAML:
	case render.FormatKustomize, render.FormatKustomizeExternal:
		if f.outDir == "" {
			return usageError{fmt.Errorf("--format %s needs -o DIR", f.format)}
		}
	default:
		return usageError{fmt.Errorf("--format must be yaml or kustomize (or kustomize-external), not %q", f.format)}
	}
	stack, err := config.LoadFile(f.file)
	if err != nil {
		return err
	}
	printWarnings(streams, stack)
	store := &secrets.FileStore{Path: f.secretsFile, Dir: stack.Dir, Warn: streams.Err}
	if store.Path == "" {
		store.Path = filepath.Join(stack.Dir, "authstack.secrets.yaml")
	}
	res, err := render.Render(stack, render.Options{Secrets: store, KustomizeDir: f.kustomizeDir, OutputDir: f.outDir})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(streams.Err, "warning: %s\n", w)
	}
	if saved, err := store.Save(); err != nil {
		return err
	} else if saved {
		fmt.Fprintf(streams.Err, "generated secrets kept in %s (keep it private, out of version control)\n", store.Path)
	}

	patches, err := res.PatchTargets(render.Targets{KubesprayVars: f.kubesprayVars, KubeadmConfig: f.kubeadmConfig, DexConfig: f.dexConfig})
	if err != nil {
		return err
	}
	patched := len(patches) > 0
	for _, p := range patches {
		for _, n := range p.Notes {
			fmt.Fprintf(streams.Err, "note: %s\n", n)
		}
		switch {
		case !p.Changed():
			fmt.Fprintf(streams.Err, "%s is up to date\n", p.Path)
		case f.inPlace:
			for _, w := range p.Writes {
				if _, err := patch.WriteFileAtomic(w.Path, w.Data); err != nil {
					return err
				}
			}
			backup, err := patch.WriteFileAtomic(p.Path, p.After)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Err, "patched %s (backup: %s)\n", p.Path, backup)
		default:
			fmt.Fprint(streams.Out, patch.UnifiedDiff(p.Path, p.Before, p.After))
		}
	}
	if patched && f.outDir == "" {
		return nil
	}
	if f.outDir != "" {
		written, err := res.WriteDir(f.outDir, f.format)
		if err != nil {
			return err
		}
		fmt.Fprintf(streams.Err, "wrote %d files under %s\n", len(written), f.outDir)
		return nil
	}
	out, err := res.Stream()
	if err != nil {
		return err
	}
	_, err = streams.Out.Write(out)
	return err
}
