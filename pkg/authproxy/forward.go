package authproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// Forwarder opens a port-forward to a Pod port on a loopback address.
type Forwarder interface {
	// Forward starts forwarding to b and returns the local host:port once
	// it listens. lost receives why the forward ended (the Pod went away,
	// the API server connection broke) or nil after ctx is done.
	Forward(ctx context.Context, b Backend) (addr string, lost <-chan error, err error)
}

// PortForwarder forwards through the API server's pods/portforward
// subresource with client-go, as kubectl port-forward does.
type PortForwarder struct {
	Config *rest.Config
	Client kubernetes.Interface
	// Log receives client-go's messages about the forward.
	Log io.Writer
}

// Forward implements Forwarder.
func (f *PortForwarder) Forward(ctx context.Context, b Backend) (string, <-chan error, error) {
	dialer, err := f.dialer(b)
	if err != nil {
		return "", nil, fmt.Errorf("port-forward to pod %s: %w", b.Pod, err)
	}
	ready := make(chan struct{})
	fctx, cancel := context.WithCancel(ctx)
	// Port 0: the kernel picks a free local port, on loopback only.
	fw, err := portforward.NewOnAddressesWithContext(fctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(b.Port)}, ready, io.Discard, f.Log)
	if err != nil {
		cancel()
		return "", nil, fmt.Errorf("port-forward to pod %s: %w", b.Pod, err)
	}
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- fw.ForwardPorts()
	}()
	select {
	case <-ready:
	case err := <-done:
		if err == nil {
			err = ctx.Err()
		}
		return "", nil, fmt.Errorf("port-forward to pod %s port %d: %w", b.Pod, b.Port, err)
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		cancel()
		<-done
		return "", nil, fmt.Errorf("port-forward to pod %s: no local port: %v", b.Pod, err)
	}
	return "127.0.0.1:" + strconv.Itoa(int(ports[0].Local)), done, nil
}

// dialer tries the WebSocket tunnel first and falls back to SPDY when the
// API server does not upgrade to it, as kubectl port-forward does since
// Kubernetes 1.30 (k8s.io/kubectl pkg/cmd/portforward createDialer).
func (f *PortForwarder) dialer(b Backend) (httpstream.Dialer, error) {
	u := f.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(b.Namespace).Name(b.Pod).SubResource("portforward").URL()
	rt, upgrader, err := spdy.RoundTripperFor(f.Config)
	if err != nil {
		return nil, err
	}
	spdyDialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
	ws, err := portforward.NewSPDYOverWebsocketDialer(u, f.Config)
	if err != nil {
		return nil, err
	}
	return portforward.NewFallbackDialer(ws, spdyDialer, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	}), nil
}
