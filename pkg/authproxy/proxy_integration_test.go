package authproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/internal/testenv"
)

// recordingForwarder stands in for the port-forward, which needs a kubelet
// the test control plane does not have: it records the Pod and port the
// proxy chose from the real API objects and "forwards" to a local server.
type recordingForwarder struct {
	addr string
	got  chan Backend
}

func (f *recordingForwarder) Forward(ctx context.Context, b Backend) (string, <-chan error, error) {
	f.got <- b
	lost := make(chan error, 1)
	go func() { <-ctx.Done(); lost <- nil }()
	return f.addr, lost, nil
}

// TestIntegrationProxyFindsTheDashboardAndInjectsATokenTheAPIServerAccepts
// runs the proxy as a user who may only read the dashboard's namespace,
// with an exec plugin credential: it must find the dashboard without the
// right to list Services everywhere, pick the ready Pod and the target port
// from the EndpointSlice, and pass on a token the real API server accepts
// as that user, as the Dashboard does with the header it receives.
func TestIntegrationProxyFindsTheDashboardAndInjectsATokenTheAPIServerAccepts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	env := testenv.Start(t, testenv.Options{})
	ctx := context.Background()
	admin, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	const dns = "kubernetes-dashboard"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dns}}, metav1.CreateOptions{}))
	must(admin.CoreV1().Services(dns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes-dashboard-kong-proxy", Labels: map[string]string{"app.kubernetes.io/name": "kong"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "kong"}, Ports: []corev1.ServicePort{
			{Name: "kong-proxy-tls", Port: 443, TargetPort: intstr.FromString("proxy-tls")},
		}},
	}, metav1.CreateOptions{}))
	must(admin.DiscoveryV1().EndpointSlices(dns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kong-proxy-1", Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes-dashboard-kong-proxy"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("kong-proxy-tls"), Port: ptr.To[int32](8443), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "kong-a"}},
			{Addresses: []string{"10.1.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "kong-b"}},
		},
	}, metav1.CreateOptions{}))

	// alice may read the dashboard's namespace and nothing else.
	must(admin.CoreV1().ServiceAccounts(dns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "alice"}}, metav1.CreateOptions{}))
	must(admin.RbacV1().Roles(dns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "proxy"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services", "pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list"}},
			{APIGroups: []string{""}, Resources: []string{"pods/portforward"}, Verbs: []string{"create"}},
		},
	}, metav1.CreateOptions{}))
	must(admin.RbacV1().RoleBindings(dns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "proxy"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "proxy"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: dns, Name: "alice"}},
	}, metav1.CreateOptions{}))
	tr, err := admin.CoreV1().ServiceAccounts(dns).CreateToken(ctx, "alice", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(tr.Status.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := env.UserKubeconfig(t, "alice.kubeconfig", &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		Command: self, APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		Env: []clientcmdapi.ExecEnvVar{{Name: execTokenEnv, Value: tokenFile}},
	}})
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// The "dashboard" asks the API server who the token it got belongs to.
	dashboard := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "no bearer token", http.StatusUnauthorized)
			return
		}
		asUser, err := kubernetes.NewForConfig(&rest.Config{Host: env.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: env.CA.CertFile}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ssr, err := asUser.AuthenticationV1().SelfSubjectReviews().Create(r.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, ssr.Status.UserInfo.Username)
	}))
	t.Cleanup(dashboard.Close)
	u, _ := url.Parse(dashboard.URL)
	fw := &recordingForwarder{addr: u.Host, got: make(chan Backend, 1)}

	p := &Proxy{Config: cfg, Client: client, Forwarder: fw}
	launched := time.Now()
	r := startProxy(t, p, Input{Target: Target{Kind: KindDashboard}, Address: "127.0.0.1"})
	want := Backend{Namespace: dns, Pod: "kong-b", Port: 8443, Scheme: "https", Via: "service/kubernetes-dashboard-kong-proxy port 443"}
	if b := <-fw.got; b != want {
		t.Errorf("forwarded to %+v, want %+v", b, want)
	}
	req, _ := http.NewRequest(http.MethodGet, r.url, nil)
	req.Header.Set("Authorization", "Bearer not-alices")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "system:serviceaccount:kubernetes-dashboard:alice" {
		t.Fatalf("the dashboard saw %d %q, want alice's identity from the API server", resp.StatusCode, body)
	}
	t.Logf("start to first page (exec plugin, discovery, stand-in forward): %s", time.Since(launched).Round(time.Millisecond))
}
