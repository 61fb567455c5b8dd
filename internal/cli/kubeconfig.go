package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/render/kubeconfig"
)

type kubeconfigFlags struct {
	file        string
	user        string
	output      string
	merge       bool
	force       bool
	kuberc      string
	format      string
	secretsFile string
}

func newKubeconfig(streams IO) *cobra.Command {
	f := &kubeconfigFlags{}
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Write the kubeconfig users log in with (kubelogin), and a kuberc that allows it",
		Long: `Write a kubeconfig for the cluster in authstack.yaml: its server and CA, and a
user whose token comes from kubelogin (kubectl-oidc_login get-token) as a
client.authentication.k8s.io/v1 exec credential plugin (interactiveMode
IfAvailable: a browser opens when a login is needed).

Without -o the kubeconfig goes to stdout. --merge adds the cluster, user and
context to an existing kubeconfig (-o, or $KUBECONFIG, or ~/.kube/config)
without touching its other entries; the previous file is kept as a backup.
The user entry is named after the person, cluster, issuer and kubectl client
(oidc-alice-example-com@prod/dex.example.com/kubernetes), so the logins of
several clusters live side by side. An entry of the same name with other
settings is never replaced silently: --merge stops, unless --force.

kubectl 1.35+ can restrict which credential plugins run with a kuberc
(kubectl.config.k8s.io/v1beta1 Preference, credentialPluginPolicy Allowlist).
The matching snippet is printed on stderr, or written with --kuberc FILE.`,
		Example: `  # to stdout
  authstack kubeconfig -f authstack.yaml

  # into your kubeconfig, next to your other clusters
  authstack kubeconfig -f authstack.yaml --user alice@example.com --merge

  # a file for a colleague, and the kuberc allowlist next to it
  authstack kubeconfig -f authstack.yaml --user bob@example.com -o bob.kubeconfig --kuberc bob.kuberc`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return runKubeconfig(streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "authstack.yaml", "the spec file")
	fl.StringVar(&f.user, "user", "", "the user (email) it is for: names the user entry and prefills the login form")
	fl.StringVarP(&f.output, "output", "o", "", "write to this file instead of stdout (with --merge: the kubeconfig to merge into)")
	fl.BoolVar(&f.merge, "merge", false, "merge into an existing kubeconfig (-o, $KUBECONFIG or ~/.kube/config), keeping its other entries")
	fl.BoolVar(&f.force, "force", false, "with --merge, replace existing clusters, users and contexts of the same names whose settings differ (default: refuse and write nothing)")
	fl.StringVar(&f.kuberc, "kuberc", "", "write the kuberc credential plugin allowlist to this file instead of stderr")
	fl.StringVar(&f.format, "format", "yaml", "output format: yaml or json")
	completeWith(cmd, "format", "yaml", "json")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFiles())
	fl.StringVar(&f.secretsFile, "secrets-file", "", "secrets file of authstack render, for a confidential kubectl client (default: authstack.secrets.yaml next to the spec)")
	completeWith(cmd, "format", "yaml", "json")
	return cmd
}

