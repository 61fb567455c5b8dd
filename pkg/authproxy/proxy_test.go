package authproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// fakeForwarder "forwards" to an httptest server per Pod and lets the test
// break a forward as a Pod restart would.
type fakeForwarder struct {
	mu       sync.Mutex
	backends map[string]string // pod name → host:port
	calls    []Backend
	breaks   map[string]chan error
	closed   chan string
}

func newFakeForwarder(t *testing.T, pods ...string) *fakeForwarder {
	f := &fakeForwarder{backends: map[string]string{}, breaks: map[string]chan error{}, closed: make(chan string, 16)}
	for _, name := range pods {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s as %s", name, r.Header.Get("Authorization"))
		}))
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		f.backends[name] = u.Host
	}
	return f
}

func (f *fakeForwarder) Forward(ctx context.Context, b Backend) (string, <-chan error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, b)
	addr, ok := f.backends[b.Pod]
	if !ok {
		return "", nil, fmt.Errorf("pod %s does not exist", b.Pod)
	}
	brk := make(chan error, 1)
	f.breaks[b.Pod] = brk
	lost := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
			select {
			case f.closed <- b.Pod:
			default:
			}
			lost <- nil
		case err := <-brk:
			lost <- err
		}
	}()
	return addr, lost, nil
}

func (f *fakeForwarder) breakForward(pod string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breaks[pod] <- err
}

func (f *fakeForwarder) pods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var p []string
	for _, b := range f.calls {
		p = append(p, b.Pod)
	}
	return p
}

const ns = "apps"

var webService = service(ns, "web", nil, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")})

func webSlice(ready map[string]bool) *discoveryv1.EndpointSlice {
	var eps []endpoint
	for _, p := range []string{"web-a", "web-b"} {
		if r, ok := ready[p]; ok {
			eps = append(eps, endpoint{pod: p, ready: ptr.To(r)})
		}
	}
	return slice(ns, "web", "http", 8080, eps...)
}

type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
}

func startProxy(t *testing.T, p *Proxy, in Input) *running {
	t.Helper()
	started := make(chan string, 1)
	p.Started = func(u string) { started <- u }
	if p.Out == nil {
		p.Out = io.Discard
	}
	if p.Log == nil {
		p.Log = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- p.Do(ctx, in) }()
	select {
	case r.url = <-started:
	case err := <-r.done:
		cancel()
		t.Fatalf("proxy ended before serving: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("proxy did not start within 10s")
	}
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func get(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// eventually polls url until it answers want, or fails after a deadline.
func eventually(t *testing.T, url, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = get(url); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET %s = %q, want %q", url, got, want)
}

func TestProxyMovesToANewReadyPodWhenTheForwardIsLost(t *testing.T) {
	client := fake.NewClientset(webService, webSlice(map[string]bool{"web-a": true, "web-b": false}))
	fw := newFakeForwarder(t, "web-a", "web-b")
	p := &Proxy{Config: &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, Client: client, Forwarder: fw,
		Backoff: wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 100}}
	r := startProxy(t, p, Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: "127.0.0.1"})
	if got := get(r.url); got != "web-a as Bearer kube-token" {
		t.Fatalf("first page: %q", got)
	}
	// web-a restarts: its endpoint is not ready, web-b takes over.
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Update(context.Background(), webSlice(map[string]bool{"web-a": false, "web-b": true}), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	fw.breakForward("web-a", errors.New("lost connection to pod"))
	eventually(t, r.url, "web-b as Bearer kube-token")
	if got := fw.pods(); len(got) != 2 || got[1] != "web-b" {
		t.Errorf("forwarded to %v, want web-a then web-b", got)
	}
}

func TestProxyReconnectsWhenThePodStopsBeingReady(t *testing.T) {
	podA := pod(ns, "web-a", "web", true, corev1.ContainerPort{Name: "http", ContainerPort: 8080})
	client := fake.NewClientset(webService, podA, webSlice(map[string]bool{"web-a": true, "web-b": false}))
	fw := newFakeForwarder(t, "web-a", "web-b")
	p := &Proxy{Config: &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, Client: client, Forwarder: fw,
		Backoff: wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 100}}
	r := startProxy(t, p, Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: "127.0.0.1"})
	// The container restarts: no connection has failed yet, but the watch
	// sees the Pod go not ready and the forward is closed and re-opened.
	notReady := podA.DeepCopy()
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), notReady, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Update(context.Background(), webSlice(map[string]bool{"web-a": false, "web-b": true}), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case pod := <-fw.closed:
		if pod != "web-a" {
			t.Fatalf("closed the forward to %s", pod)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the forward to the not-ready pod was not closed")
	}
	eventually(t, r.url, "web-b as Bearer kube-token")
}

