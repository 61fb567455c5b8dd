//go:build e2e_kind

package kind

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apiproxy"
	"github.com/authstack/authstack/pkg/authproxy"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/images"
	rapiproxy "github.com/authstack/authstack/pkg/render/apiproxy"
)

const (
	apiproxyImageEnv = "AUTHSTACK_E2E_KIND_APIPROXY_IMAGE"
	// apiproxyHost is the proxy's spec.proxy.host: its certificate's name,
	// which kubectl checks (tls-server-name) through the port-forward.
	apiproxyHost = "kube.127.0.0.1.nip.io"
	// tickerPod is the tiny pod the proxy tests stream from: it prints a
	// numbered line every second.
	tickerPod = "apiproxy-ticker"
)

// proxySpec writes, next to the tier's spec (so both share the generated
// secrets and render the same dex and apps), the same stack with
// apiServer.mode proxy: authstack-apiproxy in front of the kind API server,
// which it reaches in-cluster with its own ServiceAccount. expose ingress
// keeps the proxy's NetworkPolicy to the ingress controller's namespace.
func proxySpec(t *testing.T, specFile string, caFile string) string {
	t.Helper()
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	block := "\nspec:\n  apiServer:\n    mode: proxy\n  proxy:\n    host: " + apiproxyHost +
		"\n    expose: ingress\n    tls:\n      caFile: " + filepath.Base(caFile) + "\n"
	out := strings.Replace(string(data), "\nspec:\n", block, 1)
	if out == string(data) {
		t.Fatal("the tier's spec has no top-level spec: line to add apiServer.mode proxy under")
	}
	if filepath.Dir(caFile) != filepath.Dir(specFile) {
		t.Fatalf("the CA %s must sit next to the spec %s", caFile, specFile)
	}
	path := filepath.Join(filepath.Dir(specFile), "authstack-proxy.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testAPIProxy runs authstack-apiproxy as real pods in the tier's cluster
// from the manifests `authstack apply` applies for a spec with
// apiServer.mode proxy, and has a user logged in at the real dex use
// kubectl through it: get, get -w, logs -f, exec, port-forward, and a 403.
//
// The proxy is reached through a port-forward to a proxy pod with the admin
// kubeconfig (proxyTunnel), not through the tier's edge: the edge proxies to
// backends over plain HTTP only (pkg/up edge.go refuses backend-protocol
// HTTPS), while the rendered Ingress re-encrypts to the proxy, and kind has
// no LoadBalancer for expose loadBalancer.
func testAPIProxy(t *testing.T, tm *timings, cs *kubernetes.Clientset, node nodes.Node, cli, dir, specFile, adminKubeconfig string, ca *testenv.CA) {
	ctx := context.Background()
	start := time.Now()
	file := proxySpec(t, specFile, ca.CertFile)
	stack, err := config.LoadFile(file)
	if err != nil {
		t.Fatalf("load the proxy spec: %v", err)
	}
	p := stack.Spec.Proxy
	if p == nil || !stack.Spec.ProxyMode() {
		t.Fatal("the proxy spec is not in apiServer.mode proxy")
	}
	// The image the renderer writes is the one the tier built and loaded.
	if want := os.Getenv(apiproxyImageEnv); p.Image != want || want != images.APIProxy() {
		t.Fatalf("the spec renders proxy image %q, pkg/images names %q, the tier loaded %q ($%s): build the CLI and the image with the same version (hack/kind/images.sh, e2e.sh)",
			p.Image, images.APIProxy(), want, apiproxyImageEnv)
	}
	out := filepath.Join(dir, "out-proxy")
	if o, err := run(t, dir, time.Minute, cli, "render", "-f", file, "-o", out); err != nil {
		t.Fatalf("authstack render (proxy): %v\n%s", err, o)
	}
	deps := renderedObjects[struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
		Spec     struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}](t, out, "Deployment")
	found := false
	for _, d := range deps {
		if d.Metadata.Name == rapiproxy.Name {
			found = true
			if got := d.Spec.Template.Spec.Containers[0].Image; got != p.Image {
				t.Fatalf("rendered Deployment %s runs %s, want %s", d.Metadata.Name, got, p.Image)
			}
		}
	}
	if !found {
		t.Fatalf("the render of %s has no Deployment %s", file, rapiproxy.Name)
	}

	// Only this test runs the proxy: its image is loaded here, not with
	// the stack's images (which `authstack up --images-from` loads too).
	loadImages(t, node, []string{p.Image})

	// The serving certificate Secret the spec names (a Secret the user
	// creates when cert-manager does not issue it).
	certFile, keyFile := ca.Issue(t, dir, "apiproxy", apiproxyHost, nil, []string{apiproxyHost}, true, false)
	cert, _ := os.ReadFile(certFile)
	key, _ := os.ReadFile(keyFile)
	create(t, "namespace "+p.Namespace, cs.CoreV1().Namespaces().Create, restrictedNamespace(p.Namespace))
	create(t, "Secret "+p.TLS.SecretName, cs.CoreV1().Secrets(p.Namespace).Create, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: p.TLS.SecretName},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key},
	})
	if o, err := run(t, dir, 6*time.Minute, cli, "apply", "-f", file, "--kubeconfig", adminKubeconfig, "--wait", "--timeout", "5m"); err != nil {
		t.Fatalf("authstack apply --wait (proxy): %v\n%s\n%s", err, o, podReport(cs, p.Namespace))
	} else {
		t.Logf("authstack apply --wait (proxy):\n%s", o)
	}
	tm.mark(t, "apiproxy applied")

	t.Run("RealPodsUnderRestricted", func(t *testing.T) {
		assertRestrictedAndReady(t, cs, adminKubeconfig, p.Namespace)
		pods, err := cs.CoreV1().Pods(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + rapiproxy.Name})
		if err != nil {
			t.Fatal(err)
		}
		if want := int(ptr.Deref(p.Replicas, 0)); len(pods.Items) != want {
			t.Errorf("%d proxy pods, want %d (spec.proxy.replicas)", len(pods.Items), want)
		}
		for _, pod := range pods.Items {
			if got := pod.Spec.Containers[0].Image; got != p.Image {
				t.Errorf("proxy pod %s runs %s, want %s", pod.Name, got, p.Image)
			}
			if pod.Spec.ServiceAccountName != rapiproxy.Name {
				t.Errorf("proxy pod %s runs as ServiceAccount %s, want %s", pod.Name, pod.Spec.ServiceAccountName, rapiproxy.Name)
			}
		}
		// Its ServiceAccount may impersonate and do nothing else.
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, rapiproxy.ImpersonatorRole, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range cr.Rules {
			if len(r.Verbs) != 1 || r.Verbs[0] != "impersonate" {
				t.Errorf("ClusterRole %s grants %v on %v, want impersonate only", cr.Name, r.Verbs, r.Resources)
			}
		}
		o, err := run(t, dir, time.Minute, kubectlPath(), "--kubeconfig", adminKubeconfig, "auth", "can-i", "list", "pods", "-A",
			"--as", "system:serviceaccount:"+p.Namespace+":"+rapiproxy.Name)
		if strings.TrimSpace(o) != "no" {
			t.Errorf("the proxy's ServiceAccount may list pods (%v): %s", err, o)
		}
	})

	// The pod the user streams from, in the namespace alice may edit.
	startTicker(t, cs)
	pf := proxyTunnel(t, cs, adminKubeconfig, p.Namespace)
	alice := proxyKubeconfig(t, dir, out, pf, "alice@example.com", "password")
	kubectl := func(timeout time.Duration, args ...string) (string, error) {
		return run(t, dir, timeout, kubectlPath(), append([]string{"--kubeconfig", alice}, args...)...)
	}
	tm.mark(t, "apiproxy ready")

	t.Run("GetPods", func(t *testing.T) {
		// The first call logs in (kubelogin, password grant at the real dex).
		o, err := kubectl(2*time.Minute, "get", "pods", "-n", appsNamespace, "-o", "name")
		if err != nil || !strings.Contains(o, "pod/"+tickerPod) {
			t.Fatalf("kubectl get pods through the proxy: %v\n%s", err, o)
		}
		// The API server saw alice, as the proxy impersonated her.
		o, err = kubectl(time.Minute, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		if err != nil || strings.TrimSpace(o) != "oidc:alice@example.com" {
			t.Errorf("kubectl auth whoami through the proxy: %v: %q, want oidc:alice@example.com", err, o)
		}
	})

	t.Run("ForbiddenStaysForbidden", func(t *testing.T) {
		o, err := kubectl(time.Minute, "get", "pods", "-n", "kube-system")
		if err == nil || !strings.Contains(o, "Forbidden") && !strings.Contains(o, "forbidden") {
			t.Fatalf("alice listed kube-system's pods through the proxy (want 403): %v\n%s", err, o)
		}
		if !strings.Contains(o, `"oidc:alice@example.com"`) {
			t.Errorf("the 403 does not name the impersonated user:\n%s", o)
		}
	})

	t.Run("GetPodsWatch", func(t *testing.T) {
		s := startStream(t, dir, kubectlPath(), "--kubeconfig", alice, "get", "pods", "-n", appsNamespace, "-w", "--output-watch-events")
		if err := s.waitFor(time.Minute, regexp.MustCompile(`ADDED\s+`+tickerPod)); err != nil {
			t.Fatal(err)
		}
		// A change made while the watch is open must reach it as an event.
		patch := []byte(`{"metadata":{"annotations":{"e2e.authstack.dev/touched":"` + strconv.FormatInt(time.Now().UnixNano(), 10) + `"}}}`)
		if _, err := cs.CoreV1().Pods(appsNamespace).Patch(ctx, tickerPod, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.waitFor(time.Minute, regexp.MustCompile(`MODIFIED\s+`+tickerPod)); err != nil {
			t.Fatal(err)
		}
		s.stop(t)
	})

	t.Run("LogsFollow", func(t *testing.T) {
		s := startStream(t, dir, kubectlPath(), "--kubeconfig", alice, "logs", "-f", "-n", appsNamespace, tickerPod, "--tail", "1")
		if err := s.waitFor(time.Minute, regexp.MustCompile(`tick \d+`)); err != nil {
			t.Fatal(err)
		}
		// Following: --tail 1 gave one line, a second one is a line the
		// pod printed after the stream opened.
		if err := s.waitFor(time.Minute, regexp.MustCompile(`(?s)tick \d+\n.*tick \d+`)); err != nil {
			t.Fatal(err)
		}
		s.stop(t)
	})

	// kubectl 1.34 speaks WebSocket to exec and port-forward and falls back
	// to SPDY silently; each protocol is asked for on its own, and the
	// proxy's audit lines below tell them apart (a WebSocket upgrade is a
	// GET, a SPDY one a POST), so a broken WebSocket path cannot hide
	// behind the fallback.
	protocols := []struct{ name, on string }{{"WebSocket", "true"}, {"SPDY", "false"}}
	t.Run("Exec", func(t *testing.T) {
		for _, pr := range protocols {
			o, err := runEnv(t, dir, time.Minute, []string{"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=" + pr.on},
				kubectlPath(), "--kubeconfig", alice, "exec", "-n", appsNamespace, tickerPod, "--", "echo", "ok")
			if err != nil || strings.TrimSpace(o) != "ok" {
				t.Errorf("kubectl exec (%s) through the proxy: %v\n%s", pr.name, err, o)
			}
		}
	})

	t.Run("PortForward", func(t *testing.T) {
		for _, pr := range protocols {
			port := strconv.Itoa(testenv.FreePort(t))
			s := startStreamEnv(t, dir, []string{"KUBECTL_PORT_FORWARD_WEBSOCKETS=" + pr.on}, kubectlPath(),
				"--kubeconfig", alice, "port-forward", "-n", appsNamespace, "--address", "127.0.0.1", "svc/headers", port+":8080")
			if err := s.waitFor(time.Minute, regexp.MustCompile(`Forwarding from 127\.0\.0\.1:`+port)); err != nil {
				t.Fatal(err)
			}
			var body string
			err := poll(30*time.Second, time.Second, func() error {
				c := &http.Client{Timeout: 10 * time.Second}
				resp, err := c.Get("http://127.0.0.1:" + port + "/healthz")
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				body = string(b)
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d: %s", resp.StatusCode, b)
				}
				return nil
			})
			if err != nil || strings.TrimSpace(body) != "ok" {
				t.Errorf("GET through kubectl port-forward (%s) through the proxy: %v %q\n%s", pr.name, err, body, s.output())
			}
			s.stop(t)
		}
	})

	// Every command above went through the proxy as alice: its audit lines
	// (one JSON line per request in the pods' logs) show each, with the
	// status the API server gave.
	t.Run("AuditLines", func(t *testing.T) {
		wants := []struct {
			what, method, verb, namespace, subresource string
			code                                       int
		}{
			{"get pods -w", "GET", "watch", appsNamespace, "", http.StatusOK},
			{"logs -f", "GET", "get", appsNamespace, "log", http.StatusOK},
			{"exec over WebSocket", "GET", "get", appsNamespace, "exec", http.StatusSwitchingProtocols},
			{"exec over SPDY", "POST", "create", appsNamespace, "exec", http.StatusSwitchingProtocols},
			{"port-forward over WebSocket", "GET", "get", appsNamespace, "portforward", http.StatusSwitchingProtocols},
			{"port-forward over SPDY", "POST", "create", appsNamespace, "portforward", http.StatusSwitchingProtocols},
			{"get pods in kube-system", "GET", "list", "kube-system", "", http.StatusForbidden},
		}
		var events []apiproxy.AuditEvent
		var missing []string
		// A stream's line is written when it ends: a port-forward ends at
		// the proxy once its client's close has crossed the admin's
		// port-forward and containerd (which waits up to a second).
		err := poll(30*time.Second, time.Second, func() error {
			events, missing = proxyAuditEvents(t, cs, p.Namespace), nil
			for _, w := range wants {
				found := false
				for _, e := range events {
					if e.User == "oidc:alice@example.com" && e.Method == w.method && e.Verb == w.verb && e.Namespace == w.namespace &&
						e.Resource == "pods" && e.Subresource == w.subresource && e.Code == w.code {
						found = true
						break
					}
				}
				if !found {
					missing = append(missing, fmt.Sprintf("%s (%s %s pods/%s in %s, code %d)", w.what, w.method, w.verb, w.subresource, w.namespace, w.code))
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("no audit line of the proxy for alice's %s", strings.Join(missing, ", "))
			}
			return nil
		})
		if err != nil {
			for _, e := range events {
				t.Logf("audit: %s %s %s %s/%s %s -> %d %s", e.User, e.Method, e.Verb, e.Resource, e.Subresource, e.Namespace, e.Code, e.Decision)
			}
			t.Fatal(err)
		}
	})
	t.Logf("apiproxy tests took %s", time.Since(start).Round(time.Second))
	tm.mark(t, "apiproxy kubectl")
}

// startTicker runs the pod the streaming tests read: the edge image (the
// tier loaded it; it has a shell) printing a numbered line every second,
// under the restricted profile.
func startTicker(t *testing.T, cs *kubernetes.Clientset) {
	t.Helper()
	ctx := context.Background()
	create(t, "pod "+tickerPod, cs.CoreV1().Pods(appsNamespace).Create, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: tickerPod, Labels: map[string]string{"app.kubernetes.io/name": tickerPod}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  ptr.To(false),
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{
				Name: "ticker", Image: os.Getenv(edgeImageEnv), ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{"sh", "-c", `i=0; while [ $i -lt 3600 ]; do i=$((i+1)); echo "tick $i"; sleep 1; done`},
				SecurityContext: restrictedContainer(),
			}},
		},
	})
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods(appsNamespace).Delete(context.Background(), tickerPod, metav1.DeleteOptions{})
	})
	err := poll(2*time.Minute, time.Second, func() error {
		p, err := cs.CoreV1().Pods(appsNamespace).Get(ctx, tickerPod, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range p.Status.ContainerStatuses {
			if c.Ready {
				return nil
			}
		}
		return fmt.Errorf("pod %s is %s", tickerPod, p.Status.Phase)
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, podReport(cs, appsNamespace))
	}
}

