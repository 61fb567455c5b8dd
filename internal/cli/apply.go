package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/kubeclient"
	"github.com/authstack/authstack/pkg/apply"
	"github.com/authstack/authstack/pkg/config"
)

type applyFlags struct {
	file, kubeconfig, context  string
	secretsFile                string
	dryRun                     string
	diff, prune, force, wait   bool
	pruneNamespaces, pruneCRDs bool
	adopt                      bool
	coreDNSRewrite             bool
	allowUnprefixed            bool
	timeout                    time.Duration
	files                      apply.Files
}

func newApply(streams IO) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Install the stack into the cluster with server-side apply",
		Long: `Render the stack and apply it with server-side apply (field manager
"authstack"). Objects that would not change are not sent, so re-applying an
unchanged spec writes nothing. Generated secrets are kept in the Secret
authstack-generated and reused on every apply; values that authstack render
kept in the local secrets file are taken over on the first apply. Everything
is labeled as one ApplySet; --prune deletes what the spec no longer renders.

apply takes over no object it did not create: an object the spec renders
that already exists without this stack's ApplySet label is refused (listed
in the error) unless --adopt is given. Namespaces that already exist are
applied as shared and never become members, so no prune deletes them.
--prune never deletes a Namespace or CustomResourceDefinition, which would
delete everything in it, without --prune-namespaces or --prune-crds: it
lists them as kept.

The API server's OIDC settings cannot be applied through the API: pass the
file to patch (--kubespray-vars, --kubeadm-config), a path for the
AuthenticationConfiguration (--authentication-config-out), or the static pod
manifest of the node you are on (--apiserver-manifest); apply prints the
next step. Only the lines of the flags and mounts authstack owns change; all
files are checked before any is written.`,
		Example: `  # see what would change, then apply and wait for the proxies
  authstack apply -f authstack.yaml --diff --dry-run=server
  authstack apply -f authstack.yaml --wait

  # remove what a dropped app left behind
  authstack apply -f authstack.yaml --prune

  # also update a kubespray inventory
  authstack apply -f authstack.yaml --kubespray-vars inventory/prod/group_vars/k8s_cluster/k8s-cluster.yml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runApply(cmd.Context(), streams, f) },
	}
	bindApplyFlags(cmd.Flags(), f)
	fl := cmd.Flags()
	fl.StringVar(&f.dryRun, "dry-run", string(apply.DryRunNone), "none, client (send nothing) or server (the API server checks, stores nothing)")
	completeWith(cmd, "dry-run", string(apply.DryRunNone), string(apply.DryRunClient), string(apply.DryRunServer))
	fl.BoolVar(&f.diff, "diff", false, "print what would change as a unified diff on stdout (Secret values hidden)")
	fl.BoolVar(&f.wait, "wait", false, "wait until the Deployments are available")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	return cmd
}

// bindApplyFlags binds the flags apply and diff share: what to apply, where,
// and how ownership is handled.
func bindApplyFlags(fl *pflag.FlagSet, f *applyFlags) {
	fl.StringVarP(&f.file, "file", "f", "authstack.yaml", "the spec file")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context (default: the current one)")
	fl.StringVar(&f.secretsFile, "secrets-file", "", "local secrets file of authstack render whose values fill in generated secrets the cluster lacks (default: authstack.secrets.yaml next to the spec, when present)")
	fl.BoolVar(&f.prune, "prune", false, "delete objects of this stack's ApplySet that the spec no longer renders")
	fl.BoolVar(&f.pruneNamespaces, "prune-namespaces", false, "let --prune delete Namespaces of this stack, with everything in them")
	fl.BoolVar(&f.pruneCRDs, "prune-crds", false, "let --prune delete CustomResourceDefinitions of this stack, with all their custom resources")
	fl.BoolVar(&f.coreDNSRewrite, "coredns-rewrite", false, "put the stack's host rewrites into kube-system/coredns's Corefile so pods reach dex and the apps through the ingress controller (kind: *.127.0.0.1.nip.io is the pod itself); refuses a Corefile it cannot edit safely")
	fl.BoolVar(&f.adopt, "adopt", false, "make existing objects the spec renders members of this stack's ApplySet (apply takes them over; --prune may delete them later)")
	fl.BoolVar(&f.force, "force-conflicts", false, "take over fields that another field manager owns")
	fl.StringVar(&f.files.APIServerManifest, "apiserver-manifest", "", "edit this kube-apiserver static pod manifest (on a control-plane node)")
	fl.StringVar(&f.files.KubesprayVars, "kubespray-vars", "", "patch this kubespray group_vars/k8s_cluster/k8s-cluster.yml")
	fl.StringVar(&f.files.KubeadmConfig, "kubeadm-config", "", "patch this kubeadm config file")
	fl.StringVar(&f.files.AuthenticationConfigOut, "authentication-config-out", "", "write the AuthenticationConfiguration to this path")
	fl.BoolVar(&f.allowUnprefixed, "allow-unprefixed", false, "apply a spec without username or groups prefix (also needs spec.apiServer.allowUnprefixed)")
}

// newDiff is apply --diff --dry-run=server under its own name: what apply
// would change, computed by the API server, with Secret values hidden.
func newDiff(streams IO) *cobra.Command {
	f := &applyFlags{diff: true, dryRun: string(apply.DryRunServer), timeout: time.Minute}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what apply would change in the cluster, Secret values hidden",
		Long: `diff is authstack apply --diff --dry-run=server: the API server computes what
