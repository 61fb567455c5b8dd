package apiproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
)

// TestIntegrationSideBySide is the benchmark of docs/benchmarks.md: the
// authstack-apiproxy binary in front of a real kube-apiserver on loopback,
// 50 concurrent clients, a GET of a small object and a LIST of 500, through
// the proxy and straight to the API server in one run, with the proxy's CPU
// and peak memory. It runs only with AUTHSTACK_APIPROXY_BENCH=<seconds per
// phase>, e.g. 10. AUTHSTACK_APIPROXY_BENCH_RATE=<requests per second>
// paces the 50 clients to that total rate: below saturation the numbers are
// the proxy's added latency, not the CPU it takes from the API server on a
// shared machine.
func TestIntegrationSideBySide(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("AUTHSTACK_APIPROXY_BENCH"))
	rate, _ := strconv.Atoi(os.Getenv("AUTHSTACK_APIPROXY_BENCH_RATE"))
	if testing.Short() || secs <= 0 {
		t.Skip("set AUTHSTACK_APIPROXY_BENCH=<seconds per phase> to run the side-by-side benchmark")
	}
	const clients = 50
	env := testenv.Start(t, testenv.Options{})
	admin, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustDo := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}))
	mustDo(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "authstack-system"}}, metav1.CreateOptions{}))
	for i := range 500 {
		mustDo(admin.CoreV1().ConfigMaps("bench").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%03d", i)},
			Data: map[string]string{"key": "value"}}, metav1.CreateOptions{}))
	}
	// Readers: group dev (the proxy's user) and ServiceAccount reader (direct).
	mustDo(admin.RbacV1().Roles("bench").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "read"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{}))
	mustDo(admin.RbacV1().RoleBindings("bench").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "read"},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "read"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "dev"},
			{Kind: "ServiceAccount", Name: "reader", Namespace: "bench"}}}, metav1.CreateOptions{}))
	mustDo(admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy"}, Rules: impersonatorRules}, metav1.CreateOptions{}))
	mustDo(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "authstack-apiproxy"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "impersonator", Namespace: "authstack-system"}}}, metav1.CreateOptions{}))
	dir := t.TempDir()
	saToken := func(ns, name string) string {
		mustDo(admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}))
		exp := int64(3600)
		tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	impTok := writeFile(t, dir, "impersonator.token", saToken("authstack-system", "impersonator"))
	readerTok := saToken("bench", "reader")

	// The proxy binary, as a process of its own so its CPU and memory are its own.
	bin := filepath.Join(dir, "authstack-apiproxy")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/authstack/authstack/cmd/authstack-apiproxy").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	iss := newTestIssuer(t)
	cert, key := env.CA.Issue(t, dir, "proxy", "authstack-apiproxy", nil, []string{"127.0.0.1"}, true, false)
	port, probe := testenv.FreePort(t), testenv.FreePort(t)
	proc := testenv.StartProcess(t, dir, "apiproxy", nil, bin,
		"--authentication-config="+writeFile(t, dir, "authn.yaml", authConfigYAML(iss, "kubectl")),
		"--clusters-config="+writeFile(t, dir, "clusters.yaml", fmt.Sprintf("apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n- name: bench\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n", env.URL, env.CA.CertFile, impTok)),
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(port), "--tls-cert-file="+cert, "--tls-private-key-file="+key,
		fmt.Sprintf("--probe-bind-address=127.0.0.1:%d", probe))
	testenv.WaitFor(t, proc, "apiproxy /readyz", func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", probe))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s", resp.Status)
		}
		return nil
	})
	userTok := iss.sign(t, iss.claims("alice@example.com", "kubectl", "dev"))
	client := newBenchClient(t, env.CA.CertFile, clients)
	proxyURL := fmt.Sprintf("https://127.0.0.1:%d/bench", port)

	// The floor: bareproxy (testdata/bareproxy) forwards with the same
	// impersonation and checks nothing, over HTTP/2 and over HTTP/1.1 to the
	// API server. "direct, impersonating" is the API server's own share:
	// the impersonator's token and headers sent straight to it.
	bareBin := filepath.Join(dir, "bareproxy")
	if out, err := exec.Command("go", "build", "-o", bareBin, "./testdata/bareproxy").CombinedOutput(); err != nil {
		t.Fatalf("build bareproxy: %v\n%s", err, out)
	}
	bare := map[bool]string{}
	barePID := map[bool]int{}
	for _, h2 := range []bool{true, false} {
		bp := testenv.FreePort(t)
		p := testenv.StartProcess(t, dir, fmt.Sprintf("bareproxy-h2-%v", h2), nil, bareBin,
			fmt.Sprintf("-listen=127.0.0.1:%d", bp), "-cert="+cert, "-key="+key, "-upstream="+env.URL, "-ca="+env.CA.CertFile,
			"-token-file="+impTok, "-user=alice@example.com", "-group=dev", fmt.Sprintf("-h2=%v", h2))
		bare[h2], barePID[h2] = fmt.Sprintf("https://127.0.0.1:%d", bp), p.PID()
		testenv.WaitFor(t, p, "bareproxy", func() error {
			return get(client, bare[h2]+"/api/v1/namespaces/bench/configmaps/cm-000", nil)
		})
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	impHdr := bearer(strings.TrimSpace(readFile(t, impTok)))
	impHdr.Set("Impersonate-User", "alice@example.com")
	impHdr.Set("Impersonate-Group", "dev")

	var report strings.Builder
	fmt.Fprintf(&report, "| request | path | req/s | of direct | p50 ms | p99 ms | proxy CPU, cores | errors |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range []struct{ name, path string }{
		{"GET small object", "/api/v1/namespaces/bench/configmaps/cm-000"},
		{"LIST 500", "/api/v1/namespaces/bench/configmaps"},
	} {
		// run loads base and returns the stats and, with pid > 0, that
		// process's CPU in cores.
		run := func(base string, h http.Header, pid int) (loadStats, float64) {
			var cpu0 float64
			if pid > 0 {
				cpu0 = procCPU(t, pid)
			}
			start := time.Now()
			s := load(client, base+c.path, h, clients, rate, time.Duration(secs)*time.Second)
			if pid == 0 {
				return s, 0
			}
			return s, (procCPU(t, pid) - cpu0) / time.Since(start).Seconds()
		}
		direct, _ := run(env.URL, bearer(readerTok), 0)
		imp, _ := run(env.URL, impHdr, 0)
		bareH2, bareH2CPU := run(bare[true], nil, barePID[true])
		bareH1, bareH1CPU := run(bare[false], nil, barePID[false])
		proxied, cpu := run(proxyURL, bearer(userTok), proc.PID())
		for _, r := range []struct {
			via string
			s   loadStats
			cpu float64
		}{{"direct", direct, 0}, {"direct, impersonating", imp, 0}, {"bareproxy, HTTP/2 upstream", bareH2, bareH2CPU},
			{"bareproxy, HTTP/1.1 upstream", bareH1, bareH1CPU}, {"authstack-apiproxy", proxied, cpu}} {
			cores := ""
			if r.cpu > 0 {
				cores = fmt.Sprintf("%.2f", r.cpu)
			}
			fmt.Fprintf(&report, "| %s | %s | %.0f | %.0f%% | %.2f | %.2f | %s | %d |\n", c.name, r.via, r.s.rps, 100*r.s.rps/direct.rps, r.s.p50, r.s.p99, cores, r.s.errors)
			if r.s.errors > 0 {
				t.Errorf("%s via %s: %d requests failed", c.name, r.via, r.s.errors)
			}
		}
	}
	if rate > 0 {
		fmt.Fprintf(&report, "\npaced: %d requests/s in total\n", rate)
	}
	fmt.Fprintf(&report, "\nproxy peak RSS (VmHWM): %s\n", procStatus(t, proc.PID(), "VmHWM"))
	t.Log("\n" + report.String())
	proc.Stop()
	<-proc.Done()
	if err := proc.Err(); err != nil {
		t.Errorf("the proxy did not exit cleanly on SIGTERM: %v", err)
	}
}

