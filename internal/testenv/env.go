package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const hint = "run hack/e2e-binaries.sh to build the upstream binaries"

// BinDir is where the upstream binaries are: $AUTHSTACK_E2E_BIN, else the
// bin directory of the cache hack/e2e-binaries.sh fills.
func BinDir() (string, error) {
	dir := os.Getenv("AUTHSTACK_E2E_BIN")
	if dir == "" {
		cache := os.Getenv("AUTHSTACK_E2E_CACHE")
		if cache == "" {
			base := os.Getenv("XDG_CACHE_HOME")
			if base == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return "", fmt.Errorf("find the e2e binary cache: %w; set AUTHSTACK_E2E_BIN or %s", err, hint)
				}
				base = filepath.Join(home, ".cache")
			}
			cache = filepath.Join(base, "authstack-e2e")
		}
		dir = filepath.Join(cache, "bin")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("e2e binary directory %s does not exist: %s", dir, hint)
	}
	return dir, nil
}

// Bin returns the path of the upstream binary name, or fails the test with a
// hint to build it.
func Bin(t testing.TB, name string) string {
	t.Helper()
	dir, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("binary %s not found in %s: %s", name, dir, hint)
	}
	return p
}

// Options configures Start.
type Options struct {
	// Dir holds PKI, data and logs; default t.TempDir().
	Dir string
	// APIServerFlags are extra kube-apiserver flags, e.g.
	// "--authentication-config=/path" or "--oidc-issuer-url=...".
	APIServerFlags []string
	// ControllerManager also starts kube-controller-manager with the
	// clusterrole-aggregation and serviceaccount controllers, so the built-in
	// view/edit/admin ClusterRoles get their rules.
	ControllerManager bool
	// Controllers are more kube-controller-manager controllers to run, such
	// as deployment and replicaset, which create the ReplicaSets and Pods
	// of Deployments (Pods stay Pending: there is no scheduler or kubelet).
	Controllers []string
	// Etcd is the client URL of an etcd another Env started (its EtcdURL):
	// this API server then keeps its objects there under EtcdPrefix instead
	// of starting an etcd of its own, a second cluster for one process less.
	Etcd string
	// EtcdPrefix is kube-apiserver's --etcd-prefix (default /registry); two
	// API servers on one etcd need different ones.
	EtcdPrefix string
}

// Env is a running test control plane.
type Env struct {
	Dir string
	// URL is https://127.0.0.1:PORT of the kube-apiserver.
	URL string
	// CA is the cluster CA; it also signs the apiserver serving certificate.
	CA *CA
	// AdminKubeconfig is a kubeconfig file with a system:masters client cert.
	AdminKubeconfig string
	// Config is the admin rest.Config.
	Config *rest.Config
	// EtcdURL is the etcd the API server stores in.
	EtcdURL string
}