apply would change, nothing is stored, and the changes are printed as a unified
diff on stdout. Secret values are shown as ***. With --adopt and --prune it shows
what taking over existing objects and pruning would do.`,
		Example: `  authstack diff -f authstack.yaml
  authstack diff -f authstack.yaml --adopt   # after authstack import`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runApply(cmd.Context(), streams, f) },
	}
	bindApplyFlags(cmd.Flags(), f)
	return cmd
}

func runApply(ctx context.Context, streams IO, f *applyFlags) error {
	mode := apply.DryRun(f.dryRun)
	switch mode {
	case apply.DryRunNone, apply.DryRunClient, apply.DryRunServer:
	default:
		return usageError{fmt.Errorf("--dry-run must be none, client or server, not %q", f.dryRun)}
	}
	if f.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be positive, got %s", f.timeout)}
	}
	if (f.pruneNamespaces || f.pruneCRDs) && !f.prune {
		return usageError{fmt.Errorf("--prune-namespaces and --prune-crds need --prune")}
	}
	stack, err := config.LoadFile(f.file)
	if err != nil {
		return err
	}
	printWarnings(streams, stack)
	if f.secretsFile == "" {
		f.secretsFile = filepath.Join(stack.Dir, "authstack.secrets.yaml")
	}
	cfg, err := kubeclient.RESTConfig(f.kubeconfig, f.context)
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w; pass --kubeconfig or set KUBECONFIG", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	_, err = apply.Apply(ctx, stack, apply.Options{
		Config:          cfg,
		DryRun:          mode,
		Diff:            f.diff,
		Prune:           f.prune,
		PruneNamespaces: f.pruneNamespaces,
		PruneCRDs:       f.pruneCRDs,
		Adopt:           f.adopt,
		CoreDNSRewrite:  f.coreDNSRewrite,
		ForceConflicts:  f.force,
		Wait:            f.wait,
		Timeout:         f.timeout,
		AllowUnprefixed: f.allowUnprefixed,
		SecretsFile:     f.secretsFile,
		Files:           f.files,
		Out:             streams.Out,
		Log:             streams.Err,
		Progress:        writerIsTerminal(streams.Err) && os.Getenv("CI") == "",
		ClusterConfig: func(context string) (*rest.Config, error) {
			return kubeclient.RESTConfig(f.kubeconfig, context)
		},
	})
	return err
}

// writerIsTerminal reports whether w is a character device, such as a terminal.
func writerIsTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
