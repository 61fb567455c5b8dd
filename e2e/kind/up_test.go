//go:build e2e_kind

package kind

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestUp runs `authstack up` with the locally built images the way a user
// would, logs in through a printed URL as a printed test user in a browser
// and checks that the demo app received a token of that user,
// then runs `authstack down` and checks that nothing up created is left:
// no container of the cluster, no network up created, no kubeconfig entry,
// no state.
func TestUp(t *testing.T) {
	e := loadEnv(t)
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	const name = "authstack-up-e2e"
	kubeconfig := filepath.Join(dir, "kubeconfig")
	// The user's kubeconfig already has an entry up must not touch.
	const mine = "apiVersion: v1\nkind: Config\nclusters:\n- name: mine\n  cluster:\n    server: https://mine.example:6443\ncontexts:\n- name: mine\n  context:\n    cluster: mine\n    user: mine\ncurrent-context: mine\nusers:\n- name: mine\n  user:\n    token: not-a-real-token\n"
	if err := os.WriteFile(kubeconfig, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	stateHome := filepath.Join(dir, "state")
	// A network of this test's own (kind's KIND_EXPERIMENTAL_DOCKER_NETWORK),
	// so that up creates it and down must delete it, whatever networks
	// earlier runs left.
	const network = "authstack-up-e2e"
	if networkExists(t, network) {
		t.Fatalf("Docker network %s exists before up: an earlier run left it (docker network rm %s)", network, network)
	}
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig, "XDG_STATE_HOME="+stateHome, "KIND_EXPERIMENTAL_DOCKER_NETWORK="+network)
	stateDir := filepath.Join(stateHome, "authstack", "up", name)

	runCLI := func(timeout time.Duration, args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	downDone := false
	t.Cleanup(func() {
		if downDone {
			return
		}
		if e.keep && t.Failed() {
			t.Logf("AUTHSTACK_E2E_KIND_KEEP=1: keeping cluster %s (state in %s)", name, stateDir)
			return
		}
		if _, stderr, err := runCLI(5*time.Minute, "down", "--name", name); err != nil {
			t.Logf("authstack down after a failure: %v\n%s", err, stderr)
			// The tier never leaves a cluster behind.
			_ = exec.Command("docker", append([]string{"rm", "-f", "-v"}, strings.Fields(dockerOut(t, "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name))...)...).Run()
			_ = exec.Command("docker", "network", "rm", network).Run()
		}
	})

	start := time.Now()
	stdout, stderr, err := runCLI(12*time.Minute, "up", "--name", name, "--images-from", "env")
	took := time.Since(start)
	_ = os.WriteFile(filepath.Join(e.artifacts, "up-stderr.txt"), []byte(stderr), 0o644)
	if err != nil {
		t.Fatalf("authstack up: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("authstack up took %s:\n%s", took.Round(time.Second), stdout)

	// What a user reads off the summary.
	url := regexp.MustCompile(`(?m)^\s+whoami\s+(https://\S+)\s+\(identity: token\)`).FindStringSubmatch(stdout)
	cred := regexp.MustCompile(`(?m)^\s+(alice@example\.com)\s+password (\S+)`).FindStringSubmatch(stdout)
	login := regexp.MustCompile(`(?m)^\s+(kubectl --kubeconfig \S+ get pods -n \S+)$`).FindStringSubmatch(stdout)
	if url == nil || cred == nil || login == nil {
		t.Fatalf("the summary lacks the token app's URL, alice's password or the kubectl command:\n%s", stdout)
	}
	if strings.Contains(stderr, cred[2]) {
		t.Error("the password was printed to stderr (logs) too")
	}
	data, err := os.ReadFile(filepath.Join(stateDir, "users.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(stateDir, "users.txt")); fi.Mode().Perm() != 0o600 || !strings.Contains(string(data), cred[2]) {
		t.Errorf("users.txt: mode %v, holds the password %v", fi.Mode().Perm(), strings.Contains(string(data), cred[2]))
	}

	adminCfg := func(t *testing.T) *rest.Config {
		t.Helper()
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
			&clientcmd.ConfigOverrides{CurrentContext: "kind-" + name}).ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	// The demo sets no cluster.server, so up picked a free port before
	// rendering: the kubeconfig rendered from the spec must name the port
	// kind actually published, which is not the contested 6443.
	t.Run("OneAPIServerPortEverywhere", func(t *testing.T) {
		host := adminCfg(t).Host
		if strings.HasSuffix(host, ":6443") {
			t.Errorf("kind published the API server on %s: up should have picked a free port", host)
		}
		for _, f := range []string{filepath.Join(stateDir, "out", "kubeconfig.yaml"), filepath.Join(stateDir, "kubeconfig")} {
			cfg, err := clientcmd.LoadFromFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for n, c := range cfg.Clusters {
				if c.Server != host {
					t.Errorf("%s: cluster %s names %s, kind published %s", f, n, c.Server, host)
				}
			}
		}
	})

	// The demo app is stock nginx echoing what each request carries: in
	// token mode the bearer token oauth2-proxy passed on. What the app
	// received must be a token the API server takes for alice in her group.
	t.Run("BrowserLoginThroughThePrintedURL", func(t *testing.T) {
		b := newBrowser(t, dir, e.artifacts, filepath.Join(stateDir, "edge.crt"), "127.0.0.1.nip.io")
		page := b.loginText(t, url[1], cred[1], cred[2], "up-whoami-alice")
		t.Logf("authstack up start to first browser login: %s", time.Since(start).Round(time.Second))
		_ = os.WriteFile(filepath.Join(e.artifacts, "up-timings.txt"),
			[]byte(fmt.Sprintf("authstack up: %s\nup start to first browser login: %s\n", took.Round(time.Second), time.Since(start).Round(time.Second))), 0o644)
		m := regexp.MustCompile(`(?m)^Authorization: Bearer (\S+)$`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the token app received no bearer token; its page:\n%s", page)
		}
		rc := adminCfg(t)
		// Only the token: no client certificate of kind's admin.
		asApp := &rest.Config{Host: rc.Host, BearerToken: m[1], TLSClientConfig: rest.TLSClientConfig{CAData: rc.CAData}, Timeout: 30 * time.Second}
		review, err := kubernetes.NewForConfigOrDie(asApp).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("the API server refuses the token the app received: %v", err)
		}
		u := review.Status.UserInfo
		if u.Username != "oidc:alice@example.com" || !slices.Contains(u.Groups, "oidc:developers") {
			t.Errorf("the token the app received is %s in %v to the API server, want oidc:alice@example.com in oidc:developers", u.Username, u.Groups)
		}
	})

	// The local node image enforces NetworkPolicy only through the
	// enforcer up deploys: a pod outside the ingress namespace must not
	// reach the app around the login, one inside it (the control) must.
	t.Run("PodsCannotBypassTheLogin", func(t *testing.T) {
		cs := kubernetes.NewForConfigOrDie(adminCfg(t))
		create(t, "namespace "+outsiderNamespace, cs.CoreV1().Namespaces().Create, restrictedNamespace(outsiderNamespace))
		app := "http://whoami.apps.svc.cluster.local:8080/healthz"
		if logs, err := probe(t, cs, "ingress-nginx", app, nil); err != nil {
			t.Fatalf("the edge's namespace cannot reach the app, so the probe proves nothing: %v\n%s", err, logs)
		}
		if logs, err := probe(t, cs, outsiderNamespace, app, nil, "-timeout=3s"); err == nil {
			t.Errorf("a pod in namespace %s reached the app without logging in:\n%s", outsiderNamespace, logs)
		}
	})

	if !networkExists(t, network) {
		t.Errorf("kind did not put the cluster on network %s: the test cannot check that down deletes the network up created", network)
	}
	downStart := time.Now()
	_, stderr, err = runCLI(5*time.Minute, "down", "--name", name)
	if err != nil {
		t.Fatalf("authstack down: %v\n%s", err, stderr)
	}
	downDone = true
	t.Logf("authstack down took %s:\n%s", time.Since(downStart).Round(time.Second), stderr)

	if ids := dockerOut(t, "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+name); ids != "" {
		t.Errorf("containers of cluster %s left: %s", name, ids)
	}
	if networkExists(t, network) {
		t.Errorf("Docker network %s, created by up and used by nothing else, is left", network)
	}
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for n := range cfg.Contexts {
		if n != "mine" {
			t.Errorf("kubeconfig context %s left", n)
		}
	}
	for n := range cfg.Clusters {
		if n != "mine" {
			t.Errorf("kubeconfig cluster %s left", n)
		}
	}
	if _, ok := cfg.Contexts["mine"]; !ok || cfg.AuthInfos["mine"] == nil {
		t.Error("down removed the user's own kubeconfig entry")
	}
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("state directory %s left: %v", stateDir, err)
	}
}

func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		t.Logf("docker %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

func networkExists(t *testing.T, name string) bool {
	t.Helper()
	return dockerOut(t, "network", "ls", "--filter", "name=^"+name+"$", "--format", "{{.Name}}") == name
}
