package wizard

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/initspec"
)

// helperEnv makes the test binary run the wizard in a terminal instead of
// the tests, the way `authstack init` does, and write the spec to its value.
const helperEnv = "AUTHSTACK_WIZARD_HELPER_OUT"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(helper(path))
	}
	os.Exit(m.Run())
}

func helper(path string) int {
	if !IsTerminal(os.Stdin) {
		fmt.Fprintln(os.Stderr, "helper: stdin is not a terminal")
		return 3
	}
	a, err := Run(Options{In: os.Stdin, Out: os.Stderr, Path: "authstack.yaml"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	spec, err := initspec.Spec(a)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	data, err := initspec.Marshal(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// tmux drives a real terminal on a private tmux server.
type tmux struct {
	t *testing.T
	// socket is the server's socket path.
	socket string
	target string
}

func (x *tmux) cmd(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (x *tmux) screen() string { return x.cmd("capture-pane", "-p", "-t", x.target) }

// waitFor polls the screen until it shows text.
func (x *tmux) waitFor(text string) string {
	x.t.Helper()
	return x.waitForCount(text, 1)
}

// waitForCount polls the screen until text shows n times (such as two
// checked boxes), for at most 15 seconds.
func (x *tmux) waitForCount(text string, n int) string {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := x.screen()
		if strings.Count(s, text) >= n {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the terminal did not show %q %d times within 15s; screen:\n%s", text, n, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (x *tmux) keys(keys ...string) {
	x.t.Helper()
	x.cmd(append([]string{"send-keys", "-t", x.target}, keys...)...)
}

// focused waits until the question titled title has the focus: huh marks
// the focused field with a bar at the start of its lines.
func (x *tmux) focused(title string) string {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := x.screen()
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, "┃") && strings.Contains(line, title) {
				return s
			}
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("question %q did not get the focus within 15s; screen:\n%s", title, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answer types text into the question titled title, then Enter.
func (x *tmux) answer(title, text string) {
	x.t.Helper()
	x.focused(title)
	if text != "" {
		x.cmd("send-keys", "-t", x.target, "-l", text)
	}
	x.keys("Enter")
}

// choose takes the highlighted option of the question titled title.
func (x *tmux) choose(title string) {
	x.t.Helper()
	x.focused(title)
	x.keys("Enter")
}

// TestIntegrationWizardInTmux runs the full-screen wizard in a real
// terminal: one happy path, with an invalid cluster name that is refused
// and corrected. The spec must equal the one-line non-interactive init.
func TestIntegrationWizardInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux); the accessible-mode tests cover the wizard without it")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "authstack.yaml")
	// A private server on a socket in the test's directory: nothing is
	// shared with the user's tmux, and nothing is left behind.
	x := &tmux{t: t, socket: filepath.Join(dir, "tmux.sock"), target: "wizard"}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", x.socket, "kill-server").Run() })
	shell := fmt.Sprintf("env %s='%s' TERM=xterm-256color NO_COLOR=1 '%s' -test.run='^$'; echo EXIT=$?; sleep 600", helperEnv, out, os.Args[0])
	x.cmd("new-session", "-d", "-s", x.target, "-x", "110", "-y", "90", shell)

	start := time.Now()
	var shots []string
	shot := func(s string) { shots = append(shots, strings.TrimRight(s, "\n ")) }

	// Keys go to the focused field only after huh has moved the focus, so
	// every answer waits for its question to be focused.
	x.focused("Cluster name")
	// NO_COLOR is set for the wizard: lipgloss (through termenv) drops colors.
	if colored := x.cmd("capture-pane", "-e", "-p", "-t", x.target); strings.Contains(colored, "\x1b[38;") {
		t.Errorf("colors on screen although NO_COLOR is set:\n%q", colored)
	}
	x.answer("Cluster name", "Prod_1")
	shot(x.waitFor("must be a DNS label"))
	x.keys("C-u")
	x.answer("Cluster name", "prod")
	x.choose("How is the Kubernetes API server installed?") // kubespray
	x.focused("Kubernetes version")
	x.keys("C-u")
	x.answer("Kubernetes version", "1.33")
	x.answer("API server URL", "https://k8s.example.com:6443")

	shot(x.focused("Who issues the login tokens?"))
	x.choose("Who issues the login tokens?") // dex
	x.answer("Public host of dex", "dex.example.com")
	x.choose("Where does dex find your users?") // LDAP

	x.answer("LDAP server", "ldap.example.com:636")
	x.answer("CA of the LDAP server", "")
	x.answer("Bind DN", "cn=dex,ou=services,dc=example,dc=com")
	x.choose("Where does authstack read the bind password") // environment variable
	x.answer("Environment variable", "")                    // LDAP_BIND_PASSWORD
	x.answer("Users base DN", "ou=people,dc=example,dc=com")
	x.answer("Login name attribute", "") // mail
	shot(x.focused("Groups base DN"))
	x.answer("Groups base DN", "ou=groups,dc=example,dc=com")

	x.focused("Which web apps should require a login?")
	x.keys("x", "Down", "Down", "x")
	shot(x.waitForCount("✓", 2))
	x.keys("Enter")
	x.answer("Host of Kubernetes Dashboard", "dash.example.com")
	x.answer("Host of Prometheus", "prom.example.com")
	x.answer("Other apps", "")

	x.answer("Admins group", "k8s-admins")
	x.answer("Read-only group", "k8s-readonly")
	x.answer("Users who get a namespace", "alice@example.com")
	shot(x.focused("Team namespaces"))
	x.answer("Team namespaces", "shop")

	shot(x.focused("Write this spec to"))
	x.keys("Enter")
	x.waitFor("EXIT=0")
	t.Logf("wizard in tmux took %v (including polling the screen)", time.Since(start))

	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", "kubespray-ldap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the terminal wizard's spec differs from the non-interactive golden:\n%s", got)
	}
	// docs/wizard.txt, the capture the README shows, is rewritten with
	// -update; screens are not compared, as the cursor moves between runs.
	if golden.Updating() {
		doc := "$ authstack init\n\n" + strings.Join(shots, "\n\n──────── (next screen) ────────\n\n") + "\n"
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "wizard.txt"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
