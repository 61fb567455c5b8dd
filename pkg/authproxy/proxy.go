package authproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DefaultPort is kauthproxy's default local port, kept so that its users
// find the UI where they are used to.
const DefaultPort = 18000

// Input is what one run of the proxy serves.
type Input struct {
	Target Target
	// Namespace is -n: where a named target is, or the only namespace the
	// dashboard is looked for in (empty: all namespaces).
	Namespace string
	// Address must be a loopback address; Port 0 picks a free port.
	Address string
	Port    int
	// OpenBrowser opens the URL once the first forward is up.
	OpenBrowser bool
}

// Proxy is the authstack proxy use case.
type Proxy struct {
	Config    *rest.Config
	Client    kubernetes.Interface
	Forwarder Forwarder
	// Browser opens a URL; nil never opens one.
	Browser func(url string) error
	// Out receives the URL to open, Log the progress.
	Out, Log io.Writer
	// Backoff bounds the attempts to re-establish a lost forward; zero
	// means DefaultBackoff.
	Backoff wait.Backoff
	// Started, when set, is called with the URL once the proxy serves.
	Started func(url string)
}

// DefaultBackoff re-establishes a lost forward over about half a minute,
// long enough for a Deployment to replace a Pod.
var DefaultBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Steps: 7, Cap: 10 * time.Second}

// CheckAddress refuses a listen address that is not loopback: the proxy adds
// the user's token to every request it receives, so anyone who can reach it
// acts as the user.
func CheckAddress(address string) (string, error) {
	if address == "localhost" {
		return "127.0.0.1", nil
	}
	ip := net.ParseIP(address)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("--address %q is not a loopback address (127.0.0.1, ::1): the proxy adds your token to every request it gets, so it must not be reachable from another machine", address)
	}
	return ip.String(), nil
}

