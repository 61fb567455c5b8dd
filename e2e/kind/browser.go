//go:build e2e_kind

package kind

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

// browser is a headless Chromium with a fresh profile that trusts exactly
// the edge's serving certificate and resolves the stack's names to
// 127.0.0.1 (where the kind node's port 443 is published).
type browser struct {
	ctx       context.Context
	artifacts string
}

func chromium() string {
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func newBrowser(t *testing.T, dir, artifacts, servingCert, domain string) *browser {
	t.Helper()
	if _, err := os.Stat(chromium()); err != nil {
		t.Fatalf("%s is missing: install Debian's chromium (hack/e2e-deps.sh) or set E2E_CHROMIUM", chromium())
	}
	profile := filepath.Join(dir, "chromium-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP *."+domain+" 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki(t, servingCert)),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 800),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		// Chromium helpers that outlive the browser, found by our profile dir.
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.Contains(string(cmdline), profile) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{ctx: ctx, artifacts: artifacts}
}

func spki(t *testing.T, certFile string) string {
	t.Helper()
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// login opens appURL, expects dex's login form, logs in, waits for the app
// page's element waitID and returns the text of the ids asked for. A PNG of
// the app page (or of the failure) is saved as shot.png.
func (b *browser) login(t *testing.T, appURL, user, password, waitID string, ids []string, shot string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(appURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
	); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("open %s and reach dex's login form: %v", appURL, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.ID(waitID)),
	); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("log in as %s at %s: %v", user, appURL, err)
	}
	out := map[string]string{}
	for _, id := range ids {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("read #%s: %v", id, err)
		}
		out[id] = strings.TrimSpace(v)
	}
	b.shot(t, shot)
	return out
}

func (b *browser) shot(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}