// A Pod the EndpointSlice still lists as ready while the Pod is not (the
// slice lags, or the Pod crash-loops) loses each forward at once: that must
// use up the retries, not spin forever.
func TestProxyGivesUpOnAPodLostAsSoonAsForwarded(t *testing.T) {
	podA := pod(ns, "web-a", "web", true, corev1.ContainerPort{Name: "http", ContainerPort: 8080})
	client := fake.NewClientset(webService, podA, webSlice(map[string]bool{"web-a": true}))
	fw := newFakeForwarder(t, "web-a")
	p := &Proxy{Config: &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, Client: client, Forwarder: fw,
		Backoff: wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}}
	r := startProxy(t, p, Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: "127.0.0.1"})
	notReady := podA.DeepCopy()
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(context.Background(), notReady, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		r.done <- err
		if err == nil || !strings.Contains(err.Error(), "re-establish the port-forward to service/web") {
			t.Fatalf("Do = %v, want an error once the retries are used up", err)
		}
		if n := len(fw.pods()); n > 5 {
			t.Errorf("forwarded %d times with 3 retries", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the proxy kept forwarding to a pod that is not ready (%d forwards)", len(fw.pods()))
	}
}

func TestProxyGivesUpAfterBoundedRetries(t *testing.T) {
	client := fake.NewClientset(webService, webSlice(map[string]bool{"web-a": true}))
	fw := newFakeForwarder(t, "web-a")
	p := &Proxy{Config: &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, Client: client, Forwarder: fw,
		Backoff: wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}}
	r := startProxy(t, p, Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: "127.0.0.1"})
	if err := client.DiscoveryV1().EndpointSlices(ns).Delete(context.Background(), "web-abc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	fw.breakForward("web-a", errors.New("lost connection to pod"))
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		if err == nil || !strings.Contains(err.Error(), "re-establish the port-forward to service/web") {
			t.Fatalf("Do = %v, want an error after the retries", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy kept retrying")
	}
}

func TestProxyStopsCleanlyWhenCancelled(t *testing.T) {
	client := fake.NewClientset(webService, webSlice(map[string]bool{"web-a": true}))
	fw := newFakeForwarder(t, "web-a")
	p := &Proxy{Config: &rest.Config{Host: "https://k8s.example", BearerToken: "kube-token"}, Client: client, Forwarder: fw}
	r := startProxy(t, p, Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: "127.0.0.1"})
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("Do after Ctrl-C = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	select {
	case <-fw.closed:
	default:
		t.Error("Do returned before the forward was closed")
	}
	if _, err := http.Get(r.url); err == nil {
		t.Error("the listener still answers after Do returned")
	}
}

func TestProxyRefusesToStartUnsafely(t *testing.T) {
	client := fake.NewClientset(webService, webSlice(map[string]bool{"web-a": true}))
	for _, tc := range []struct {
		name string
		cfg  *rest.Config
		addr string
		want string
	}{
		{"all interfaces", &rest.Config{BearerToken: "t"}, "0.0.0.0", "not a loopback address"},
		{"a LAN address", &rest.Config{BearerToken: "t"}, "192.168.1.10", "not a loopback address"},
		{"a host name", &rest.Config{BearerToken: "t"}, "example.com", "not a loopback address"},
		{"client certificate", &rest.Config{TLSClientConfig: rest.TLSClientConfig{CertData: []byte("c"), KeyData: []byte("k")}}, "127.0.0.1", "client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw := newFakeForwarder(t, "web-a")
			tc.cfg.Host = "https://k8s.example"
			p := &Proxy{Config: tc.cfg, Client: client, Forwarder: fw, Out: io.Discard, Log: io.Discard}
			err := p.Do(context.Background(), Input{Target: Target{Kind: KindService, Name: "web"}, Namespace: ns, Address: tc.addr})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Do = %v, want %q", err, tc.want)
			}
			if len(fw.pods()) != 0 {
				t.Errorf("forwarded to %v before refusing", fw.pods())
			}
		})
	}
}

func TestCheckAddressAcceptsLoopback(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1", "127.0.0.2": "127.0.0.2"} {
		if got, err := CheckAddress(in); err != nil || got != want {
			t.Errorf("CheckAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
