package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/apply"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/kubeconfig"
	"github.com/authstack/authstack/pkg/secrets"
	"github.com/authstack/authstack/pkg/verify"
)

// Input is what `authstack up` is asked for.
type Input struct {
	// SpecFile is the spec; empty means the built-in demo.
	SpecFile string
	// Name of the kind cluster.
	Name   string
	Images Images
	// Kubeconfig is the file kind adds its admin entry kind-<Name> to.
	Kubeconfig string
	// StateDir holds what up made (see StateDir).
	StateDir string
	// Network is the Docker network kind uses (kind's "kind", or
	// KIND_EXPERIMENTAL_DOCKER_NETWORK).
	Network string
}

// Up creates the cluster and the stack.
type Up struct {
	Kind   Kind
	Docker Docker
	// Out receives the summary, Log the progress.
	Out, Log io.Writer
	// Listen checks and picks the API server's host port; nil is
	// net.Listen.
	Listen func(network, address string) (net.Listener, error)
}

// Files of the state directory besides those of pki.go and demo.go.
const (
	outDir         = "out"
	secretsName    = "authstack.secrets.yaml"
	userKubeconfig = "kubeconfig"
)

// Do runs up. A failure after the cluster exists leaves it (and the state)
// for `authstack down`, which the error names.
func (u *Up) Do(ctx context.Context, in Input) (*Summary, error) {
	start := time.Now()
	if err := u.refuseExisting(in); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(in.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	stack, users, err := loadSpec(in)
	if err == nil {
		err = u.pickServer(in, stack)
	}
	if err != nil {
		_ = os.RemoveAll(in.StateDir)
		return nil, err
	}
	hosts := stackHosts(&stack.Spec)
	if err := issueEdgeCert(in.StateDir, hosts); err != nil {
		return nil, err
	}
	// The API server and kubelogin trust the CA up made for the edge,
	// whatever CA file the spec names: nothing else signed the edge's
	// certificate.
	if in.SpecFile != "" && stack.Spec.Issuer.Dex.CAFile != "" {
		fmt.Fprintf(u.Log, "%s: spec.issuer.dex.caFile %s is replaced on this cluster by the CA up made for the edge, %s\n",
			in.SpecFile, stack.Spec.Issuer.Dex.CAFile, filepath.Join(in.StateDir, caFile))
	}
	stack.Spec.Issuer.Dex.CAFile = filepath.Join(in.StateDir, caFile)

	secretsFile := filepath.Join(in.StateDir, secretsName)
	store := &secrets.FileStore{Path: secretsFile, Dir: stack.Dir, Warn: u.Log}
	res, err := render.Render(stack, render.Options{Secrets: store})
	if err != nil {
		return nil, err
	}
	// Apply takes these values over, so the files in out/ and the cluster
	// agree.
	if _, err := store.Save(); err != nil {
		return nil, err
	}
	out := filepath.Join(in.StateDir, outDir)
	if _, err := res.WriteDir(out, render.FormatYAML); err != nil {
		return nil, err
	}
	kindData, err := os.ReadFile(filepath.Join(out, "apiserver", "kind-cluster.yaml"))
	if err != nil {
		return nil, fmt.Errorf("the render wrote no kind config: %w", err)
	}
	cfg, err := kindConfig(kindData, in.Name, out, in.Images.Local)
	if err != nil {
		return nil, err
	}
	existed, err := u.Docker.NetworkExists(in.Network)
	if err != nil {
		return nil, err
	}
	// Recorded before the cluster exists, so that down can clean up after
	// a create that failed halfway.
	if err := writeState(in.StateDir, State{Cluster: in.Name, Kubeconfig: in.Kubeconfig, Network: in.Network, CreatedNetwork: !existed}); err != nil {
		return nil, err
	}
	fail := func(err error) (*Summary, error) {
		return nil, fmt.Errorf("%w (the cluster is left for inspection: authstack down --name %s removes it)", err, in.Name)
	}

	step := u.stepper(start)
	if err := u.Kind.Create(cfg, in.Images.Node, in.Kubeconfig); err != nil {
		return fail(fmt.Errorf("create kind cluster %s: %w", in.Name, err))
	}
	step("cluster created")
	node, err := u.Kind.ControlPlane(in.Name)
	if err != nil {
		return fail(err)
	}
	if len(in.Images.Load) > 0 {
		if err := u.Docker.LoadImages(node, in.Images.Load); err != nil {
			return fail(err)
		}
		step("images loaded")
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", in.Kubeconfig)
	if err != nil {
		return fail(err)
	}
	restCfg.Timeout = 30 * time.Second
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fail(err)
	}
	if in.Images.NetworkPolicy != "" {
		if err := DeployEnforcer(ctx, cs, in.Images.NetworkPolicy); err != nil {
			return fail(err)
		}
		step("NetworkPolicy enforcer ready")
	}
	// One issuer URL everywhere: the browser, the API server, pods.
	if err := ResolveInNode(node, hosts); err != nil {
		return fail(err)
	}
	if err := RouteHostsInCluster(ctx, cs, stack, u.Log); err != nil {
		return fail(err)
	}
	cert, err := os.ReadFile(filepath.Join(in.StateDir, edgeCrtFile))
	if err != nil {
		return fail(err)
	}
	key, err := os.ReadFile(filepath.Join(in.StateDir, edgeKeyFile))
	if err != nil {
		return fail(err)
	}
	objs := make([]*unstructured.Unstructured, len(res.Objects))
	for i, o := range res.Objects {
		objs[i] = o.Object
	}
	edgeNS := stack.Spec.NetworkPolicy.IngressNamespace
	conf, err := DeployEdge(ctx, cs, Edge{Namespace: edgeNS, Image: in.Images.Edge, Objects: objs, Cert: cert, Key: key})
	if err != nil {
		return fail(err)
	}
	if err := writeFile(filepath.Join(in.StateDir, "edge-nginx.conf"), []byte(conf), 0o600); err != nil {
		return fail(err)
	}
	apps := demoApps(&stack.Spec)
	if err := DeployEchoApps(ctx, cs, in.Images.App, apps); err != nil {
		return fail(err)
	}
	step("edge and demo apps created")

	if _, err := apply.Apply(ctx, stack, apply.Options{
		Config:      restCfg,
		DryRun:      apply.DryRunNone,
		Wait:        true,
		Timeout:     5 * time.Minute,
		SecretsFile: secretsFile,
		Out:         u.Log,
		Log:         u.Log,
	}); err != nil {
		return fail(fmt.Errorf("apply the stack: %w", err))
	}
	namespaces := []string{"kube-system", edgeNS}
	for _, a := range apps {
		namespaces = append(namespaces, a.Namespace)
	}
	if err := WaitDeployments(ctx, cs, 3*time.Minute, sortedStrings(namespaces)...); err != nil {
		return fail(err)
	}
	step("stack applied and ready")

	kc, err := writeUserKubeconfig(in, stack, restCfg.Host, restCfg.CAData)
	if err != nil {
		return fail(err)
	}
	if err := u.waitForLogins(ctx, stack, users, kc); err != nil {
		return fail(err)
	}
	s := summarize(&stack.Spec, users, in, kc)
	s.Took = time.Since(start)
	return s, nil
}

// refuseExisting keeps up from touching a cluster it did not create, or
// from creating one twice.
func (u *Up) refuseExisting(in Input) error {
	if _, err := readState(in.StateDir); err == nil {
		return fmt.Errorf("authstack up already created cluster %s (state in %s): run authstack down --name %s first", in.Name, in.StateDir, in.Name)
	} else if !errors.Is(err, errNoState) {
		return err
	}
	names, err := u.Kind.List()
	if err != nil {
		return fmt.Errorf("list kind clusters: %w", err)
	}
	for _, n := range names {
		if n == in.Name {
			return fmt.Errorf("a kind cluster named %s exists and authstack up did not create it: pass another --name (up never changes a cluster it did not create)", in.Name)
		}
	}
	return nil
}

// pickServer sets spec.cluster.server to a free port of 127.0.0.1 unless
// the spec file names one, which must be free (see apiport.go).
func (u *Up) pickServer(in Input, stack *config.Stack) error {
	listen := u.Listen
	if listen == nil {
		listen = net.Listen
	}
	explicit := false
	if in.SpecFile != "" {
		var err error
		if explicit, err = serverIsSet(in.SpecFile); err != nil {
			return err
		}
	}
	server, err := apiServerURL(stack.File, explicit, stack.Spec.Cluster.Server, listen)
	if err != nil {
		return err
	}
	stack.Spec.Cluster.Server = server
	return nil
}

func (u *Up) stepper(start time.Time) func(string) {
	last := start
	return func(what string) {
		now := time.Now()
		fmt.Fprintf(u.Log, "✓ %s (%.1fs, total %.1fs)\n", what, now.Sub(last).Seconds(), now.Sub(start).Seconds())
		last = now
	}
}

// loadSpec reads the spec up deploys: the user's, which must be a kind
// cluster with dex, or the demo with freshly generated users.
func loadSpec(in Input) (*config.Stack, []User, error) {
	path := in.SpecFile
	var users []User
	if path == "" {
		var err error
		if users, err = demoUsers(); err != nil {
			return nil, nil, err
		}
		if path, err = writeDemo(in.StateDir, in.Name, users); err != nil {
			return nil, nil, err
		}
	}
	stack, err := config.LoadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if got := stack.Spec.Cluster.Installer; got != v1alpha1.InstallerKind {
		return nil, nil, fmt.Errorf("%s: spec.cluster.installer is %q: authstack up creates a kind cluster and needs installer: kind", path, got)
	}
	if stack.Spec.Issuer.Dex == nil {
		return nil, nil, fmt.Errorf("%s: spec.issuer.dex is not set: authstack up runs dex on the kind cluster with static test users", path)
	}
	if users == nil {
		// The spec's own static users; their passwords are the spec's
		// owner's to know.
		for _, c := range stack.Spec.Issuer.Dex.Connectors {
			if c.Static == nil {
				continue
			}
			for _, su := range c.Static.Users {
				users = append(users, User{Name: su.Username, Email: su.Email})
			}
		}
	}
	return stack, users, nil
}

// stackHosts are the names the edge serves: dex and every app.
func stackHosts(spec *v1alpha1.Spec) []string {
	hosts := []string{spec.Issuer.Dex.Host}
	for _, a := range spec.Apps {
		hosts = append(hosts, a.Host)
	}
	return sortedStrings(hosts)
}

// demoApps are the demo apps behind each app's upstream Service.
func demoApps(spec *v1alpha1.Spec) []DemoApp {
	var apps []DemoApp
	for _, a := range spec.Apps {
		mode := "headers"
		if a.Identity == v1alpha1.IdentityToken {
			mode = "token"
		}
		labels := a.PodSelector
		if len(labels) == 0 {
			labels = map[string]string{"app.kubernetes.io/name": a.Upstream.Service}
		}
		apps = append(apps, DemoApp{Namespace: a.Namespace, Service: a.Upstream.Service, Port: a.Upstream.Port, Labels: labels, Mode: mode})
	}
	sort.Slice(apps, func(i, j int) bool {
		return apps[i].Namespace+"/"+apps[i].Service < apps[j].Namespace+"/"+apps[j].Service
	})
	return apps
}

// writeUserKubeconfig writes the OIDC kubeconfig (kubelogin) for the new
// cluster into the state directory: the API server kind published, and
// its CA.
func writeUserKubeconfig(in Input, stack *config.Stack, server string, ca []byte) (string, error) {
	caPath := filepath.Join(in.StateDir, "cluster-ca.crt")
	if err := writeFile(caPath, ca, 0o644); err != nil {
		return "", err
	}
	stack.Spec.Cluster.Server = server
	stack.Spec.Cluster.CertificateAuthority = caPath
	kin, err := kubeconfig.ForStack(stack, kubeconfig.StackOptions{SecretsFile: filepath.Join(in.StateDir, secretsName), Private: true})
	if err != nil {
		return "", err
	}
	data, err := kubeconfig.Render(kin)
	if err != nil {
		return "", err
	}
	path := filepath.Join(in.StateDir, userKubeconfig)
	return path, writeFile(path, data, kubeconfig.FileMode)
}

// waitForLogins logs in as the first test user whose password is known until
// the API server accepts the token. kube-apiserver starts its OIDC
// authenticator in the background and answers 401 to every token until it
// has fetched the issuer's keys, some seconds after dex serves, with nothing
// in /readyz to show it: without this wait the URLs up prints would give a
// 401 on the first try.
func (u *Up) waitForLogins(ctx context.Context, stack *config.Stack, users []User, kubeconfigPath string) error {
	var user *User
	for i := range users {
		if users[i].Password != "" {
			user = &users[i]
			break
		}
	}
	if user == nil {
		fmt.Fprintln(u.Log, "no test user's password is known: the API server may refuse tokens for a few seconds more")
		return nil
	}
	err := poll(ctx, 2*time.Minute, 3*time.Second, func() error {
		rep, err := verify.Run(ctx, verify.Options{Stack: stack, User: user.Email, Password: user.Password, Kubeconfig: kubeconfigPath, DialContext: edgeDialer(stackHosts(&stack.Spec))})
		if err != nil {
			return err
		}
		if h := rep.Hop(verify.HopAPIServer); h == nil || !h.OK {
			if f := rep.Failed(); f != nil {
				return fmt.Errorf("%s: %s", f.Name, f.Detail)
			}
			return errors.New("the API server has not accepted a token yet")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("log in as %s: %w", user.Email, err)
	}
	return nil
}

// edgeDialer connects the stack's host names to the edge on 127.0.0.1, as
// the kind config maps its ports, whether or not DNS resolves them (nip.io
// names need public DNS); other addresses are dialled as they are.
func edgeDialer(hosts []string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && slices.ContainsFunc(hosts, func(h string) bool { return v1alpha1.Hostname(h) == host }) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}
}
