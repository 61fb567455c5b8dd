//go:build e2e_kind

package kind

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/images"
)

const appsNamespace = "apps"

// timings collects the tier's phases for docs/kind-e2e.md.
type timings struct {
	start  time.Time
	last   time.Time
	phases []string
}

func (tm *timings) mark(t *testing.T, name string) {
	now := time.Now()
	tm.phases = append(tm.phases, fmt.Sprintf("%-28s %6.1fs (total %6.1fs)", name, now.Sub(tm.last).Seconds(), now.Sub(tm.start).Seconds()))
	t.Logf("phase %s done in %.1fs", name, now.Sub(tm.last).Seconds())
	tm.last = now
}

// TestKind runs the kind example for real: cluster from the rendered kind
// config, stack from `authstack apply --wait`, then what a user relies on.
func TestKind(t *testing.T) {
	e := loadEnv(t)
	tm := &timings{start: time.Now(), last: time.Now()}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(e.artifacts, "timings.txt"), []byte(strings.Join(tm.phases, "\n")+"\n"), 0o644)
	})
	dir := t.TempDir()
	cli := buildCLI(t, dir)

	// The kind example, with a CA and serving certificate made for this run.
	specData, err := os.ReadFile(filepath.Join(repoRoot(), "examples", "kind", "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The edge stands in for ingress-nginx in its own namespace: the
	// rendered NetworkPolicies must let that namespace in.
	withEdge := strings.Replace(string(specData), "\nspec:\n", "\nspec:\n  networkPolicy:\n    ingressNamespace: "+edgeNamespace+"\n", 1)
	if withEdge == string(specData) {
		t.Fatal("the kind example has no top-level spec: line to add networkPolicy under")
	}
	specData = []byte(withEdge)
	specFile := filepath.Join(dir, "authstack.yaml")
	if err := os.WriteFile(specFile, specData, 0o644); err != nil {
		t.Fatal(err)
	}
	ca := testenv.NewCA(t, dir, "example-ca") // the example's caFile
	stack, err := config.LoadFile(specFile)
	if err != nil {
		t.Fatalf("load the kind example: %v", err)
	}
	if stack.Spec.Issuer.Dex == nil {
		t.Fatal("the kind example has no dex issuer")
	}
	dexHost := stack.Spec.Issuer.Dex.Host
	hosts := []string{dexHost}
	for _, a := range stack.Spec.Apps {
		hosts = append(hosts, a.Host)
	}
	certFile, keyFile := ca.Issue(t, dir, "edge", dexHost, nil, hosts, true, false)
	issuer := "https://" + dexHost

	out := filepath.Join(dir, "out")
	if o, err := run(t, dir, time.Minute, cli, "render", "-f", specFile, "-o", out); err != nil {
		t.Fatalf("authstack render: %v\n%s", err, o)
	}
	tm.mark(t, "render")

	kubeconfig := filepath.Join(dir, "kubeconfig-admin")
	cfg := kindConfig(t, out, e)
	createStart := time.Now()
	_, node := createCluster(t, cfg, e, kubeconfig)
	tm.mark(t, "kind create cluster")
	loadImages(t, node, e.images)
	tm.mark(t, "load images")
	cs := client(t, kubeconfig)
	if e.mode == "local" && !e.netpolOff {
		deployEnforcer(t, cs, e.netpolImage)
		tm.mark(t, "NetworkPolicy enforcer")
	}

	// One issuer URL everywhere: the host, the API server, pods.
	resolveOnHost(t, hosts)
	resolveInNode(t, node, hosts)
	routeHostsInCluster(t, cs, stack)
	edgeConf := deployEdge(t, cs, out, os.Getenv(edgeImageEnv), certFile, keyFile)
	_ = os.WriteFile(filepath.Join(e.artifacts, "edge-nginx.conf"), []byte(edgeConf), 0o644)
	deployApps(t, cs, appsNamespace, os.Getenv(appImageEnv))
	waitDeployments(t, cs, 3*time.Minute, "kube-system", edgeNamespace, appsNamespace)
	tm.mark(t, "edge, DNS and apps")

	// The real command against the real cluster.
	applyArgs := []string{"apply", "-f", specFile, "--kubeconfig", kubeconfig, "--wait", "--timeout", "5m"}
	if o, err := run(t, dir, 6*time.Minute, cli, applyArgs...); err != nil {
		t.Fatalf("authstack apply --wait: %v\n%s\n%s", err, o, podReport(cs, "dex", appsNamespace))
	} else {
		t.Logf("authstack apply --wait:\n%s", o)
	}
	tm.mark(t, "authstack apply --wait")

	t.Run("PodsRunningAndReadyUnderRestricted", func(t *testing.T) {
		assertRestrictedAndReady(t, cs, kubeconfig, "dex", appsNamespace)
		// The pods run the images pkg/images names, which the tier built or pulled.
		for ns, want := range map[string]string{"dex": images.Dex, appsNamespace: images.OAuth2Proxy} {
			pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"})
			if err != nil || len(pods.Items) == 0 {
				t.Fatalf("authstack pods in %s: %v (%d)", ns, err, len(pods.Items))
			}
			for _, p := range pods.Items {
				if got := p.Spec.Containers[0].Image; got != want {
					t.Errorf("pod %s/%s runs %s, want %s", ns, p.Name, got, want)
				}
			}
		}
	})

	hostClient := httpsClient(t, ca.CertPEM)
	t.Run("IssuerSameURLFromHostAndPods", func(t *testing.T) {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		err := poll(time.Minute, 2*time.Second, func() error {
			resp, err := hostClient.Get(issuer + "/.well-known/openid-configuration")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return json.NewDecoder(resp.Body).Decode(&doc)
		})
		if err != nil {
			t.Fatalf("issuer discovery from the host: %v", err)
		}
		if doc.Issuer != issuer {
			t.Fatalf("host sees issuer %q, want %q", doc.Issuer, issuer)
		}
		podGet(t, cs, issuer+"/.well-known/openid-configuration", ca.CertPEM, `"issuer": "`+issuer+`"`)
	})

	// The API server accepts a token from dex: the whole kubectl chain.
	t.Run("VerifyPasses", func(t *testing.T) {
		pw := filepath.Join(dir, "password")
		if err := os.WriteFile(pw, []byte("password\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var o string
		// The API server's JWT authenticator initializes asynchronously
		// after dex comes up: poll until verify passes, bounded.
		err := poll(2*time.Minute, 5*time.Second, func() error {
			var err error
			o, err = run(t, dir, time.Minute, cli, "verify", "-f", specFile, "--kubeconfig", kubeconfig,
				"--user", "alice@example.com", "--password-file", pw)
			return err
		})
		if err != nil {
			t.Fatalf("authstack verify: %v\n%s", err, o)
		}
		t.Logf("authstack verify:\n%s", o)
		tm.mark(t, "first successful login")
		t.Logf("kind create to first successful login: %s", time.Since(createStart).Round(time.Second))
	})

	t.Run("KubectlWithRenderedKubeconfig", func(t *testing.T) {
		for _, c := range []struct {
			user    string
			args    []string
			allowed bool
		}{
			{"alice@example.com", []string{"get", "pods", "-n", appsNamespace}, true},
			{"alice@example.com", []string{"create", "configmap", "by-alice", "-n", appsNamespace}, true},
			{"alice@example.com", []string{"get", "pods", "-n", "kube-system"}, false},
			{"bob@example.com", []string{"get", "pods", "-n", "kube-system"}, true},
			{"bob@example.com", []string{"create", "configmap", "by-bob", "-n", appsNamespace}, false},
		} {
			kc := userKubeconfig(t, dir, out, kubeconfig, c.user, "password")
			o, err := run(t, dir, 2*time.Minute, kubectlPath(), append([]string{"--kubeconfig", kc}, c.args...)...)
			switch {
			case c.allowed && err != nil:
				t.Errorf("%s: kubectl %v: want allowed, got %v\n%s", c.user, c.args, err, o)
			case !c.allowed && (err == nil || !strings.Contains(o, "Forbidden") && !strings.Contains(o, "forbidden")):
				t.Errorf("%s: kubectl %v: want 403 Forbidden, got %v\n%s", c.user, c.args, err, o)
			}
		}
	})

	t.Run("BrowserLogin", func(t *testing.T) {
		b := newBrowser(t, dir, e.artifacts, certFile, "127.0.0.1.nip.io")
		var whoami, headers string
		for _, a := range stack.Spec.Apps {
			switch a.Identity {
			case "token":
				whoami = "https://" + a.Host + "/"
			case "headers":
				headers = "https://" + a.Host + "/"
			}
		}
		if whoami == "" || headers == "" {
			t.Fatal("the kind example needs a token-mode and a headers-mode app")
		}
		got := b.login(t, whoami, "alice@example.com", "password", "user", []string{"status", "user", "groups"}, "kind-whoami-alice")
		if got["user"] != "oidc:alice@example.com" || !strings.Contains(got["groups"], "oidc:developers") {
			t.Errorf("token app: the API server saw %v, want user oidc:alice@example.com in oidc:developers", got)
		}
		tm.mark(t, "browser login (token app)")
		t.Logf("kind create to first browser login: %s", time.Since(createStart).Round(time.Second))
		// Same browser, other app: dex remembers nothing (no SSO session in
		// dex), so the form comes again.
		got = b.login(t, headers, "bob@example.com", "password", "x-auth-request-email", []string{"x-auth-request-user", "x-auth-request-email", "x-auth-request-groups", "x-auth-request-preferred-username"}, "kind-headers-bob")
		if got["x-auth-request-email"] != "bob@example.com" || !strings.Contains(got["x-auth-request-groups"], "viewers") {
			t.Errorf("headers app got %v, want bob@example.com in viewers", got)
		}
		// A readable name besides the email: dex's static user carries
		// preferredUsername (authstack renders the username), which
		// oauth2-proxy sends as X-Auth-Request-Preferred-Username.
		if got["x-auth-request-preferred-username"] != "bob" {
			t.Errorf("headers app got preferred username %q, want bob", got["x-auth-request-preferred-username"])
		}
		// X-Auth-Request-User is that name too (userHeaderClaim defaults
		// to preferred_username), not dex's opaque subject.
		if got["x-auth-request-user"] != "bob" {
			t.Errorf("headers app got X-Auth-Request-User %q, want bob (its preferred username)", got["x-auth-request-user"])
		}
	})

	// authstack proxy: the token-mode app stands in for the dashboard and
	// shows who the API server says the injected token belongs to.
	t.Run("ProxyAsTheLoggedInUser", func(t *testing.T) {
		b := newBrowser(t, dir, e.artifacts, certFile, "127.0.0.1.nip.io")
		alice := userKubeconfig(t, dir, out, kubeconfig, "alice@example.com", "password")
		proxyAsUser(t, cs, b, cli, dir, alice, "oidc:alice@example.com", "kind-proxy-alice")
		tm.mark(t, "authstack proxy (kubelogin)")
		plugin, user := pluginKubeconfig(t, cs, dir, kubeconfig)
		proxyAsUser(t, cs, b, cli, dir, plugin, user, "kind-proxy-exec-plugin")
		tm.mark(t, "authstack proxy (exec plugin)")
	})

	// The login can't be skipped by calling the app, oauth2-proxy or dex
	// from inside the cluster: the rendered NetworkPolicies let only the
	// ingress controller's namespace in. BrowserLogin above went through
	// the edge, so the policies did not break the way in.
	t.Run("NetworkPoliciesStopPodsBypassingTheLogin", func(t *testing.T) {
		networkPolicyBypass(t, cs, e, stack.Spec.Issuer.Dex.Namespace, func() (string, error) {
			return run(t, dir, 2*time.Minute, cli, "apply", "-f", specFile, "--kubeconfig", kubeconfig)
		})
	})

	t.Run("DoctorLivePasses", func(t *testing.T) {
		o, err := run(t, dir, 2*time.Minute, cli, "doctor", "-f", specFile, "--live", "--live-kubeconfig", kubeconfig)
		if err != nil {
			t.Fatalf("authstack doctor --live: %v\n%s", err, o)
		}
		t.Logf("authstack doctor --live:\n%s", o)
	})

	t.Run("ReapplyIsNoop", func(t *testing.T) {
		before := resourceVersions(t, cs, "dex", appsNamespace)
		o, err := run(t, dir, 6*time.Minute, cli, applyArgs...)
		if err != nil {
			t.Fatalf("second authstack apply: %v\n%s", err, o)
		}
		if !strings.Contains(o, "no changes") {
			t.Errorf("second apply of the same spec changed something:\n%s", o)
		}
		after := resourceVersions(t, cs, "dex", appsNamespace)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("re-apply changed %s (resourceVersion %s -> %s)", k, v, after[k])
			}
		}
	})

	pw := filepath.Join(dir, "password")
	verifyAlice := func() (string, error) {
		return run(t, dir, time.Minute, cli, "verify", "-f", specFile, "--kubeconfig", kubeconfig,
			"--user", "alice@example.com", "--password-file", pw)
	}

	t.Run("DexRestartKeepsKeysAndLogin", func(t *testing.T) {
		before := signingKeyIDs(t, hostClient, issuer)
		restartDex(t, cs)
		if after := signingKeyIDs(t, hostClient, issuer); after != before {
			t.Errorf("dex's signing keys changed across a pod restart (%s -> %s): its storage does not persist them", before, after)
		}
		var o string
		// The Service's endpoints follow the new pod within seconds.
		err := poll(time.Minute, 3*time.Second, func() error {
			var err error
			o, err = verifyAlice()
			return err
		})
		if err != nil {
			t.Fatalf("authstack verify after the dex pod was replaced: %v\n%s", err, o)
		}
	})

	// Drift on purpose: a dex config whose redirect URI for the whoami app
	// is wrong. authstack's own tools must say what is broken, and apply
	// must repair it.
	t.Run("BrokenRedirectURIIsDiagnosedAndRepaired", func(t *testing.T) {
		ctx := context.Background()
		sec, err := cs.CoreV1().Secrets("dex").Get(ctx, "dex-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		good := "https://" + appHost(t, stack, "token") + "/oauth2/callback"
		conf := string(sec.Data["config.yaml"])
		if !strings.Contains(conf, good) {
			t.Fatalf("dex config lacks %s:\n%s", good, conf)
		}
		sec.Data["config.yaml"] = []byte(strings.ReplaceAll(conf, good, strings.TrimSuffix(good, "/oauth2/callback")+"/wrong/callback"))
		if _, err := cs.CoreV1().Secrets("dex").Update(ctx, sec, metav1.UpdateOptions{FieldManager: "e2e-saboteur"}); err != nil {
			t.Fatal(err)
		}
		restartDex(t, cs)
		o, err := verifyAlice()
		t.Logf("authstack verify with the broken redirect URI:\n%s", o)
		if err == nil {
			t.Fatal("authstack verify passed although dex refuses the whoami app's redirect URI")
		}
		if !strings.Contains(o, "× app whoami logged in") {
			t.Errorf("verify did not blame the whoami login")
		}
		d, err := run(t, dir, 2*time.Minute, cli, "doctor", "-f", specFile, "--live", "--live-kubeconfig", kubeconfig)
		t.Logf("authstack doctor --live with the broken redirect URI:\n%s", d)
		// Drift is a warning for doctor (what runs may be newer than the
		// spec); it must name it.
		if !strings.Contains(d, "AS-95") || !strings.Contains(d, "dex config differs") {
			t.Errorf("authstack doctor --live (exit %v) did not report the drifted dex config (AS-95)", err)
		}
		// apply takes the field back (the saboteur owns it now) and the
		// config checksum makes the proxies and dex agree again.
		if o, err := run(t, dir, 6*time.Minute, cli, append(applyArgs, "--force-conflicts")...); err != nil {
			t.Fatalf("authstack apply --force-conflicts: %v\n%s", err, o)
		}
		restartDex(t, cs)
		err = poll(time.Minute, 3*time.Second, func() error {
			var err error
			o, err = verifyAlice()
			return err
		})
		if err != nil {
			t.Fatalf("authstack verify after the repair: %v\n%s", err, o)
		}
	})
	tm.mark(t, "assertions")

	// Last, as it applies a second spec (the same stack in apiServer.mode
	// proxy) over the first: authstack-apiproxy as real pods in this
	// cluster, kubectl through it as a user logged in at dex.
	t.Run("APIProxy", func(t *testing.T) {
		testAPIProxy(t, tm, cs, node, cli, dir, specFile, kubeconfig, ca)
	})
}

// restartDex deletes the dex pods and waits for a ready replacement (the
// Deployment's status still counts the deleted pod for a moment).
func restartDex(t *testing.T, cs *kubernetes.Clientset) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=dex"}
	pods, err := cs.CoreV1().Pods("dex").List(ctx, sel)
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("dex pods: %v (%d)", err, len(pods.Items))
	}
	old := map[string]bool{}
	for _, p := range pods.Items {
		old[p.Name] = true
		if err := cs.CoreV1().Pods("dex").Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	err = poll(3*time.Minute, 2*time.Second, func() error {
		now, err := cs.CoreV1().Pods("dex").List(ctx, sel)
		if err != nil {
			return err
		}
		for _, p := range now.Items {
			if p.DeletionTimestamp != nil || old[p.Name] {
				continue
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
		}
		return fmt.Errorf("no ready replacement dex pod yet")
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, podReport(cs, "dex"))
	}
}

// signingKeyIDs are the key ids dex publishes, polled until dex answers.
func signingKeyIDs(t *testing.T, c *http.Client, issuer string) string {
	t.Helper()
	var ids []string
	err := poll(time.Minute, 2*time.Second, func() error {
		resp, err := c.Get(issuer + "/keys")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s/keys: %d", issuer, resp.StatusCode)
		}
		var jwks struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
			return err
		}
		ids = ids[:0]
		for _, k := range jwks.Keys {
			ids = append(ids, k.Kid)
		}
		if len(ids) == 0 {
			return fmt.Errorf("dex publishes no keys")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids, ",")
}

func appHost(t *testing.T, stack *config.Stack, identity string) string {
	t.Helper()
	for _, a := range stack.Spec.Apps {
		if string(a.Identity) == identity {
			return a.Host
		}
	}
	t.Fatalf("the spec has no %s-mode app", identity)
	return ""
}

// buildCLI is the authstack binary under test: $AUTHSTACK_E2E_KIND_CLI
// (hack/kind/e2e.sh builds it), else built here.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	if cli := os.Getenv("AUTHSTACK_E2E_KIND_CLI"); cli != "" {
		return cli
	}
	bin := filepath.Join(dir, "authstack")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/authstack")
	cmd.Dir = repoRoot()
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build authstack: %v\n%s", err, o)
	}
	return bin
}