// Do serves in.Target until ctx is done. It returns nil on cancellation
// and an error when it cannot start or cannot re-establish the forward.
func (p *Proxy) Do(ctx context.Context, in Input) error {
	addr, err := CheckAddress(in.Address)
	if err != nil {
		return err
	}
	if in.Port < 0 || in.Port > 65535 {
		return fmt.Errorf("--port %d is not a port number", in.Port)
	}
	cred, err := NewCredential(p.Config)
	if err != nil {
		return err
	}
	if err := cred.Check(); err != nil {
		return fmt.Errorf("get a token from the kubeconfig: %w", err)
	}
	res := &Resolver{Client: p.Client, Namespace: in.Namespace}
	target, ns, err := res.Find(ctx, in.Target)
	if err != nil {
		return err
	}
	backend, err := res.Resolve(ctx, target, ns)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(in.Port)))
	if err != nil {
		return fmt.Errorf("listen on %s: %w; pick another --port", net.JoinHostPort(addr, strconv.Itoa(in.Port)), err)
	}
	defer ln.Close()
	listen := ln.Addr().String()
	var upstream Upstream
	handler, err := NewHandler(listen, &upstream, cred)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	url := "http://" + listen + "/"
	// Every forward ends with ctx: on return, cancel it and wait until the
	// current one has closed its listener and its connection.
	ctx, cancel := context.WithCancel(ctx)
	var lost <-chan error
	defer func() {
		cancel()
		if lost != nil {
			<-lost
		}
	}()
	local, lost, err := p.forward(ctx, backend)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	backoff := p.backoff()
	for first := true; ; first = false {
		established := time.Now()
		upstream.Set(backend.Scheme, local)
		fmt.Fprintf(p.Log, "forwarding to %s\n", backend)
		if first {
			fmt.Fprintf(p.Out, "serving %s as your kubeconfig user on %s (Ctrl-C stops)\n", target, url)
			if p.Started != nil {
				p.Started(url)
			}
			if in.OpenBrowser && p.Browser != nil {
				if err := p.Browser(url); err != nil {
					fmt.Fprintf(p.Log, "could not open a browser (%v): open %s\n", err, url)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return fmt.Errorf("serve %s: %w", listen, err)
		case err := <-lost:
			lost = nil
			upstream.Set("", "")
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(p.Log, "lost the port-forward to pod %s: %v; reconnecting\n", backend.Pod, err)
			if time.Since(established) >= stableAfter {
				backoff = p.backoff()
			} else if !p.wait(ctx, &backoff, target, err) {
				// A forward lost as soon as it is made (a Pod the
				// EndpointSlice still lists as ready, a crash loop)
				// counts as a failed attempt: no tight loop.
				if ctx.Err() != nil {
					return nil
				}
				return retriesUsedUp(target, err)
			}
		}
		backend, local, lost, err = p.reconnect(ctx, res, target, ns, &backoff)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// stableAfter is how long a forward must have worked for its loss to start
// a fresh round of retries.
const stableAfter = 10 * time.Second

func (p *Proxy) backoff() wait.Backoff {
	if p.Backoff.Steps == 0 {
		return DefaultBackoff
	}
	return p.Backoff
}

// wait sleeps for the next backoff step; false when the retries are used up
// or ctx is done.
func (p *Proxy) wait(ctx context.Context, backoff *wait.Backoff, target Target, err error) bool {
	if backoff.Steps < 1 {
		return false
	}
	d := backoff.Step()
	fmt.Fprintf(p.Log, "port-forward to %s: %v; retrying in %s\n", target, err, d.Round(time.Millisecond))
	return sleep(ctx, d)
}

func retriesUsedUp(target Target, err error) error {
	return fmt.Errorf("re-establish the port-forward to %s: %w", target, err)
}

// reconnect finds a ready Pod again (the old one, restarted, or a new one)
// and forwards to it, retrying with backoff.
func (p *Proxy) reconnect(ctx context.Context, res *Resolver, target Target, ns string, backoff *wait.Backoff) (Backend, string, <-chan error, error) {
	for {
		b, err := res.Resolve(ctx, target, ns)
		if err == nil {
			local, lost, ferr := p.forward(ctx, b)
			if ferr == nil {
				return b, local, lost, nil
			}
			err = ferr
		}
		if !p.wait(ctx, backoff, target, err) {
			return Backend{}, "", nil, retriesUsedUp(target, err)
		}
	}
}

// forward opens a forward to b and ends it early when the Pod is deleted or
// stops being ready, so that the next request goes to a new Pod instead of
// failing on the old one.
func (p *Proxy) forward(ctx context.Context, b Backend) (string, <-chan error, error) {
	fctx, cancel := context.WithCancel(ctx)
	local, lost, err := p.Forwarder.Forward(fctx, b)
	if err != nil {
		cancel()
		return "", nil, err
	}
	out := make(chan error, 1)
	go func() {
		defer cancel()
		gone := p.podGone(fctx, b)
		select {
		case err := <-lost:
			if err == nil {
				err = fmt.Errorf("the port-forward to pod %s ended", b.Pod)
			}
			out <- err
		case <-gone:
			cancel()
			<-lost
			out <- fmt.Errorf("pod %s is gone or not ready", b.Pod)
		}
	}()
	return local, out, nil
}

// podGone is closed when the Pod is deleted or not ready. Without the right
// to watch Pods it never closes: a lost connection still ends the forward.
// A watch the API server ends (they time out) is opened again; its first
// event is the Pod as it is then, so nothing in between is missed.
func (p *Proxy) podGone(ctx context.Context, b Backend) <-chan struct{} {
	gone := make(chan struct{})
	opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", b.Pod).String()}
	go func() {
		for ctx.Err() == nil {
			w, err := p.Client.CoreV1().Pods(b.Namespace).Watch(ctx, opts)
			if err != nil {
				return
			}
			if podEnded(w.ResultChan(), b.Pod) {
				w.Stop()
				close(gone)
				return
			}
			w.Stop()
			if !sleep(ctx, time.Second) {
				return
			}
		}
	}()
	return gone
}

// podEnded reads events until the Pod named name is deleted or not ready
// (true) or the watch ends (false).
func podEnded(events <-chan watch.Event, name string) bool {
	for ev := range events {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok || pod.Name != name {
			continue
		}
		if ev.Type == watch.Deleted || !podReady(pod) {
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
