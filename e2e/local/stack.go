//go:build e2e

package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
	"github.com/authstack/authstack/pkg/secrets"
)

// Options choose what a Stack runs.
type Options struct {
	// Mode is the API server mode: authentication-config, flags or proxy.
	Mode string
	// Apps runs the two apps behind oauth2-proxy and nginx.
	Apps bool
}

// Stack is a running local login stack.
type Stack struct {
	t    testing.TB
	Dir  string
	Opts Options
	// SpecFile is the authstack.yaml every component was configured from.
	SpecFile string
	Params   specParams
	Env      *testenv.Env
	CA       *testenv.CA
	// ServingCert and ServingKey are the 127.0.0.1 certificate of dex and nginx.
	ServingCert, ServingKey string
	Client                  *kubernetes.Clientset
	// HTTP trusts the tier's CA.
	HTTP *http.Client
	// Kubeconfig is what apply runs with: the admin's of Env, and in mode
	// proxy a context per cluster behind the proxy.
	Kubeconfig string
	// Clusters are the API servers behind the proxy (mode proxy), by name;
	// the first is Env.
	Clusters map[string]*testenv.Env
	// Audit receives the proxy's audit webhook (mode proxy).
	Audit *auditSink

	Issuer  string
	dexProc *testenv.Process
	dexPort int
	proxies map[string]*testenv.Process
	// proxyAddr keeps each oauth2-proxy's address across restarts, since
	// nginx points at it.
	proxyAddr map[string]string
	TokenURL  string
	// HeadersURL is the headers app's address.
	HeadersURL string
	// ApplyStarted is when the first apply began, FirstApply how long it took.
	ApplyStarted time.Time
	FirstApply   time.Duration
	// Marks are seconds from ApplyStarted to each step of the way up.
	Marks map[string]float64
}

// Start brings up the whole stack from authstack's rendered output.
func Start(t *testing.T, opts Options) *Stack {
	t.Helper()
	s := &Stack{t: t, Dir: t.TempDir(), Opts: opts, proxies: map[string]*testenv.Process{}}
	pki := filepath.Join(s.Dir, "pki")
	s.CA = testenv.NewCA(t, pki, "e2e-ca")
	s.ServingCert, s.ServingKey = s.CA.Issue(t, pki, "serving", "127.0.0.1", nil, []string{"127.0.0.1", "localhost"}, true, false)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CA.CertPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, Proxy: nil}
	s.HTTP = &http.Client{Transport: tr, Timeout: 10 * time.Second}

	writeFile(t, filepath.Join(s.Dir, "issuer-ca.crt"), s.CA.CertPEM)
	writeFile(t, filepath.Join(s.Dir, "ldap-bind.pw"), []byte(ldapRootPW+"\n"))
	s.dexPort = freePort(t)
	s.Params = specParams{
		Dir: s.Dir, Mode: opts.Mode, DexHost: localhost(s.dexPort),
		TokenHost: localhost(freePort(t)), HeadersHost: localhost(freePort(t)),
		WithApps: opts.Apps, WithHeadersApp: true,
	}
	s.Issuer = "https://" + s.Params.DexHost
	s.Params.LDAPAddr = startSlapd(t, s.Dir)

	s.SpecFile = filepath.Join(s.Dir, "authstack.yaml")
	if opts.Mode == ModeProxy {
		s.startManagedClusters(t)
	} else {
		s.startCluster(t)
	}
	cs, err := kubernetes.NewForConfig(s.Env.Config)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = cs

	// The apps and the teams live in namespaces the cluster already has;
	// authstack creates only the namespaces it owns (dex, per-user).
	for _, ns := range []string{"apps", "shop"} {
		if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create namespace %s: %v", ns, err)
		}
	}
	// Build the CLI before the clock starts: a user has it installed. A CLI
	// that does not build fails the tier here.
	authstackCLI(t)
	s.ApplyStarted = time.Now()
	s.Apply(t)
	s.FirstApply = time.Since(s.ApplyStarted)
	s.Marks = map[string]float64{"applied": s.FirstApply.Seconds()}
	s.startDex(t)
	s.Mark("dex serving")
	if opts.Apps {
		s.startApps(t)
		s.Mark("oauth2-proxies and nginx serving")
	}
	return s
}