func httpsClient(t *testing.T, caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad CA PEM")
	}
	return &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		// Redirects are part of what is asserted.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// assertRestrictedAndReady checks that each namespace enforces the
// restricted Pod Security Standard, that its current pods pass it (a
// server-side dry run of the label reports violations as warnings) and that
// every pod is Running with all containers Ready.
func assertRestrictedAndReady(t *testing.T, cs *kubernetes.Clientset, kubeconfig string, namespaces ...string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	cfg.WarningHandler = warningFunc(func(msg string) { warnings = append(warnings, msg) })
	wcs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
		if got := n.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
			t.Errorf("namespace %s enforces %q, want restricted", ns, got)
		}
		warnings = nil
		patch := []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"latest"}}}`)
		if _, err := wcs.CoreV1().Namespaces().Patch(ctx, ns, "application/merge-patch+json", patch, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatalf("dry-run restricted on %s: %v", ns, err)
		}
		for _, w := range warnings {
			t.Errorf("namespace %s: pods violate restricted: %s", ns, w)
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			t.Errorf("no pods in %s", ns)
		}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning {
				t.Errorf("pod %s/%s is %s", ns, p.Name, p.Status.Phase)
			}
			for _, c := range p.Status.ContainerStatuses {
				if !c.Ready {
					t.Errorf("pod %s/%s container %s not ready", ns, p.Name, c.Name)
				}
			}
		}
	}
	if t.Failed() {
		t.Log(podReport(cs, namespaces...))
	}
}

type warningFunc func(string)

func (f warningFunc) HandleWarningHeader(code int, agent, text string) { f(text) }

var _ rest.WarningHandler = warningFunc(nil)

// podGet fetches url from a pod in the apps namespace (restricted, like the
// stack's own pods) and checks the body contains want.
func podGet(t *testing.T, cs *kubernetes.Clientset, url string, caPEM []byte, want string) {
	t.Helper()
	logs, err := probe(t, cs, appsNamespace, url, caPEM)
	if err != nil || !strings.Contains(logs, want) {
		t.Fatalf("GET %s from a pod: %v, want %q in:\n%s", url, err, want, logs)
	}
}

// probe GETs url once from a new pod in namespace (which must allow the
// restricted profile) and returns what it printed; the error is non-nil
// unless the answer was 200. extra goes to the test app (-timeout=...).
func probe(t *testing.T, cs *kubernetes.Clientset, namespace, url string, caPEM []byte, extra ...string) (string, error) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("probe-%d", time.Now().UnixNano()%1000000)
	create(t, "probe CA", cs.CoreV1().ConfigMaps(namespace).Create, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"ca.crt": string(caPEM)}})
	create(t, "probe pod", cs.CoreV1().Pods(namespace).Create, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{
				Name: "probe", Image: os.Getenv(appImageEnv), ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            append([]string{"-get", url, "-ca", "/etc/probe/ca.crt"}, extra...),
				SecurityContext: restrictedContainer(),
				VolumeMounts:    []corev1.VolumeMount{{Name: "ca", MountPath: "/etc/probe", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "ca", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}},
		},
	})
	var phase corev1.PodPhase
	err := poll(2*time.Minute, 2*time.Second, func() error {
		p, err := cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		phase = p.Status.Phase
		if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
			return nil
		}
		return fmt.Errorf("probe pod is %s", phase)
	})
	logs, _ := cs.CoreV1().Pods(namespace).GetLogs(name, &corev1.PodLogOptions{}).Do(ctx).Raw()
	_ = cs.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	_ = cs.CoreV1().ConfigMaps(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil {
		return string(logs), fmt.Errorf("probe pod %s/%s did not finish: %w", namespace, name, err)
	}
	if phase != corev1.PodSucceeded {
		return string(logs), fmt.Errorf("probe pod %s/%s: GET %s failed", namespace, name, url)
	}
	return string(logs), nil
}

// resourceVersions of the stack's objects that apply owns.
func resourceVersions(t *testing.T, cs *kubernetes.Clientset, namespaces ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"}
	for _, ns := range namespaces {
		deps, err := cs.AppsV1().Deployments(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps.Items {
			out["Deployment "+ns+"/"+d.Name] = d.ResourceVersion
		}
		cms, err := cs.CoreV1().ConfigMaps(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cms.Items {
			out["ConfigMap "+ns+"/"+c.Name] = c.ResourceVersion
		}
		secs, err := cs.CoreV1().Secrets(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secs.Items {
			out["Secret "+ns+"/"+s.Name] = s.ResourceVersion
		}
	}
	if len(out) == 0 {
		t.Fatal("no object labeled app.kubernetes.io/managed-by=authstack")
	}
	return out
}

// kubectlPath is the kubectl the tier built, else the one on PATH.
func kubectlPath() string {
	if b := os.Getenv("AUTHSTACK_E2E_KIND_BIN"); b != "" {
		if _, err := os.Stat(filepath.Join(b, "kubectl")); err == nil {
			return filepath.Join(b, "kubectl")
		}
	}
	return "kubectl"
}

// userKubeconfig is the rendered kubeconfig, whose server the rendered kind
// config pinned, with the cluster CA kind made (which no render knows) and
// kubelogin switched to the password grant, the way a CI job logs in
// without a browser.
func userKubeconfig(t *testing.T, dir, out, adminKubeconfig, user, password string) string {
	t.Helper()
	rendered, err := clientcmd.LoadFromFile(filepath.Join(out, "kubeconfig.yaml"))
	if err != nil {
		t.Fatalf("rendered kubeconfig.yaml: %v", err)
	}
	admin, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	adminCluster := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	ctx := rendered.Contexts[rendered.CurrentContext]
	if ctx == nil {
		t.Fatalf("rendered kubeconfig has no current context %q", rendered.CurrentContext)
	}
	cl := rendered.Clusters[ctx.Cluster]
	if cl.Server != adminCluster.Server {
		t.Errorf("rendered kubeconfig's server %s is not the kind cluster's %s", cl.Server, adminCluster.Server)
	}
	cl.Server, cl.CertificateAuthorityData, cl.CertificateAuthority = adminCluster.Server, adminCluster.CertificateAuthorityData, ""
	passwordLogin(t, dir, rendered.AuthInfos[ctx.AuthInfo], ctx.AuthInfo, user, password)
	path := filepath.Join(dir, "kubeconfig-"+strings.ReplaceAll(user, "@", "-at-"))
	if err := clientcmd.WriteToFile(*rendered, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// passwordLogin switches a rendered kubeconfig user's kubelogin to the
// password grant with its own token cache.
func passwordLogin(t *testing.T, dir string, au *clientcmdapi.AuthInfo, name, user, password string) {
	t.Helper()
	if au == nil || au.Exec == nil {
		t.Fatalf("rendered kubeconfig user %q has no exec plugin", name)
	}
	cache := filepath.Join(dir, "kubelogin-cache-"+strings.NewReplacer("@", "-", ".", "-").Replace(user)+fmt.Sprint(time.Now().UnixNano()))
	au.Exec.Args = append(au.Exec.Args, "--grant-type=password", "--username="+user, "--password="+password, "--token-cache-dir="+cache)
	if b := os.Getenv("AUTHSTACK_E2E_KIND_BIN"); b != "" {
		// The exec command (kubectl-oidc_login) comes from the binary cache;
		// kubectl resolves it with its own PATH, so it gets the full path.
		au.Exec.Env = append(au.Exec.Env, clientcmdapi.ExecEnvVar{Name: "PATH", Value: b + ":" + os.Getenv("PATH")})
		if p := filepath.Join(b, au.Exec.Command); !filepath.IsAbs(au.Exec.Command) {
			if _, err := os.Stat(p); err == nil {
				au.Exec.Command = p
			}
		}
	}
}