func runKubeconfig(streams IO, f *kubeconfigFlags) error {
	if f.format != "yaml" && f.format != "json" {
		return usageError{fmt.Errorf("--format must be yaml or json, not %q", f.format)}
	}
	if f.force && !f.merge {
		return usageError{errors.New("--force only applies to --merge")}
	}
	if f.merge && f.format == "json" {
		return usageError{errors.New("--merge writes the kubeconfig's own format; drop --format json")}
	}
	if f.kuberc != "" {
		if _, err := os.Stat(f.kuberc); err == nil {
			return usageError{fmt.Errorf("--kuberc %s exists and authstack does not edit kuberc files: name a new file and merge its credentialPluginAllowlist into yours", f.kuberc)}
		}
	}
	stack, err := config.LoadFile(f.file)
	if err != nil {
		return err
	}
	streams.Logf(2, "kubeconfig: loaded %s (cluster %s, issuer %s)", f.file, stack.Spec.Cluster.Name, stack.Spec.IssuerURL())
	secretsFile := f.secretsFile
	if secretsFile == "" {
		secretsFile = filepath.Join(stack.Dir, "authstack.secrets.yaml")
	}
	// Only --merge writes the user's own kubeconfig; stdout and -o make one
	// to hand out.
	in, err := kubeconfig.ForStack(stack, kubeconfig.StackOptions{User: f.user, SecretsFile: secretsFile, Private: f.merge})
	if err != nil {
		return err
	}
	data, err := kubeconfig.Render(in)
	if err != nil {
		return err
	}

	switch {
	case f.merge:
		target := f.output
		if target == "" {
			target = defaultKubeconfig()
		}
		streams.Logf(1, "kubeconfig: merging into %s", target)
		existing, err := safefile.ReadNoFollow(target)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read %s: %w", target, err)
		}
		merged, err := kubeconfig.Merge(existing, data, kubeconfig.MergeOptions{Force: f.force})
		if err != nil {
			return fmt.Errorf("merge into %s: %w", target, err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		backup, err := writeKubeconfig(target, merged)
		if err != nil {
			return err
		}
		cfg, err := clientcmd.Load(data)
		if err != nil {
			return err
		}
		fmt.Fprintf(streams.Err, "merged context %s into %s", cfg.CurrentContext, target)
		if backup != "" {
			fmt.Fprintf(streams.Err, " (previous file kept as %s)", backup)
		}
		fmt.Fprintf(streams.Err, "\ntry it: kubectl --context %s get namespaces\n", cfg.CurrentContext)
		if in.ClientSecret != "" {
			fmt.Fprintf(streams.Err, "warning: %s now holds the kubectl client's secret (kubelogin's --oidc-client-secret): keep it to yourself; a public kubectl client (spec.kubectl.public: true) needs none\n", target)
		}
	default:
		if f.format == "json" {
			if data, err = toJSON(data); err != nil {
				return err
			}
		}
		if f.output == "" {
			if _, err := streams.Out.Write(data); err != nil {
				return err
			}
			break
		}
		if _, err := writeKubeconfig(f.output, data); err != nil {
			return err
		}
		fmt.Fprintf(streams.Err, "wrote %s\n", f.output)
	}
	return writeKuberc(streams, f.kuberc)
}

func writeKuberc(streams IO, path string) error {
	rc, err := kubeconfig.Kuberc()
	if err != nil {
		return err
	}
	if path == "" {
		fmt.Fprintf(streams.Err, "\nto allow only this credential plugin, put this in ~/.kube/kuberc (or pass --kuberc FILE):\n%s", rc)
		return nil
	}
	if _, err := patch.WriteFileAtomic(path, rc); err != nil {
		return err
	}
	fmt.Fprintf(streams.Err, "wrote %s (use it with KUBERC=%s, or copy it to ~/.kube/kuberc)\n", path, path)
	return nil
}

// writeKubeconfig replaces the kubeconfig at path, leaving it and the
// backup of the previous file at kubeconfig.FileMode: an existing file
// readable by others is tightened first, as the atomic write keeps the
// mode it finds.
func writeKubeconfig(path string, data []byte) (backup string, err error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != kubeconfig.FileMode {
		if err := os.Chmod(path, kubeconfig.FileMode); err != nil {
			return "", fmt.Errorf("make %s private: %w", path, err)
		}
	}
	return patch.WriteFileAtomic(path, data)
}

// defaultKubeconfig is where kubectl reads its config: the first file of
// $KUBECONFIG, else ~/.kube/config.
func defaultKubeconfig() string {
	if paths := filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar)); len(paths) > 0 && paths[0] != "" {
		return paths[0]
	}
	return clientcmd.RecommendedHomeFile
}

func toJSON(y []byte) ([]byte, error) {
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, j, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