// startCluster runs the API server on the rendered authentication flags
// (modes authentication-config and flags).
func (s *Stack) startCluster(t *testing.T) {
	t.Helper()
	// The API server settings do not depend on the API server's own
	// address: render once to start it, then again with its address for
	// the kubeconfig.
	first := s.render(t)
	flags := installAPIServerFiles(t, first)
	s.Env = testenv.Start(t, testenv.Options{Dir: filepath.Join(s.Dir, "cluster"), APIServerFlags: flags, ControllerManager: true})
	s.Params.Server, s.Params.ClusterCA = s.Env.URL, s.Env.CA.CertFile
	second := s.render(t)
	if a, b := fileOf(first, "apiserver/flags.txt"), fileOf(second, "apiserver/flags.txt"); !bytes.Equal(a, b) {
		t.Fatalf("the API server flags changed with spec.cluster.server:\n%s\n%s", a, b)
	}
	s.Kubeconfig = s.Env.AdminKubeconfig
}

// Mark records how long after the apply started a step was done.
func (s *Stack) Mark(name string) {
	s.Marks[name] = time.Since(s.ApplyStarted).Seconds()
}

// render writes the spec for the current params and renders it with the
// secrets file next to it, as `authstack render` and `apply` do.
func (s *Stack) render(t testing.TB) *render.Result {
	t.Helper()
	writeFile(t, s.SpecFile, renderSpec(t, s.Params))
	stack, err := config.LoadFile(s.SpecFile)
	if err != nil {
		t.Fatalf("load the tier's spec: %v", err)
	}
	store := &secrets.FileStore{Path: filepath.Join(s.Dir, "authstack.secrets.yaml"), Dir: s.Dir}
	res, err := render.Render(stack, render.Options{Secrets: store})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if _, err := store.Save(); err != nil {
		t.Fatal(err)
	}
	return res
}

// Spec loads the tier's spec as authstack does.
func (s *Stack) Spec(t testing.TB) *config.Stack {
	t.Helper()
	stack, err := config.LoadFile(s.SpecFile)
	if err != nil {
		t.Fatal(err)
	}
	return stack
}

func fileOf(res *render.Result, path string) []byte {
	for _, f := range res.Files {
		if f.Path == path {
			return f.Data
		}
	}
	return nil
}

// installAPIServerFiles puts the rendered files where the rendered flags
// point (spec.apiServer paths under the test dir) and returns the flags
// of flags.txt.
func installAPIServerFiles(t testing.TB, res *render.Result) []string {
	t.Helper()
	flagsTxt := fileOf(res, "apiserver/flags.txt")
	if flagsTxt == nil {
		t.Fatal("render produced no apiserver/flags.txt")
	}
	var flags []string
	sc := bufio.NewScanner(bytes.NewReader(flagsTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "--") {
			continue
		}
		flags = append(flags, line)
		name, value, _ := strings.Cut(strings.TrimPrefix(line, "--"), "=")
		switch name {
		case "authentication-config":
			writeFile(t, value, fileOf(res, "apiserver/authentication-config.yaml"))
		case "oidc-ca-file":
			writeFile(t, value, fileOf(res, "apiserver/oidc-ca.crt"))
		}
	}
	if len(flags) == 0 {
		t.Fatalf("no flags in apiserver/flags.txt:\n%s", flagsTxt)
	}
	return flags
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// repoRoot is the module root, from this file's path.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// authstackCLI builds the authstack binary once per test run.
func authstackCLI(t testing.TB) string {
	t.Helper()
	authstackCLIBuild()
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

func authstackCLIBuild() {
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authstack-e2e-cli")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "authstack")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/authstack")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/authstack: %v\n%s", err, out)
		}
	})
}

// CLI runs the authstack binary; stdin may be nil.
func (s *Stack) CLI(t testing.TB, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, authstackCLI(t), args...)
	cmd.Dir = s.Dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code = 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return out.String(), errOut.String(), code
}

