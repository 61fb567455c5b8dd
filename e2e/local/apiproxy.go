//go:build e2e

package local

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// ModeProxy is a managed cluster's stack: API servers started with no OIDC
// settings, authstack-apiproxy in front of them.
const ModeProxy = "proxy"

// proxyClusters are spec.clusters of mode proxy. The first is also the
// cluster authstack applies to, where dex and the proxy run.
var proxyClusters = []string{"a", "b"}

// startManagedClusters runs one API server per cluster behind the proxy,
// with no OIDC settings: nobody can set a managed cluster's flags. They
// share one etcd under their own prefixes; each has a controller manager
// for the token controller (which fills the proxy's token Secret apply
// waits for) and the aggregation of the built-in view role (the watcher
// team role binds it). It also starts the audit webhook the spec names,
// and writes the kubeconfig apply runs with: one context per cluster, the
// first current.
func (s *Stack) startManagedClusters(t *testing.T) {
	t.Helper()
	s.Audit = startAuditSink(t, s.ServingCert, s.ServingKey)
	p := &proxyParams{Host: "localhost", CAFile: filepath.Join(s.Dir, "issuer-ca.crt"), AuditURL: s.Audit.URL}
	s.Clusters = map[string]*testenv.Env{}
	kc := clientcmdapi.NewConfig()
	for _, name := range proxyClusters {
		opts := testenv.Options{Dir: filepath.Join(s.Dir, "cluster-"+name), ControllerManager: true, Controllers: []string{"serviceaccount-token"}}
		if s.Env != nil {
			opts.Etcd, opts.EtcdPrefix = s.Env.EtcdURL, "/"+name
		}
		env := testenv.Start(t, opts)
		if s.Env == nil {
			s.Env = env
		} else if _, _, err := env.Kubectl(t, "", "create", "namespace", "shop"); err != nil {
			// The team's namespace exists in every cluster (the first gets
			// it from Start).
			t.Fatal(err)
		}
		s.Clusters[name] = env
		admin, err := clientcmd.LoadFromFile(env.AdminKubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		ctx := admin.Contexts[admin.CurrentContext]
		kc.Clusters[name] = admin.Clusters[ctx.Cluster]
		kc.AuthInfos[name] = admin.AuthInfos[ctx.AuthInfo]
		kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
		p.Clusters = append(p.Clusters, proxyClusterParams{Name: name, Server: env.URL, CA: env.CA.CertFile, Context: name})
	}
	kc.CurrentContext = proxyClusters[0]
	s.Kubeconfig = filepath.Join(s.Dir, "clusters.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, s.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	s.Params.Proxy = p
	// Installer managed leaves the API servers alone: nothing to put
	// there, which is why they run with no OIDC settings.
	for _, f := range s.render(t).Files {
		if strings.HasPrefix(f.Path, "apiserver/") {
			t.Fatalf("installer managed rendered the API server file %s", f.Path)
		}
	}
}

// auditSink is the proxy's audit webhook: an HTTPS server on 127.0.0.1
// with the tier's serving certificate that keeps every POST.
type auditSink struct {
	URL   string
	mu    sync.Mutex
	posts []auditPost
}

type auditPost struct {
	Path string
	Body []byte
}

func startAuditSink(t testing.TB, certFile, keyFile string) *auditSink {
	t.Helper()
	a := &auditSink{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.posts = append(a.posts, auditPost{Path: r.URL.Path, Body: body})
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// Posts are the POSTs received so far.
func (a *auditSink) Posts() []auditPost {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]auditPost(nil), a.posts...)
}

// auditRecord is the part of a records-format POST the tier checks
// (pkg/apiproxy record: kube-oidc-proxy's fields plus the outcome).
type auditRecord struct {
	Cluster     string          `json:"cluster_name"`
	Email       string          `json:"email"`
	Groups      []string        `json:"groups"`
	Path        string          `json:"request_path"`
	Verb        string          `json:"verb"`
	Namespace   string          `json:"namespace"`
	Resource    string          `json:"resource"`
	Name        string          `json:"name"`
	RequestBody json.RawMessage `json:"request_body"`
	Code        int             `json:"code"`
	Decision    string          `json:"decision"`
	Reason      string          `json:"reason"`
	SourceIP    string          `json:"source_ip"`
}

// APIProxy is authstack-apiproxy running as a pod of the applied
// Deployment would.
type APIProxy struct {
	Proc *testenv.Process
	// Addr is its HTTPS address, what the Service's address is to users.
	Addr string
	// Probes is its plain-HTTP probe address.
	Probes string
	// Args are the arguments it runs with.
	Args []string
}

// StartAPIProxy builds cmd/authstack-apiproxy and runs it as the pod of the
// applied Deployment would run: the container's args, with every volume
// the container mounts made from the applied ConfigMap and Secrets (the
// same items at the same paths, under a local directory instead of the
// mount path). Only the listen addresses differ: 127.0.0.1 and free ports
// instead of the pod's ports.
func (s *Stack) StartAPIProxy(t *testing.T) *APIProxy {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "authstack-apiproxy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/authstack-apiproxy")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/authstack-apiproxy: %v\n%s", err, out)
	}
	ctx := context.Background()
	ns := s.Spec(t).Spec.Proxy.Namespace
	dep, err := s.Client.AppsV1().Deployments(ns).Get(ctx, apiproxy.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the applied proxy Deployment: %v", err)
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("the proxy's pod has %d containers and %d init containers; the tier runs exactly one", len(pod.Containers), len(pod.InitContainers))
	}
	c := pod.Containers[0]
	if len(c.Command) != 0 || len(c.Env) != 0 || len(c.EnvFrom) != 0 {
		t.Fatalf("the proxy's container sets command %q, env %v, envFrom %v: the tier passes only args", c.Command, c.Env, c.EnvFrom)
	}
	root := filepath.Join(s.Dir, "apiproxy-pod")
	mounts := map[string]string{} // mount path -> local directory
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = filepath.Join(root, m.Name)
	}
	// local maps a path in the container to the file the tier wrote, by
	// the longest mount path it is under.
	local := func(v string) string {
		best := ""
		for mp := range mounts {
			if (v == mp || strings.HasPrefix(v, mp+"/")) && len(mp) > len(best) {
				best = mp
			}
		}
		if best == "" {
			return v
		}
		return mounts[best] + strings.TrimPrefix(v, best)
	}
	for _, m := range c.VolumeMounts {
		s.materializeVolume(t, ns, pod.Volumes, m, mounts[m.MountPath], local)
	}

	addr, probes := hostPort(freePort(t)), hostPort(freePort(t))
	overridden := map[string]string{
		"secure-port":        strconv.Itoa(mustPort(t, addr)),
		"probe-bind-address": probes,
		"bind-address":       "127.0.0.1",
	}
	var args []string
	seen := map[string]bool{}
	for _, a := range c.Args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok || !strings.HasPrefix(a, "--") {
			t.Fatalf("the proxy's arg %q is not --name=value", a)
		}
		if v, ok := overridden[name]; ok {
			value = v
			seen[name] = true
		}
		args = append(args, "--"+name+"="+local(value))
	}
	for _, name := range []string{"secure-port", "probe-bind-address"} {
		if !seen[name] {
			t.Fatalf("the rendered args lack --%s, which the tier overrides: %q", name, c.Args)
		}
	}
	if !seen["bind-address"] {
		args = append(args, "--bind-address=127.0.0.1")
	}
	// The proxy's stack-long process, like dex's.
	proc := testenv.StartProcess(s.t, root, "authstack-apiproxy", nil, bin, args...)
	testenv.WaitFor(t, proc, "authstack-apiproxy /readyz", func() error { return s.get("http://" + probes + "/readyz") })
	return &APIProxy{Proc: proc, Addr: addr, Probes: probes, Args: args}
}

