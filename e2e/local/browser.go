//go:build e2e

package local

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium unless $E2E_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// artifactsDir is where screenshots and timings go: $E2E_ARTIFACTS, else
// _output/e2e in the repository.
func artifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "_output", "e2e")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// spkiHash is what Chromium's --ignore-certificate-errors-spki-list takes:
// the base64 SHA-256 of a certificate's public key. Chromium then trusts
// exactly the tier's serving certificate and nothing else.
func spkiHash(t testing.TB, certFile string) string {
	t.Helper()
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM certificate", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Browser is a headless Chromium with a fresh profile.
type Browser struct {
	ctx context.Context
}

// NewBrowser starts Chromium; it is stopped, and every process it left is
// killed by PID, when the test ends.
func NewBrowser(t *testing.T, s *Stack) *Browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Fatalf("%s is missing: run hack/e2e-deps.sh (or set E2E_CHROMIUM)", chromiumPath())
	}
	profile := filepath.Join(s.Dir, "chromium-profile-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(t, s.ServingCert)),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 800),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		killLeftovers(t, profile)
	})
	// Start the browser now, so its start-up is not counted in a login.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &Browser{ctx: ctx}
}

// killLeftovers kills, by PID, any process still running with the test's
// own profile directory on its command line (Chromium helpers).
func killLeftovers(t testing.TB, profile string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), profile) {
			continue
		}
		t.Logf("killing leftover chromium process %d", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// LoginResult is the app page after a login.
type LoginResult struct {
	URL    string
	Fields map[string]string
	// Duration is from opening the app to the app's page.
	Duration time.Duration
}

// Login opens appURL, expects dex's login form, submits u's credentials,
// waits for the app's page and saves a PNG screenshot of it as shot.
func (b *Browser) Login(t *testing.T, appURL string, u ldapUser, fields []string, shot string) *LoginResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	began := time.Now()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(appURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
	); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("open %s and reach dex's login form: %v", appURL, err)
	}
	formURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(formURL, "/auth/ldap") {
		t.Errorf("the login form is at %s, expected dex's LDAP connector (/auth/ldap)", formURL)
	}
	b.shot(t, shot+"-dex-form")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), u.UID),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), u.Password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.ID("user")),
	); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("log in as %s at %s: %v", u.UID, appURL, err)
	}
	res := &LoginResult{Fields: map[string]string{}, Duration: time.Since(began)}
	if res.URL, err = chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(f)))
		if err != nil {
			t.Fatalf("read #%s: %v", f, err)
		}
		res.Fields[f] = strings.TrimSpace(v)
	}
	b.shot(t, shot)
	return res
}

func (b *Browser) shot(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}
