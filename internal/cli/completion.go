package cli

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/kubeclient"
	"github.com/authstack/authstack/pkg/config"
)

// clusterCompletionTimeout bounds the API server call a completion makes: a
// shell waits for it on every Tab, so an unreachable cluster must cost a
// moment, not the client's default 32 s dial.
const clusterCompletionTimeout = 2 * time.Second

// yamlFiles are the extensions of the YAML files flags take.
var yamlFiles = []string{"yaml", "yml"}

// flagCompletions completes each flag by its name, the same way in every
// command: a flag named --context always lists kubeconfig contexts. Flags
// with a fixed set of values register theirs next to the flag instead.
var flagCompletions = map[string]cobra.CompletionFunc{
	"context":   completeContexts,
	"namespace": completeNamespaces,
	"user":      completeSpecUsers,

	// Specs, manifests and installer files: YAML.
	"file":                      completeFiles(yamlFiles...),
	"kubespray-vars":            completeFiles(yamlFiles...),
	"kubeadm-config":            completeFiles(yamlFiles...),
	"dex-config":                completeFiles(yamlFiles...),
	"apiserver-manifest":        completeFiles(yamlFiles...),
	"authentication-config":     completeFiles(yamlFiles...),
	"authentication-config-out": completeFiles(yamlFiles...),
	"ingress":                   completeFiles(yamlFiles...),
	"rbac":                      completeFiles(yamlFiles...),
	"manifests":                 completeFiles(yamlFiles...),
	"secrets-file":              completeFiles(yamlFiles...),
	"kuberc":                    completeFiles(yamlFiles...),
	"oauth2-proxy-config":       completeFiles(append([]string{"cfg"}, yamlFiles...)...),
	"jwks":                      completeFiles("json"),
	// Files of any name.
	"kubeconfig":      completeFiles(),
	"live-kubeconfig": completeFiles(),
	"token":           completeFiles(),
	"password-file":   completeFiles(),
	"report":          completeFiles(),
	// Directories.
	"output-dir":  completeDirs,
	"kustomize":   completeDirs,
	"images-from": completeDirs,
}

// freeText are flags whose value nothing can guess (a name, a URL, a time):
// no completion, and no file names offered either.
var freeText = []string{"cluster-name", "kubernetes-version", "server", "dex-namespace", "address", "now", "symptom", "timeout", "port", "name", "node-image"}

// registerCompletions gives every flag of every command under root its
// completion from flagCompletions, unless the command registered its own.
func registerCompletions(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if _, ok := cmd.GetFlagCompletionFunc(f.Name); ok {
				return
			}
			if fn, ok := flagCompletions[f.Name]; ok {
				_ = cmd.RegisterFlagCompletionFunc(f.Name, fn)
			} else if slices.Contains(freeText, f.Name) {
				_ = cmd.RegisterFlagCompletionFunc(f.Name, cobra.NoFileCompletions)
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}

func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		if len(exts) == 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// kubeconfigOf is the kubeconfig the command's own flags name, so that
// completing --context after --kubeconfig X lists X's contexts.
func kubeconfigOf(cmd *cobra.Command) (path, context string) {
	for _, name := range []string{"kubeconfig", "live-kubeconfig"} {
		if v, err := cmd.Flags().GetString(name); err == nil && v != "" {
			path = v
		}
	}
	context, _ = cmd.Flags().GetString("context")
	return path, context
}

func completeContexts(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	path, _ := kubeconfigOf(cmd)
	raw, err := kubeclient.Loader(path, "").RawConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(raw.Contexts))
	for name := range raw.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completionClient is a client for the cluster the command would talk to,
// bounded by clusterCompletionTimeout, with the namespace of its context.
// An exec credential plugin or auth provider is not run: it may open a
// browser or ask on the terminal (kubelogin), not while the shell completes
// a word. Any failure gives ok false, and the completion offers nothing
// rather than an error.
func completionClient(cmd *cobra.Command) (client kubernetes.Interface, namespace string, ok bool) {
	path, kubeContext := kubeconfigOf(cmd)
	loader := kubeclient.Loader(path, kubeContext)
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, "", false
	}
	cfg.Timeout = clusterCompletionTimeout
	cfg.ExecProvider = nil
	cfg.AuthProvider = nil
	client, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", false
	}
	namespace, _, _ = loader.Namespace()
	if ns, _ := cmd.Flags().GetString("namespace"); ns != "" {
		namespace = ns
	}
	return client, namespace, true
}

// completeNamespaces lists the namespaces of the cluster.
func completeNamespaces(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	client, _, ok := completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), clusterCompletionTimeout)
	defer cancel()
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeServices lists the Services of the namespace the command targets
// (-n, else the context's), for proxy's SERVICE argument.
func completeServices(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	client, namespace, ok := completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), clusterCompletionTimeout)
	defer cancel()
	list, err := client.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list.Items))
	for _, svc := range list.Items {
		names = append(names, svc.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeSpecUsers lists the users the spec at -f names: static test users,
// and the users RBAC grants access to.
func completeSpecUsers(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	path, _ := cmd.Flags().GetString("file")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	spec, err := config.Parse(path, data)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var users []string
	if dex := spec.Spec.Issuer.Dex; dex != nil {
		for _, c := range dex.Connectors {
			if c.Static != nil {
				for _, u := range c.Static.Users {
					users = append(users, u.Email)
				}
			}
		}
	}
	for _, u := range spec.Spec.RBAC.Users {
		users = append(users, u.Name)
	}
	for _, u := range spec.Spec.RBAC.UserNamespaces {
		users = append(users, u.User)
	}
	slices.Sort(users)
	return slices.Compact(users), cobra.ShellCompDirectiveNoFileComp
}
