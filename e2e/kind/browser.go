//go:build e2e_kind

package kind

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authstack/authstack/e2e/internal/chromium"
)

// browser is a headless Chromium with a fresh profile that trusts exactly
// the edge's serving certificate and resolves the stack's names to
// 127.0.0.1 (where the kind node's port 443 is published).
type browser struct {
	ctx       context.Context
	artifacts string
}

func newBrowser(t *testing.T, dir, artifacts, servingCert, domain string) *browser {
	t.Helper()
	ctx := chromium.Start(t, dir, servingCert, chromedp.Flag("host-resolver-rules", "MAP *."+domain+" 127.0.0.1"))
	return &browser{ctx: ctx, artifacts: artifacts}
}

// login opens appURL, expects dex's login form, logs in, waits for the app
// page's element waitID and returns the text of the ids asked for. A PNG of
// the app page (or of the failure) is saved as shot.png.
func (b *browser) login(t *testing.T, appURL, user, password, waitID string, ids []string, shot string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	b.signIn(t, ctx, appURL, user, password, chromedp.WaitVisible(chromedp.ID(waitID)), shot)
	out := chromium.Texts(t, ctx, ids)
	b.shot(t, shot)
	return out
}

// loginText is login for an app that answers with plain text (Chromium
// shows it in a <pre>): it returns that text.
func (b *browser) loginText(t *testing.T, appURL, user, password, shot string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	b.signIn(t, ctx, appURL, user, password, chromedp.WaitVisible(chromedp.CSS("body > pre")), shot)
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body > pre")))
	if err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("read the page of %s: %v", appURL, err)
	}
	b.shot(t, shot)
	return text
}

// signIn opens appURL, expects dex's login form, logs in and waits for
// arrived.
func (b *browser) signIn(t *testing.T, ctx context.Context, appURL, user, password string, arrived chromedp.Action[chromedp.Void], shot string) {
	t.Helper()
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
		arrived,
	); err != nil {
		b.shot(t, shot+"-failed")
		t.Fatalf("log in as %s at %s: %v", user, appURL, err)
	}
}

func (b *browser) shot(t *testing.T, name string) {
	chromium.Screenshot(t, b.ctx, b.artifacts, name)
}