// Apply puts the rendered objects into the cluster with `authstack apply`
// and returns its output. There is no other way in: a CLI that does not
// build or cannot apply fails the tier.
func (s *Stack) Apply(t testing.TB, extra ...string) string {
	t.Helper()
	args := append([]string{"apply", "-f", s.SpecFile, "--kubeconfig", s.Kubeconfig}, extra...)
	out, errOut, code := s.CLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("authstack %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out + errOut
}

// secretData reads a Secret the apply created.
func (s *Stack) secretData(t testing.TB, ns, name string) map[string][]byte {
	t.Helper()
	sec, err := s.Client.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("read applied Secret %s/%s: %v", ns, name, err)
	}
	return sec.Data
}

func (s *Stack) configMap(t testing.TB, ns, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := s.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("read applied ConfigMap %s/%s: %v", ns, name, err)
	}
	return cm
}

// startDex runs dex from the applied dex-config and dex-env Secrets,
// overriding only what differs for a local process: it serves HTTPS itself
// instead of behind an ingress, and reaches the API server through a
// kubeconfig instead of in-cluster.
func (s *Stack) startDex(t testing.TB) {
	t.Helper()
	ns := v1alpha1.DefaultDexNamespace
	cfgData := s.secretData(t, ns, render.DexConfigSecret)["config.yaml"]
	var cfg map[string]any
	if err := yaml.Unmarshal(cfgData, &cfg); err != nil {
		t.Fatalf("dex config from Secret %s: %v", render.DexConfigSecret, err)
	}
	cfg["web"] = map[string]any{"https": hostPort(s.dexPort), "tlsCert": s.ServingCert, "tlsKey": s.ServingKey}
	cfg["telemetry"] = map[string]any{"http": hostPort(freePort(t))}
	storage, _ := cfg["storage"].(map[string]any)
	if storage == nil || storage["type"] != "kubernetes" {
		t.Fatalf("rendered dex storage is %v, the tier expects kubernetes", cfg["storage"])
	}
	storage["config"] = map[string]any{"kubeConfigFile": s.Env.AdminKubeconfig}
	s.runDex(t, cfg)
}

func (s *Stack) runDex(t testing.TB, cfg map[string]any) {
	t.Helper()
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir, "dex")
	file := writeFile(t, filepath.Join(dir, "config.yaml"), out)
	var env []string
	for k, v := range s.secretData(t, v1alpha1.DefaultDexNamespace, render.DexEnvSecret) {
		env = append(env, k+"="+string(v))
	}
	if s.dexProc != nil {
		s.dexProc.Stop()
	}
	// dex creates its CRDs on first start and may list them before the
	// API server serves them, then exits; kubelet would restart the pod, so
	// the tier does the same, a bounded number of times.
	for attempt := 1; ; attempt++ {
		// The process belongs to the stack, not to the (sub)test that
		// restarted it: a subtest's cleanup would stop it when the subtest
		// ends, under the next one.
		s.dexProc = testenv.StartProcess(s.t, dir, "dex", env, testenv.Bin(t, "dex"), "serve", file)
		err := poll(testenv.ReadyTimeout, 100*time.Millisecond, func() error {
			select {
			case <-s.dexProc.Done():
				return nil
			default:
			}
			return s.get(s.Issuer + "/.well-known/openid-configuration")
		})
		select {
		case <-s.dexProc.Done():
			if attempt < 3 {
				t.Logf("dex exited (%v) at start, restarting it as kubelet would (attempt %d)", s.dexProc.Err(), attempt)
				continue
			}
			t.Fatalf("dex exited %d times at start; log %s:\n%s", attempt, s.dexProc.Log, testenv.Tail(s.dexProc.Log, 30))
		default:
		}
		if err != nil {
			t.Fatalf("dex discovery: %v; log %s:\n%s", err, s.dexProc.Log, testenv.Tail(s.dexProc.Log, 30))
		}
		return
	}
}