// get is one request that must answer 200.
func get(c *http.Client, url string, hdr http.Header) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newBenchClient(t *testing.T, caFile string, conns int) *http.Client {
	pool, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	tr.TLSClientConfig = &tls.Config{RootCAs: mustPool(t, pool)}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type loadStats struct {
	rps, p50, p99 float64
	errors        int
}

// load runs n clients against url for d and returns throughput and latency;
// with rate > 0 the clients together start at most rate requests a second.
func load(c *http.Client, url string, hdr http.Header, n, rate int, d time.Duration) loadStats {
	var mu sync.Mutex
	var lat []float64
	errs := 0
	deadline := time.Now().Add(d)
	var tokens chan struct{}
	if rate > 0 {
		tokens = make(chan struct{}, n)
		go func() {
			tick := time.NewTicker(time.Second / time.Duration(rate))
			defer tick.Stop()
			defer close(tokens)
			for now := range tick.C {
				if now.After(deadline) {
					return
				}
				select {
				case tokens <- struct{}{}:
				default: // every client busy: this slot is lost, as in a real burst
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			bad := 0
			for time.Now().Before(deadline) {
				if tokens != nil {
					if _, ok := <-tokens; !ok {
						break
					}
				}
				req, _ := http.NewRequest("GET", url, nil)
				for k, v := range hdr {
					req.Header[k] = v
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad++
					continue
				}
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Float64s(lat)
	s := loadStats{errors: errs, rps: float64(len(lat)) / d.Seconds()}
	if len(lat) > 0 {
		s.p50, s.p99 = lat[len(lat)*50/100], lat[len(lat)*99/100]
	}
	return s
}

// procCPU is the user+system CPU seconds of a process (/proc/PID/stat
// fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

func procStatus(t *testing.T, pid int, field string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func mustPool(t *testing.T, pem []byte) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate")
	}
	return p
}
