package apiproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/testenv"
)

func TestRunServesTLSAndDrainsOnShutdown(t *testing.T) {
	h := newHarness(t, nil) // for its issuer, fake API servers and config files
	dir := t.TempDir()
	ca := testenv.NewCA(t, dir, "ca")
	cert, key := ca.Issue(t, dir, "proxy", "authstack-apiproxy", nil, []string{"127.0.0.1"}, true, false)
	opts := DefaultOptions()
	opts.AuthenticationConfig = writeFile(t, dir, "authn.yaml", authConfigYAML(h.iss, "kubectl"))
	opts.ClustersConfig = writeFile(t, dir, "clusters.yaml", clustersFor(t, dir, h))
	opts.BindAddress, opts.SecurePort = "127.0.0.1", testenv.FreePort(t)
	opts.ProbeBindAddress = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	opts.TLSCertFile, opts.TLSKeyFile = cert, key
	opts.ShutdownGracePeriod = 200 * time.Millisecond

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts, &syncBuffer{}) }()
	waitFor(t, "/readyz", func() error {
		resp, err := http.Get("http://" + opts.ProbeBindAddress + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s", resp.Status)
		}
		return nil
	})

	caPEM, _ := os.ReadFile(ca.CertFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", fmt.Sprintf("https://127.0.0.1:%d/a/api/v1/pods?watch=true", opts.SecurePort), nil)
	req.Header.Set("Authorization", "Bearer "+h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl")))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.Contains(line, "ADDED") {
		t.Fatalf("watch over the TLS listener: %q %v", line, err)
	}

	stop() // SIGTERM in the command
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after shutdown with an open watch")
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		// A clean EOF is fine too: what matters is that the stream ended.
		t.Log("watch ended with EOF")
	}
}

func TestRunRefusesPlainHTTP(t *testing.T) {
	opts := DefaultOptions()
	opts.AuthenticationConfig = "/nonexistent"
	if err := Run(context.Background(), opts, io.Discard); err == nil || !strings.Contains(err.Error(), "--tls-cert-file") {
		t.Errorf("Run without TLS files: %v", err)
	}
}

func clustersFor(t *testing.T, dir string, h *harness) string {
	out := "apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n"
	for name, f := range map[string]*fakeAPIServer{"a": h.a, "b": h.b} {
		ca := writeFile(t, dir, name+"-ca.crt", certPEM(f.srv))
		tok := writeFile(t, dir, name+"-token", "token-"+name)
		out += fmt.Sprintf("- name: %s\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n", name, f.srv.URL, ca, tok)
	}
	return out
}