func mustPort(t testing.TB, hostport string) int {
	t.Helper()
	_, p, _ := strings.Cut(hostport, ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// materializeVolume writes the files a volume mount shows the container:
// ConfigMap, Secret and projected volumes of them, from the applied
// objects, with their items' paths (all keys without items). The text of
// ConfigMap files goes through local too: the clusters config names the
// CA and token files by their mount paths.
func (s *Stack) materializeVolume(t testing.TB, ns string, volumes []corev1.Volume, m corev1.VolumeMount, dir string, local func(string) string) {
	t.Helper()
	var vol *corev1.Volume
	for i := range volumes {
		if volumes[i].Name == m.Name {
			vol = &volumes[i]
		}
	}
	if vol == nil {
		t.Fatalf("the proxy mounts volume %s, which the pod does not have", m.Name)
	}
	if m.SubPath != "" {
		t.Fatalf("volume mount %s uses subPath, which the tier does not reproduce", m.Name)
	}
	ctx := context.Background()
	write := func(data map[string][]byte, items []corev1.KeyToPath, text bool, what string) {
		if len(items) == 0 {
			for k := range data {
				items = append(items, corev1.KeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			v, ok := data[it.Key]
			if !ok {
				t.Fatalf("%s has no key %s, which volume %s projects to %s", what, it.Key, m.Name, it.Path)
			}
			if text {
				v = []byte(rewritePaths(string(v), local))
			}
			writeFile(t, filepath.Join(dir, filepath.FromSlash(path.Clean(it.Path))), v)
		}
	}
	configMap := func(name string, items []corev1.KeyToPath) {
		cm, err := s.Client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("volume %s: ConfigMap %s/%s: %v", m.Name, ns, name, err)
		}
		data := map[string][]byte{}
		for k, v := range cm.Data {
			data[k] = []byte(v)
		}
		write(data, items, true, "ConfigMap "+ns+"/"+name)
	}
	secret := func(name string, items []corev1.KeyToPath) {
		write(s.secretData(t, ns, name), items, false, "Secret "+ns+"/"+name)
	}
	switch src := vol.VolumeSource; {
	case src.ConfigMap != nil:
		configMap(src.ConfigMap.Name, src.ConfigMap.Items)
	case src.Secret != nil:
		secret(src.Secret.SecretName, src.Secret.Items)
	case src.Projected != nil:
		for _, p := range src.Projected.Sources {
			switch {
			case p.ConfigMap != nil:
				configMap(p.ConfigMap.Name, p.ConfigMap.Items)
			case p.Secret != nil:
				secret(p.Secret.Name, p.Secret.Items)
			default:
				t.Fatalf("volume %s projects a source the tier does not reproduce: %+v", m.Name, p)
			}
		}
	default:
		t.Fatalf("volume %s is of a kind the tier does not reproduce: %+v", m.Name, src)
	}
}

// rewritePaths replaces the absolute paths in a configuration file's text
// that local maps.
func rewritePaths(text string, local func(string) string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		fields := strings.Fields(l)
		if len(fields) == 0 {
			continue
		}
		last := fields[len(fields)-1]
		if strings.HasPrefix(last, "/") {
			if to := local(last); to != last {
				lines[i] = strings.TrimSuffix(l, last) + to
			}
		}
	}
	return strings.Join(lines, "\n")
}

// CreateProxyTLSSecret creates the proxy's serving certificate Secret
// (proxy.tls.secretName) as the user does without cert-manager: the tier's
// certificate for localhost, signed by the CA of proxy.tls.caFile.
func (s *Stack) CreateProxyTLSSecret(t testing.TB) {
	t.Helper()
	p := s.Spec(t).Spec.Proxy
	cert, key := readFile(t, s.ServingCert), readFile(t, s.ServingKey)
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: p.TLS.SecretName, Namespace: p.Namespace},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key},
	}
	if _, err := s.Client.CoreV1().Secrets(p.Namespace).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create the proxy's TLS Secret: %v", err)
	}
}

