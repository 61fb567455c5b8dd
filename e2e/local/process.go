//go:build e2e

package local

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/testenv"
)

// poll retries check every interval until it succeeds or timeout passes.
func poll(timeout, interval time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(interval)
	}
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort(t testing.TB) int { return testenv.FreePort(t) }

func hostPort(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// localhost is the public host:port of a local service. Ingress hosts must
// be DNS names, so the spec names localhost rather than 127.0.0.1.
func localhost(port int) string { return "localhost:" + strconv.Itoa(port) }

func tcpOpen(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
