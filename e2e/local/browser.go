//go:build e2e

package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authstack/authstack/e2e/internal/chromium"
)

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

// Browser is a headless Chromium with a fresh profile.
type Browser struct {
	ctx context.Context
}

// NewBrowser starts Chromium; it is stopped, and every process it left is
// killed by PID, when the test ends.
func NewBrowser(t *testing.T, s *Stack) *Browser {
	t.Helper()
	return &Browser{ctx: chromium.Start(t, s.Dir, s.ServingCert)}
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
	res := &LoginResult{Duration: time.Since(began)}
	if res.URL, err = chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	res.Fields = chromium.Texts(t, ctx, fields)
	b.shot(t, shot)
	return res
}

func (b *Browser) shot(t *testing.T, name string) {
	chromium.Screenshot(t, b.ctx, artifactsDir(t), name)
}