// proxyKubeconfig is the kubeconfig rendered for the proxy spec, whose
// server is https://<proxy.host> with the proxy's CA, pointed at the
// port-forward (the certificate's name stays what kubectl checks), and
// kubelogin switched to the password grant like userKubeconfig.
func proxyKubeconfig(t *testing.T, dir, out, server, user, password string) string {
	t.Helper()
	rendered, err := clientcmd.LoadFromFile(filepath.Join(out, "kubeconfig.yaml"))
	if err != nil {
		t.Fatalf("rendered kubeconfig.yaml: %v", err)
	}
	ctx := rendered.Contexts[rendered.CurrentContext]
	if ctx == nil {
		t.Fatalf("rendered kubeconfig has no current context %q", rendered.CurrentContext)
	}
	cl := rendered.Clusters[ctx.Cluster]
	if cl.Server != "https://"+apiproxyHost {
		t.Fatalf("rendered kubeconfig's server is %s, want the proxy https://%s", cl.Server, apiproxyHost)
	}
	if len(cl.CertificateAuthorityData) == 0 {
		t.Fatal("rendered kubeconfig carries no CA for the proxy (spec.proxy.tls.caFile)")
	}
	cl.Server, cl.TLSServerName = server, apiproxyHost
	passwordLogin(t, dir, rendered.AuthInfos[ctx.AuthInfo], ctx.AuthInfo, user, password)
	path := filepath.Join(dir, "kubeconfig-proxy-"+strings.ReplaceAll(user, "@", "-at-"))
	if err := clientcmd.WriteToFile(*rendered, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// proxyTunnel listens on 127.0.0.1 and forwards each connection to the
// https port of a ready proxy pod through its own port-forward (client-go,
// as kubectl port-forward; the admin kubeconfig), and returns
// https://127.0.0.1:<port>. One forward per connection, because a forward
// ends altogether when one of its connections ends in an error (client-go
// closes the whole stream connection then, as `kubectl port-forward` does
// since 1.23), and a stream that ends through the proxy may end with a
// reset: one long-lived `kubectl port-forward` died that way after an exec.
func proxyTunnel(t *testing.T, cs *kubernetes.Clientset, adminKubeconfig, namespace string) string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := cs.CoreV1().Pods(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + rapiproxy.Name})
	if err != nil {
		t.Fatal(err)
	}
	var pod string
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				pod = p.Name
			}
		}
	}
	if pod == "" {
		t.Fatalf("no ready proxy pod\n%s", podReport(cs, namespace))
	}
	fw := &authproxy.PortForwarder{Config: cfg, Client: cs, Log: io.Discard}
	backend := authproxy.Backend{Namespace: namespace, Pod: pod, Port: int(rapiproxy.SecurePort), Scheme: "https", Via: "pod/" + pod}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(errs) > 0 {
			t.Logf("tunnel to the proxy: %s", strings.Join(errs, "; "))
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				cctx, ccancel := context.WithCancel(ctx)
				defer ccancel()
				addr, _, err := fw.Forward(cctx, backend)
				var up net.Conn
				if err == nil {
					up, err = (&net.Dialer{Timeout: 10 * time.Second}).DialContext(cctx, "tcp", addr)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
					return
				}
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
				select {
				case <-done:
				case <-cctx.Done():
				}
			}()
		}
	}()
	return "https://" + ln.Addr().String()
}

