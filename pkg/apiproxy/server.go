package apiproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// healthEvery is how often each cluster's /readyz is checked.
var healthEvery = 10 * time.Second

// watchHealth keeps each cluster's health (its /readyz through the proxy's
// own credential; system:public-info-viewer lets any authenticated identity
// read it) and the proxy's readiness up to date until ctx ends.
func (p *Proxy) watchHealth(ctx context.Context) {
	client := func(b *backend) *http.Client { return &http.Client{Transport: b.rest, Timeout: 5 * time.Second} }
	check := func() {
		all := true
		for _, b := range p.backends() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.target.JoinPath("/readyz").String(), nil)
			resp, err := client(b).Do(req)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if resp != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
			if b.healthy.Swap(ok) != ok || !ok {
				if !ok {
					msg := "unreachable"
					if err != nil {
						msg = err.Error()
					} else {
						msg = "/readyz answered " + resp.Status
					}
					p.log.Warn("cluster not ready", "cluster", b.name, "error", msg)
				}
			}
			all = all && ok
		}
		issuers := p.authn.HealthCheck() == nil
		if issuers && !p.keysOK.Load() {
			if err := fetchKeysOnce(ctx, p.authCfg); err != nil {
				p.log.Warn("issuer keys not fetched yet", "error", err.Error())
			} else {
				p.keysOK.Store(true)
			}
		}
		p.ready.Store(all && issuers && p.keysOK.Load())
	}
	check()
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	// Check faster until ready: the issuer's discovery runs in the
	// background after start.
	fast := time.NewTicker(500 * time.Millisecond)
	defer fast.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-fast.C:
			if p.ready.Load() {
				fast.Stop()
				continue
			}
			check()
		case <-t.C:
			check()
		}
	}
}

func (p *Proxy) backends() []*backend {
	if p.single != nil {
		return []*backend{p.single}
	}
	out := make([]*backend, 0, len(p.clusters))
	for _, b := range p.clusters {
		out = append(out, b)
	}
	return out
}

// Ready reports whether the configuration is loaded, every issuer's
// discovery has succeeded and every cluster's /readyz answered 200.
func (p *Proxy) Ready() error {
	if p.draining.Load() {
		return errors.New("shutting down")
	}
	if err := p.authn.HealthCheck(); err != nil {
		return err
	}
	if !p.keysOK.Load() {
		return errors.New("issuer keys (JWKS) not fetched yet")
	}
	for _, b := range p.backends() {
		if !b.healthy.Load() {
			return fmt.Errorf("cluster %q: /readyz not reachable", b.name)
		}
	}
	if !p.ready.Load() {
		return errors.New("not checked yet")
	}
	return nil
}

// ProbeHandler serves /healthz, /readyz and /metrics on the plain-HTTP probe
// port.
func (p *Proxy) ProbeHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := p.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", p.metrics.handler())
	return mux
}

// Run serves the proxy until ctx ends (SIGTERM in the command), then drains:
// readiness fails at once, new connections stop, in-flight requests get
// ShutdownGracePeriod to finish, streams still open after it are closed,
// and queued audit events get a bounded last delivery.
func Run(ctx context.Context, opts Options, stderr io.Writer) error {
	if opts.TLSCertFile == "" || opts.TLSKeyFile == "" {
		return errors.New("--tls-cert-file and --tls-private-key-file are required: the proxy serves the API over HTTPS only")
	}
	certs, err := newCertReloader(opts.TLSCertFile, opts.TLSKeyFile)
	if err != nil {
		return err
	}
	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	p, err := New(bgCtx, opts, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(opts.BindAddress, strconv.Itoa(opts.SecurePort)))
	if err != nil {
		return fmt.Errorf("--secure-port: %w", err)
	}
	probeLn, err := net.Listen("tcp", opts.ProbeBindAddress)
	if err != nil {
		ln.Close()
		return fmt.Errorf("--probe-bind-address: %w", err)
	}
	// Requests' contexts derive from streams: cancelling it ends watches
	// and upgraded connections the graceful shutdown would wait for.
	streams, closeStreams := context.WithCancel(context.Background())
	defer closeStreams()
	srv := &http.Server{
		Handler:           p,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get},
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return streams },
		ErrorLog:          nil,
	}
	probe := &http.Server{Handler: p.ProbeHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	go func() { errc <- probe.Serve(probeLn) }()
	p.log.Info("serving", "address", ln.Addr().String(), "probes", probeLn.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	p.draining.Store(true)
	p.log.Info("shutting down", "grace", opts.ShutdownGracePeriod.String())
	grace, cancel := context.WithTimeout(context.Background(), opts.ShutdownGracePeriod)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		closeStreams()
		_ = srv.Close()
	}
	closeStreams()
	stopBackground()
	p.audit.wait()
	_ = probe.Close()
	return nil
}

// certReloader serves the certificate files' current content: cert-manager
// and Secret volume updates replace them in place.
type certReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	modTime           time.Time
	checked           time.Time
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert-file %s / --tls-private-key-file %s: %w", c.certFile, c.keyFile, err)
	}
	st, err := os.Stat(c.certFile)
	if err != nil {
		return err
	}
	c.cert, c.modTime = &cert, st.ModTime()
	return nil
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) > 10*time.Second {
		c.checked = time.Now()
		if st, err := os.Stat(c.certFile); err == nil && !st.ModTime().Equal(c.modTime) {
			_ = c.load() // keep serving the old pair if the new one is half written
		}
	}
	return c.cert, nil
}
