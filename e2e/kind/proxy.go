//go:build e2e_kind

package kind

import (
	"bufio"
	"context"
	"fmt"
	"io"
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

	"github.com/chromedp/chromedp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/e2e/internal/chromium"
	"github.com/authstack/authstack/internal/testenv"
)

// proxyTarget is the dashboard stand-in: the token-mode testapp shows who the
// API server says the bearer token it received belongs to.
const proxyTarget = "svc/whoami"

// runningProxy is `authstack proxy` running as a process.
type runningProxy struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	log    strings.Builder
}

func (p *runningProxy) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

var servingURL = regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/)`)

// startProxy runs `authstack proxy` with kubeconfig until the test ends and
// returns once it prints the URL it serves.
func startProxy(t *testing.T, cli, dir, kubeconfig string) *runningProxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	port := strconv.Itoa(testenv.FreePort(t))
	cmd := exec.CommandContext(ctx, cli, "proxy", "--kubeconfig", kubeconfig, "-n", appsNamespace, proxyTarget, "--no-browser", "--port", port, "-v", "1")
	cmd.Dir = dir
	// Ctrl-C, as a user stops it: the proxy must end cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &runningProxy{cancel: cancel, done: make(chan error, 1)}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.log.Write(b)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		// After Ctrl-C, exec reports the cancellation even when the
		// process exits 0; the exit status is what tells a clean stop.
		if cmd.ProcessState != nil && cmd.ProcessState.Success() {
			err = nil
		}
		p.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-p.done; err != nil && ctx.Err() == nil {
			t.Errorf("authstack proxy: %v\n%s", err, p.output())
		}
	})
	select {
	case p.url = <-urls:
	case err := <-p.done:
		p.done <- err
		t.Fatalf("authstack proxy ended before serving: %v\n%s", err, p.output())
	case <-time.After(2 * time.Minute):
		t.Fatalf("authstack proxy did not serve within 2 minutes:\n%s", p.output())
	}
	return p
}

// stop sends Ctrl-C and expects a clean exit.
func (p *runningProxy) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- nil
		if err != nil {
			t.Errorf("authstack proxy after Ctrl-C: %v\n%s", err, p.output())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("authstack proxy did not stop within 30s of Ctrl-C:\n%s", p.output())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var userSpan = regexp.MustCompile(`<span id=user>([^<]*)</span>`)

// userThroughProxy GETs the proxy's page and returns the user the API server
// saw behind it.
func userThroughProxy(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	m := userSpan.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("no user on the page: %s", body)
	}
	return string(m[1]), nil
}

// proxyAsUser checks `authstack proxy` with kubeconfig end to end: the page
// shows the API server's view of the kubeconfig user, in a browser too
// (screenshot shot.png); the proxy survives a restart of the Pod behind the
// Service; Ctrl-C stops it.
func proxyAsUser(t *testing.T, cs *kubernetes.Clientset, b *browser, cli, dir, kubeconfig, wantUser, shot string) {
	t.Helper()
	launched := time.Now()
	p := startProxy(t, cli, dir, kubeconfig)
	if got, err := userThroughProxy(p.url); err != nil || got != wantUser {
		t.Fatalf("through the proxy the API server saw %q (%v), want %q\n%s", got, err, wantUser, p.output())
	}
	t.Logf("authstack proxy (%s): start to first page %s", wantUser, time.Since(launched).Round(10*time.Millisecond))

	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.ID("user"))); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("open %s in the browser: %v", p.url, err)
	}
	if got := chromium.Texts(t, ctx, []string{"user"})["user"]; got != wantUser {
		t.Errorf("the browser page shows user %q, want %q", got, wantUser)
	}
	b.shot(t, shot)

	// The Pod behind the Service restarts: the proxy follows to the new one.
	pods, err := cs.CoreV1().Pods(appsNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=whoami"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("whoami pods: %v (%d)", err, len(pods.Items))
	}
	for _, pod := range pods.Items {
		if err := cs.CoreV1().Pods(appsNamespace).Delete(context.Background(), pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	var last error
	if err := poll(3*time.Minute, time.Second, func() error {
		got, err := userThroughProxy(p.url)
		if err == nil && got != wantUser {
			err = fmt.Errorf("user %q, want %q", got, wantUser)
		}
		last = err
		return err
	}); err != nil {
		t.Fatalf("after the pod restart: %v (last: %v)\n%s", err, last, p.output())
	}
	t.Logf("proxy back after the pod restart in %s", time.Since(start).Round(100*time.Millisecond))
	p.stop(t)
}

// pluginKubeconfig is a kubeconfig for the kind cluster whose user is a
// ServiceAccount of appsNamespace that may view it and port-forward, with
// its token coming from a small exec plugin that is not kubelogin.
func pluginKubeconfig(t *testing.T, cs *kubernetes.Clientset, dir, adminKubeconfig string) (string, string) {
	t.Helper()
	ctx := context.Background()
	const sa = "proxy-user"
	create(t, "ServiceAccount "+sa, cs.CoreV1().ServiceAccounts(appsNamespace).Create, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}})
	create(t, "Role "+sa, cs.RbacV1().Roles(appsNamespace).Create, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services", "pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list"}},
			// A WebSocket port-forward is a GET: the API server authorizes it
			// as get, and since Kubernetes 1.35 also as create
			// (AuthorizePodWebsocketUpgradeCreatePermission); SPDY is a POST.
			{APIGroups: []string{""}, Resources: []string{"pods/portforward"}, Verbs: []string{"get", "create"}},
		},
	})
	create(t, "RoleBinding "+sa, cs.RbacV1().RoleBindings(appsNamespace).Create, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: sa},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: sa},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: appsNamespace, Name: sa}},
	})
	tr, err := cs.CoreV1().ServiceAccounts(appsNamespace).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(dir, "token-plugin.sh")
	script := "#!/bin/sh\ncat <<'EOF'\n" +
		`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"` + tr.Status.Token + `"}}` +
		"\nEOF\n"
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	admin, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kind"] = admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		Command: plugin, APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	cfg.Contexts[sa] = &clientcmdapi.Context{Cluster: "kind", AuthInfo: sa, Namespace: appsNamespace}
	cfg.CurrentContext = sa
	path := filepath.Join(dir, "kubeconfig-"+sa)
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path, "system:serviceaccount:" + appsNamespace + ":" + sa
}