// ProxyKubeconfig is the rendered kubeconfig of u (UserKubeconfig: kubelogin
// on the password grant) with each cluster's server reaching the proxy at
// addr: proxy.host's DNS name points at the Service, here a port on
// 127.0.0.1. The path (/<cluster>), the CA and the login stay as rendered.
func (s *Stack) ProxyKubeconfig(t testing.TB, u ldapUser, p *APIProxy) string {
	t.Helper()
	file := s.UserKubeconfig(t, u)
	cfg, err := clientcmd.LoadFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	host := s.Spec(t).Spec.Proxy.Host
	for name, c := range cfg.Clusters {
		su, err := url.Parse(c.Server)
		if err != nil || su.Host != host || su.Path != "/"+name {
			t.Fatalf("the rendered kubeconfig's cluster %s has server %q, want https://%s/%s", name, c.Server, host, name)
		}
		su.Host = withPort(host, p.Addr)
		c.Server = su.String()
	}
	out := file + "-proxy"
	if err := clientcmd.WriteToFile(*cfg, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// withPort is host with addr's port.
func withPort(host, addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	return host + ":" + port
}

// TeamGroup is the group of a team role in one of spec.clusters, as the
// spec names it there.
func (s *Stack) TeamGroup(t testing.TB, cluster string, role v1alpha1.TeamRole, ns string) string {
	t.Helper()
	spec := &s.Spec(t).Spec
	for i := range spec.Clusters {
		if spec.Clusters[i].Name == cluster {
			return spec.ForCluster(&spec.Clusters[i]).TeamGroup(role, ns)
		}
	}
	t.Fatalf("no cluster %s in spec.clusters", cluster)
	return ""
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
