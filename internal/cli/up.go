package cli

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"

	"github.com/authstack/authstack/pkg/up"
)

type upFlags struct {
	file, name, nodeImage, imagesFrom, kubeconfig string
}

const defaultUpName = "authstack"

func newUp(streams IO) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole stack on a new local kind cluster, with test users",
		Long: `Create a kind cluster from the rendered kind config (kind as a library, Docker
needed), an nginx edge on the host's port 443 that honours the rendered
Ingress auth annotations, the stack with dex's static test users, and a demo
app per identity mode; then print the URLs, the test users and the kubectl
command to log in.

Without -f the built-in demo spec is used: its users get passwords generated
for this cluster, printed once and kept only in the state directory
($XDG_STATE_HOME/authstack/up/NAME, mode 0600), never in a file meant for
Git. With -f, the spec must use installer: kind and dex; its static users
keep their passwords.

kind adds the admin context kind-NAME to your kubeconfig; authstack down
removes it with the cluster. up never touches a cluster it did not create.

By default kind's node image and upstream images are pulled. Where they cannot
be (no registry access), --node-image and --images-from take locally built
images (hack/kind/images.sh): a directory holding its images.env, or "env"
for its variables in the environment.`,
		Example: `  # the demo on a laptop with Docker
  authstack up
  authstack down

  # your kind spec, locally built images
  authstack up -f authstack.yaml --images-from ~/.cache/authstack-e2e/kind`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUp(cmd.Context(), streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the spec file (default: the built-in demo)")
	fl.StringVar(&f.name, "name", defaultUpName, "name of the kind cluster")
	fl.StringVar(&f.nodeImage, "node-image", "", "kind node image (default: kind's, or the one --images-from names)")
	fl.StringVar(&f.imagesFrom, "images-from", "", `locally built images: a directory holding hack/kind/images.sh's images.env, or "env" for its variables`)
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig kind adds the admin context to (default: the first of $KUBECONFIG, or ~/.kube/config)")
	return cmd
}

func runUp(ctx context.Context, streams IO, f *upFlags) error {
	images, err := up.ResolveImages(f.imagesFrom, f.nodeImage, os.Getenv)
	if err != nil {
		return usageError{err}
	}
	stateDir, err := up.StateDir(f.name, os.Getenv)
	if err != nil {
		return err
	}
	kubeconfig := f.kubeconfig
	if kubeconfig == "" {
		kubeconfig = defaultKubeconfig()
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	u := &up.Up{Kind: up.NewKind(kindcmd.NewLogger()), Docker: up.NewDocker(), Out: streams.Out, Log: streams.Err}
	s, err := u.Do(ctx, up.Input{
		SpecFile:   f.file,
		Name:       f.name,
		Images:     images,
		Kubeconfig: kubeconfig,
		StateDir:   stateDir,
		Network:    kindNetwork(),
	})
	if err != nil {
		return err
	}
	s.Print(streams.Out)
	return nil
}

func newDown(streams IO) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Remove what authstack up created",
		Long: `Delete the kind cluster authstack up created (its containers and kind's
kubeconfig entry), the Docker network when up created it and nothing else
uses it, and up's state directory with the test users' passwords. A cluster
up did not create is left alone.`,
		Example: `  authstack down
  authstack down --name demo2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stateDir, err := up.StateDir(name, os.Getenv)
			if err != nil {
				return err
			}
			d := &up.Down{Kind: up.NewKind(kindcmd.NewLogger()), Docker: up.NewDocker(), Log: streams.Err}
			return d.Do(name, stateDir)
		},
	}
	cmd.Flags().StringVar(&name, "name", defaultUpName, "name of the kind cluster")
	return cmd
}

// kindNetwork is the Docker network kind creates clusters on: "kind", or
// what KIND_EXPERIMENTAL_DOCKER_NETWORK says (kind's docker provider).
func kindNetwork() string {
	if n := os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK"); n != "" {
		return n
	}
	return "kind"
}