// stream is a long-running command whose output the test reads as it comes.
type stream struct {
	cmd  *exec.Cmd
	name string
	done chan struct{}
	mu   sync.Mutex
	out  strings.Builder
	more chan struct{}
}

// startStream starts a command that runs until stopped; the test's cleanup
// kills it by PID if it still runs.
func startStream(t *testing.T, dir, name string, args ...string) *stream {
	t.Helper()
	return startStreamEnv(t, dir, nil, name, args...)
}

// startStreamEnv is startStream with extra environment variables.
func startStreamEnv(t *testing.T, dir string, env []string, name string, args ...string) *stream {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// A child that keeps the output open (kubelogin) cannot hold Wait.
	cmd.WaitDelay = 5 * time.Second
	s := &stream{cmd: cmd, name: filepath.Base(name) + " " + strings.Join(args[2:], " "), done: make(chan struct{}), more: make(chan struct{}, 1)}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r := bufio.NewReader(pr)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				s.mu.Lock()
				s.out.WriteString(line)
				s.mu.Unlock()
				select {
				case s.more <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill() })
	return s
}

func (s *stream) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor returns once the output matches re, or an error with the output
// after timeout or when the command ends first.
func (s *stream) waitFor(timeout time.Duration, re *regexp.Regexp) error {
	deadline := time.After(timeout)
	for {
		if re.MatchString(s.output()) {
			return nil
		}
		select {
		case <-s.more:
		case <-s.done:
			if re.MatchString(s.output()) {
				return nil
			}
			return fmt.Errorf("%s ended (%v) before printing %s:\n%s", s.name, s.cmd.ProcessState, re, s.output())
		case <-deadline:
			return fmt.Errorf("%s printed no %s within %s:\n%s", s.name, re, timeout, s.output())
		}
	}
}

