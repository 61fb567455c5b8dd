package up

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEchoAppShowsTheIdentityARequestCarries runs the demo app's nginx.conf
// in a real nginx (Debian's, as the local images use; skipped where none is
// installed) and checks what a browser sees for each mode: the identity
// headers and nothing else, as text that is never rendered as HTML.
func TestEchoAppShowsTheIdentityARequestCarries(t *testing.T) {
	if _, err := EchoConfig("basic", 8080); err == nil || !strings.Contains(err.Error(), `"basic"`) {
		t.Errorf("an unknown mode: got %v, want an error naming it", err)
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("no nginx here (hack/e2e-deps.sh installs it)")
	}
	for _, c := range []struct {
		mode    string
		send    map[string]string
		want    []string
		notWant []string
	}{{
		mode: "token",
		send: map[string]string{"Authorization": "Bearer eyJhbGciOi.x.y", "X-Auth-Request-User": "mallory"},
		want: []string{"identity: token", "Authorization: Bearer eyJhbGciOi.x.y\n"}, notWant: []string{"mallory"},
	}, {
		mode: "headers",
		send: map[string]string{"X-Auth-Request-User": "alice", "X-Auth-Request-Email": "alice@example.com",
			"X-Auth-Request-Groups": "developers,<script>alert(1)</script>", "Authorization": "Bearer secret"},
		want: []string{"X-Auth-Request-User: alice\n", "X-Auth-Request-Email: alice@example.com\n",
			"X-Auth-Request-Groups: developers,<script>alert(1)</script>\n", "X-Auth-Request-Preferred-Username: \n"},
		notWant: []string{"secret"},
	}} {
		t.Run(c.mode, func(t *testing.T) {
			dir := t.TempDir()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			conf, err := EchoConfig(c.mode, int32(port))
			if err != nil {
				t.Fatal(err)
			}
			// The pod's /tmp is an emptyDir; here it is the test's.
			conf = strings.ReplaceAll(conf, " /tmp/", " "+dir+"/")
			conf = strings.Replace(conf, "listen "+fmt.Sprint(port)+";", "listen 127.0.0.1:"+fmt.Sprint(port)+";", 1)
			path := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			// One process (no master and worker), so that killing it by its
			// PID leaves nothing behind.
			cmd := exec.Command(nginx, "-e", "stderr", "-c", path, "-g", "daemon off; master_process off;")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.WaitDelay = 5 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			client := &http.Client{Timeout: 5 * time.Second}
			var resp *http.Response
			for i := 0; i < 50; i++ {
				if resp, err = client.Get(base + "/healthz"); err == nil {
					resp.Body.Close()
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("nginx with the demo config does not answer /healthz: %v\n%s\n%s", err, stderr.String(), conf)
			}
			req, _ := http.NewRequest(http.MethodGet, base+"/any/path", nil)
			for k, v := range c.send {
				req.Header.Set(k, v)
			}
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("status %d, Content-Type %q, X-Content-Type-Options %q; want 200 text/plain nosniff",
					resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"))
			}
			for _, w := range c.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(string(body), w) {
					t.Errorf("page shows %q, which this mode does not receive:\n%s", w, body)
				}
			}
		})
	}
}