// Start runs etcd (unless opts.Etcd names one) and kube-apiserver (and
// kube-controller-manager when asked) and waits until the apiserver is ready. Everything is stopped in t.Cleanup,
// the apiserver before etcd.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	apiBin := Bin(t, "kube-apiserver")
	kcmBin := ""
	if opts.ControllerManager {
		kcmBin = Bin(t, "kube-controller-manager")
	}
	dir := opts.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	pki := filepath.Join(dir, "pki")
	e := &Env{Dir: dir}
	e.CA = NewCA(t, pki, "ca")
	serverCert, serverKey := e.CA.Issue(t, pki, "apiserver", "kube-apiserver", nil,
		[]string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "10.0.0.1"}, true, false)
	adminCert, adminKey := e.CA.Issue(t, pki, "admin", "admin", []string{"system:masters"}, nil, false, true)
	saKey, saPub := serviceAccountKeys(t, pki)

	etcdURL := opts.Etcd
	if etcdURL == "" {
		etcdURL = startEtcd(t, dir)
	}
	e.EtcdURL = etcdURL

	// kube-apiserver
	port := FreePort(t)
	e.URL = "https://127.0.0.1:" + strconv.Itoa(port)
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + serverCert,
		"--tls-private-key-file=" + serverKey,
		"--client-ca-file=" + e.CA.CertFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + saPub,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--profiling=false",
	}
	if opts.EtcdPrefix != "" {
		args = append(args, "--etcd-prefix="+opts.EtcdPrefix)
	}
	args = append(args, opts.APIServerFlags...)
	api := StartProcess(t, dir, "kube-apiserver", nil, apiBin, args...)

	e.AdminKubeconfig = writeKubeconfig(t, dir, "admin.kubeconfig", e.URL, e.CA.CertFile, adminCert, adminKey)
	e.Config = &rest.Config{
		Host: e.URL,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   e.CA.CertFile,
			CertFile: adminCert,
			KeyFile:  adminKey,
		},
		QPS:   200,
		Burst: 400,
	}
	client, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	WaitFor(t, api, "kube-apiserver /readyz", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s", err, body)
		}
		return nil
	})

	if opts.ControllerManager {
		kcmCert, kcmKey := e.CA.Issue(t, pki, "kube-controller-manager", "system:kube-controller-manager", nil, nil, false, true)
		kcmConfig := writeKubeconfig(t, dir, "kube-controller-manager.kubeconfig", e.URL, e.CA.CertFile, kcmCert, kcmKey)
		kcm := StartProcess(t, dir, "kube-controller-manager", nil, kcmBin,
			"--kubeconfig="+kcmConfig,
			"--authentication-kubeconfig="+kcmConfig,
			"--authorization-kubeconfig="+kcmConfig,
			"--bind-address=127.0.0.1",
			"--secure-port="+strconv.Itoa(FreePort(t)),
			"--leader-elect=false",
			"--use-service-account-credentials=true",
			"--controllers="+strings.Join(append([]string{"clusterrole-aggregation", "serviceaccount"}, opts.Controllers...), ","),
			"--service-account-private-key-file="+saKey,
			"--root-ca-file="+e.CA.CertFile,
		)
		WaitFor(t, kcm, `aggregated rules of ClusterRole "view"`, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			role, err := client.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(role.Rules) == 0 {
				return errors.New("ClusterRole view has no rules yet")
			}
			return nil
		})
	}
	return e
}

// startEtcd runs etcd with its data under dir and returns its client URL.
func startEtcd(t testing.TB, dir string) string {
	t.Helper()
	clientPort, peerPort := FreePort(t), FreePort(t)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	etcd := StartProcess(t, dir, "etcd", nil, Bin(t, "etcd"),
		"--name=testenv",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testenv="+peerURL,
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	)
	WaitFor(t, etcd, "etcd health", func() error { return httpOK(http.DefaultClient, etcdURL+"/health") })
	return etcdURL
}

// Kubectl runs the kubectl binary with kubeconfig (the admin one when empty).
func (e *Env) Kubectl(t testing.TB, kubeconfig string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if kubeconfig == "" {
		kubeconfig = e.AdminKubeconfig
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Bin(t, "kubectl"), append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(e.Dir, "kubectl-cache"))
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), err
}

func httpOK(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func serviceAccountKeys(t testing.TB, dir string) (keyFile, pubFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("service account key: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("service account public key: %v", err)
	}
	keyFile = writeFile(t, dir, "sa.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	pubFile = writeFile(t, dir, "sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return keyFile, pubFile
}

// UserKubeconfig writes a kubeconfig named name (under Dir) for this API
// server that authenticates with user, for example a kubelogin exec plugin
// or a client certificate issued by CA.
func (e *Env) UserKubeconfig(t testing.TB, name string, user *clientcmdapi.AuthInfo) string {
	t.Helper()
	return writeKubeconfigAuth(t, e.Dir, name, e.URL, e.CA.CertFile, user)
}

func writeKubeconfig(t testing.TB, dir, name, server, caFile, certFile, keyFile string) string {
	t.Helper()
	return writeKubeconfigAuth(t, dir, name, server, caFile, &clientcmdapi.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile})
}

func writeKubeconfigAuth(t testing.TB, dir, name, server, caFile string, user *clientcmdapi.AuthInfo) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: caFile}
	cfg.AuthInfos["testenv"] = user
	cfg.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "testenv"}
	cfg.CurrentContext = "testenv"
	p := filepath.Join(dir, name)
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatalf("write kubeconfig %s: %v", p, err)
	}
	return p
}