// stop ends a command that must still be running (a stream that ended on
// its own was cut) and waits for it.
func (s *stream) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
		t.Errorf("%s ended before it was stopped (%v):\n%s", s.name, s.cmd.ProcessState, s.output())
		return
	default:
	}
	s.kill()
}

func (s *stream) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// runEnv is run with extra environment variables.
func runEnv(t *testing.T, dir string, timeout time.Duration, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// proxyAuditEvents are the audit lines in the logs of the proxy's pods.
func proxyAuditEvents(t *testing.T, cs *kubernetes.Clientset, namespace string) []apiproxy.AuditEvent {
	t.Helper()
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + rapiproxy.Name})
	if err != nil {
		t.Fatal(err)
	}
	var events []apiproxy.AuditEvent
	for _, pod := range pods.Items {
		logs, err := cs.CoreV1().Pods(namespace).GetLogs(pod.Name, &corev1.PodLogOptions{}).Do(ctx).Raw()
		if err != nil {
			t.Fatalf("logs of %s: %v", pod.Name, err)
		}
		for _, line := range strings.Split(string(logs), "\n") {
			var e apiproxy.AuditEvent
			if json.Unmarshal([]byte(line), &e) == nil && e.Kind == "audit" {
				events = append(events, e)
			}
		}
	}
	if len(events) == 0 {
		t.Fatalf("no audit line in the logs of the proxy's %d pods", len(pods.Items))
	}
	return events
}
