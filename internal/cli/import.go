package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/kubeclient"
	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/importer"
)

type importFlags struct {
	in             doctor.Inputs
	opts           importer.Options
	installer      string
	output         string
	secretsFile    string
	report         string
	force          bool
	live           bool
	liveKubeconfig string
	context        string
	timeout        time.Duration
}

func newImport(streams IO) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Write the authstack.yaml of an existing, hand-made setup",
		Long: `import reads a setup made by hand - the API server's OIDC settings, dex's config,
oauth2-proxy configs, the Ingresses that protect apps with them, RBAC bindings -
from the same files doctor reads, or from the cluster with --live, and writes the
authstack.yaml that reproduces it.

Everything the spec cannot express is reported (stderr, or --report FILE), each
with the file and field it comes from: read the report before applying.

No secret is written into the spec. Client and cookie secrets in use are kept in
authstack's secrets file (authstack.secrets.yaml beside the spec), so render and
apply reuse them; a secret dex takes from its environment becomes a reference to
the same variable; one written into dex's config goes to a private file beside
the spec, which the spec references.

Then compare with the cluster and take over what exists:
  authstack apply -f authstack.yaml --diff --dry-run=server
  authstack apply -f authstack.yaml --adopt`,
		Example: `  authstack import --cluster-name prod --kubespray-vars inventory/prod/group_vars/k8s_cluster/k8s-cluster.yml \
    --dex-config dex/config.yaml --rbac rbac.yaml
  authstack import --cluster-name platform --kubernetes-version 1.29 --apiserver-manifest kube-apiserver.yaml \
    --dex-config config.yaml --manifests oauth2-proxy.yaml --rbac rbac.yaml -o authstack.yaml
  authstack import --live --cluster-name platform --kubernetes-version 1.33`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runImport(cmd.Context(), streams, f) },
	}
	fl := cmd.Flags()
	bindArtifactFlags(fl, &f.in)
	fl.StringVar(&f.opts.ClusterName, "cluster-name", "", "the cluster's name in the spec (required)")
	fl.StringVar(&f.opts.KubernetesVersion, "kubernetes-version", "", "the cluster's Kubernetes minor version, such as 1.33 (default: kubespray's kube_version or kubeadm's kubernetesVersion)")
	fl.StringVar(&f.installer, "installer", "", "kubespray, kubeadm, kind or authentication-config (default: from the API server file given)")
	fl.StringVar(&f.opts.Server, "server", "", "the API server URL users reach, for the kubeconfig")
	fl.StringVar(&f.opts.DexNamespace, "dex-namespace", "", "the namespace dex runs in, when its config came from a file (default dex)")
	fl.StringVarP(&f.output, "output", "o", "authstack.yaml", "where to write the spec")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFiles(yamlFiles...))
	fl.StringVar(&f.secretsFile, "secrets-file", "", "where to keep the imported secrets (default: authstack.secrets.yaml beside the spec)")
	fl.StringVar(&f.report, "report", "", "write the report of what the spec cannot express to this file instead of stderr")
	fl.BoolVar(&f.force, "force", false, "replace an existing spec (a backup is kept)")
	fl.BoolVar(&f.live, "live", false, "read the setup from the cluster of the current kubeconfig context too")
	fl.StringVar(&f.liveKubeconfig, "live-kubeconfig", "", "kubeconfig for --live (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context for --live")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of --live")
	completeWith(cmd, "installer", installerNames()...)
	return cmd
}

func runImport(ctx context.Context, streams IO, f *importFlags) error {
	if f.opts.ClusterName == "" {
		return usageError{errors.New("--cluster-name is required: the artifacts do not name the cluster")}
	}
	f.opts.Installer = v1alpha1.Installer(f.installer)
	m, err := doctor.Load(f.in)
	var inputErr *doctor.InputError
	if errors.As(err, &inputErr) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	// A file that does not parse would be imported as if it were absent.
	// A --manifests file holding only objects import does not read
	// (Namespaces, Services, Certificates) is not broken: say so, go on.
	for _, inv := range m.Invalid {
		if inv.Severity != doctor.Warning {
			return usageError{fmt.Errorf("import: %s; correct it first", inv.Message)}
		}
	}
	for _, inv := range m.Invalid {
		fmt.Fprintf(streams.Err, "note: %s\n", inv.Message)
	}
	var gaps []importer.Gap
	if f.live {
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		cfg, err := kubeclient.RESTConfig(f.liveKubeconfig, f.context)
		if err != nil {
			return fmt.Errorf("load kubeconfig: %w; pass --live-kubeconfig or set KUBECONFIG", err)
		}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		live, liveGaps, err := importer.CollectLive(ctx, m, client)
		if err != nil {
			return err
		}
		gaps = liveGaps
		f.opts.PodSelectors = live.PodSelectors
		if f.opts.Server == "" {
			f.opts.Server = cfg.Host
		}
	}
	res, err := importer.Import(m, f.opts)
	if err != nil {
		return err
	}
	res.Gaps = append(gaps, res.Gaps...)
	// The report first: it says what to look at even when writing fails.
	if err := writeReport(streams, f.report, res.Gaps); err != nil {
		return err
	}
	streams.Logf(1, "import: writing %s and its secrets", f.output)
	written, err := importer.Write(res, importer.WriteOptions{SpecPath: f.output, SecretsPath: f.secretsFile, Force: f.force, Warn: streams.Err})
	if err != nil {
		return err
	}
	for _, p := range written {
		fmt.Fprintf(streams.Err, "wrote %s\n", p)
	}
	fmt.Fprintf(streams.Err, "next: authstack apply -f %s --diff --dry-run=server, then authstack apply -f %s --adopt\n", f.output, f.output)
	return nil
}

func writeReport(streams IO, path string, gaps []importer.Gap) error {
	var b []byte
	b = fmt.Appendf(b, "%d setting(s) the spec does not reproduce as they are:\n", len(gaps))
	for _, g := range gaps {
		b = fmt.Appendf(b, "- %s\n", g)
	}
	if path == "" {
		_, err := streams.Err.Write(b)
		return err
	}
	if _, err := safefile.Write(path, b, safefile.Options{Mode: 0o644}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(streams.Err, "%d setting(s) not reproduced, listed in %s\n", len(gaps), path)
	return nil
}
