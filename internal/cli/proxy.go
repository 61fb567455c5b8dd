package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/kubeclient"
	"github.com/authstack/authstack/pkg/authproxy"
)

type proxyFlags struct {
	namespace, address, kubeconfig, context string
	port                                    int
	portSet, noBrowser                      bool
}

func newProxy(streams IO) *cobra.Command {
	f := &proxyFlags{}
	cmd := &cobra.Command{
		Use:   "proxy [SERVICE | svc/NAME | pod/NAME | https://SERVICE.svc]",
		Short: "Open the Kubernetes Dashboard or Headlamp as yourself, with your kubectl credential",
		Long: `Serve a web UI running in the cluster on 127.0.0.1 as the user of your
kubeconfig, without an Ingress or dex: authstack port-forwards to a ready Pod
behind the Service through the API server and adds your bearer token
(kubelogin and other exec plugins, aws eks get-token, gke-gcloud-auth-plugin,
static tokens, the oidc auth-provider) to every request, refreshed when it
expires. The UI sees exactly what kubectl would let you see.

Without a target it finds the Kubernetes Dashboard (v7 Helm chart or v2) or
Headlamp in every namespace you can list, or in -n. The arguments of
kauthproxy (https://SERVICE.svc, https://POD) work as well.

It listens on loopback only, answers only requests addressed to its own
address (DNS rebinding) and from its own pages (requests another site makes
your browser send are refused). A credential without a bearer token (client
certificates, basic auth, impersonation) is refused at start-up.`,
		Example: `  # find the dashboard and open it
  authstack proxy

  # Headlamp in kube-system, without opening a browser
  authstack proxy -n kube-system svc/headlamp --no-browser

  # kauthproxy's form
  authstack proxy -n kubernetes-dashboard https://kubernetes-dashboard.svc`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("%s takes at most one target, got %q", cmd.CommandPath(), args)}
			}
			return nil
		},
		ValidArgsFunction: completeServices,
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 1 {
				target = args[0]
			}
			f.portSet = cmd.Flags().Changed("port")
			return runProxy(cmd.Context(), streams, f, target)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace of the target (default: the kubeconfig context's); without a target, the only namespace to look for the dashboard in (default: all)")
	fl.StringVar(&f.address, "address", "127.0.0.1", "loopback address to listen on, or ADDRESS:PORT as kauthproxy takes it")
	fl.IntVar(&f.port, "port", authproxy.DefaultPort, "port to listen on")
	fl.BoolVar(&f.noBrowser, "no-browser", false, "print the URL without opening a browser")
	// kauthproxy's name for --no-browser, so its users' scripts keep working.
	fl.BoolVar(&f.noBrowser, "skip-open-browser", false, "same as --no-browser")
	_ = fl.MarkHidden("skip-open-browser")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context (default: the current one)")
	return cmd
}

func runProxy(ctx context.Context, streams IO, f *proxyFlags, arg string) error {
	target, err := authproxy.ParseTarget(arg)
	if err != nil {
		return usageError{err}
	}
	if host, port, err := net.SplitHostPort(f.address); err == nil {
		// kauthproxy's --address is HOST:PORT.
		n, err := strconv.Atoi(port)
		switch {
		case err != nil:
			return usageError{fmt.Errorf("--address %q: port %q is not a number", f.address, port)}
		case f.portSet && n != f.port:
			return usageError{fmt.Errorf("--address %q and --port %d name different ports; give one", f.address, f.port)}
		}
		f.address, f.port = host, n
	}
	if _, err := authproxy.CheckAddress(f.address); err != nil {
		return usageError{err}
	}
	loader := kubeclient.Loader(f.kubeconfig, f.context)
	cfg, err := loader.ClientConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w; pass --kubeconfig or set KUBECONFIG", err)
	}
	ns := f.namespace
	if ns == "" && target.Kind != authproxy.KindDashboard {
		if ns, _, err = loader.Namespace(); err != nil {
			return fmt.Errorf("namespace of the kubeconfig context: %w", err)
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	p := &authproxy.Proxy{
		Config:    cfg,
		Client:    client,
		Forwarder: &authproxy.PortForwarder{Config: cfg, Client: client, Log: streams.Err},
		Browser:   authproxy.OpenBrowser,
		Out:       streams.Out,
		Log:       streams.Err,
	}
	return p.Do(ctx, authproxy.Input{Target: target, Namespace: ns, Address: f.address, Port: f.port, OpenBrowser: !f.noBrowser})
}
