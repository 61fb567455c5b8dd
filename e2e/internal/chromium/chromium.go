// Package chromium starts the headless Debian Chromium that both end-to-end
// tiers log in with: a fresh profile, the flags this closed network needs,
// trust for exactly one serving certificate, and every process it leaves
// killed by PID when the test ends.
package chromium

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

// Path is Debian's chromium unless $E2E_CHROMIUM names another.
func Path() string {
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Start launches Chromium with its profile under dir, trusting the
// certificate in servingCert; extra adds flags (such as host-resolver-rules).
// The returned context drives the browser.
func Start(t *testing.T, dir, servingCert string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(Path()); err != nil {
		t.Fatalf("%s is missing: run hack/e2e-deps.sh (or set E2E_CHROMIUM)", Path())
	}
	profile := filepath.Join(dir, "chromium-profile-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		// Without these, Chromium keeps dialing Google's hosts, which this
		// network refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", SPKIHash(t, servingCert)),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 800),
	}, extra...)
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
	return ctx
}

// SPKIHash is what Chromium's --ignore-certificate-errors-spki-list takes:
// the base64 SHA-256 of a certificate's public key. Chromium then trusts
// exactly that serving certificate and nothing else.
func SPKIHash(t testing.TB, certFile string) string {
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

// Texts reads the text of the elements with the given ids on the current page.
func Texts(t *testing.T, ctx context.Context, ids []string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("read #%s: %v", id, err)
		}
		out[id] = strings.TrimSpace(v)
	}
	return out
}

// Screenshot saves the current page as dir/name.png; a failure to capture is
// logged, not fatal, so that it never hides the failure being documented.
func Screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}