// DexConfig is the config dex runs with now, for a test to change.
func (s *Stack) DexConfig(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Dir, "dex", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// RestartDex runs dex again with cfg.
func (s *Stack) RestartDex(t testing.TB, cfg map[string]any) { s.runDex(t, cfg) }

func (s *Stack) get(url string) error {
	resp, err := s.HTTP.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// startApps runs the two upstream apps, an oauth2-proxy per app from the
// applied ConfigMap and Secret, and nginx from the applied Ingresses.
func (s *Stack) startApps(t testing.TB) {
	t.Helper()
	stack := s.Spec(t)
	backends := map[string]string{}
	for i := range stack.Spec.Apps {
		app := &stack.Spec.Apps[i]
		var addr string
		if app.Identity == v1alpha1.IdentityToken {
			addr = startTokenApp(t, s.Env)
		} else {
			addr = startHeadersApp(t)
		}
		backends[app.Namespace+"/"+app.Upstream.Service] = addr
		backends[app.Namespace+"/"+oauth2proxy.Name(app)] = s.startProxy(t, app, nil)
	}
	var ingresses []networkingv1.Ingress
	for _, ns := range appNamespaces(stack) {
		list, err := s.Client.NetworkingV1().Ingresses(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"})
		if err != nil {
			t.Fatalf("list applied Ingresses: %v", err)
		}
		ingresses = append(ingresses, list.Items...)
	}
	startNginx(t, filepath.Join(s.Dir, "nginx"), stack, ingresses, backends, s.ServingCert, s.ServingKey)
	s.TokenURL = "https://" + s.Params.TokenHost + "/"
	s.HeadersURL = "https://" + s.Params.HeadersHost + "/"
}

func appNamespaces(stack *config.Stack) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range stack.Spec.Apps {
		if !seen[a.Namespace] {
			seen[a.Namespace] = true
			out = append(out, a.Namespace)
		}
	}
	return out
}

// startProxy runs the app's oauth2-proxy with the applied config and
// secrets, overriding only the listen address and the CA file's local
// path; override replaces Secret values (a broken-stack test) and extra
// flags override the config file (a test that cannot wait for a setting's
// real value). It returns the listen address.
func (s *Stack) startProxy(t testing.TB, app *v1alpha1.App, override map[string]string, extra ...string) string {
	t.Helper()
	name := oauth2proxy.Name(app)
	dir := filepath.Join(s.Dir, name)
	addr := ""
	if old := s.proxies[app.Name]; old != nil {
		old.Stop()
		addr = s.proxyAddr[app.Name]
	} else {
		addr = hostPort(freePort(t))
	}
	env, args := s.proxyCommand(t, app, override, addr)
	args = append(args, extra...)
	// The stack's, like dex (runDex).
	p := testenv.StartProcess(s.t, dir, name, env, testenv.Bin(t, "oauth2-proxy"), args...)
	testenv.WaitFor(t, p, name+" /ping", func() error { return s.get("http://" + addr + "/ping") })
	s.proxies[app.Name] = p
	if s.proxyAddr == nil {
		s.proxyAddr = map[string]string{}
	}
	s.proxyAddr[app.Name] = addr
	return addr
}

// proxyCommand is the environment and arguments an app's oauth2-proxy runs
// with on addr: the applied ConfigMap and Secret, override replacing Secret
// values.
func (s *Stack) proxyCommand(t testing.TB, app *v1alpha1.App, override map[string]string, addr string) (env, args []string) {
	t.Helper()
	name := oauth2proxy.Name(app)
	dir := filepath.Join(s.Dir, name)
	cm := s.configMap(t, app.Namespace, name)
	sec := s.secretData(t, app.Namespace, name)
	vals := map[string]string{"client-secret": string(sec["client-secret"]), "cookie-secret": string(sec["cookie-secret"])}
	for k, v := range override {
		vals[k] = v
	}
	env = []string{"OAUTH2_PROXY_CLIENT_SECRET=" + vals["client-secret"], "OAUTH2_PROXY_COOKIE_SECRET=" + vals["cookie-secret"]}
	return env, proxyArgs(t, dir, cm.Data, addr)
}

// RestartProxy runs an app's oauth2-proxy again, with override Secret values
// and extra flags.
func (s *Stack) RestartProxy(t testing.TB, appName string, override map[string]string, extra ...string) {
	t.Helper()
	stack := s.Spec(t)
	for i := range stack.Spec.Apps {
		if stack.Spec.Apps[i].Name == appName {
			s.startProxy(t, &stack.Spec.Apps[i], override, extra...)
			return
		}
	}
	t.Fatalf("no app %s in the spec", appName)
}
