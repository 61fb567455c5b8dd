package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// apps checks every app behind oauth2-proxy: logged out it must send the
// browser to dex; after a login through the app's own /oauth2/start flow it
// must answer 200 as the user.
func (v *verifier) apps(ctx context.Context) {
	for i := range v.spec.Apps {
		app := &v.spec.Apps[i]
		if app.OwnLogin() {
			// Headlamp logs in itself: it answers its own page logged
			// out, and its login is not oauth2-proxy's /oauth2/start.
			continue
		}
		base := &url.URL{Scheme: "https", Host: app.Host, Path: "/"}
		v.appLoggedOut(ctx, app, base)
		v.appLoggedIn(ctx, app, base)
	}
}

func (v *verifier) appLoggedOut(ctx context.Context, app *v1alpha1.App, base *url.URL) {
	name := HopAppLoggedOut(app.Name)
	jar, _ := cookiejar.New(nil)
	b := &browser{client: newBrowserClient(v.transport, jar), issuer: v.issuer}
	res, err := b.run(ctx, base, func(u *url.URL) bool { return b.onIssuer(u) })
	switch {
	case err != nil:
		v.report.fail(name, "%v", err)
	case res.redirect == nil:
		v.report.fail(name, "%s answered %d without sending the browser to dex at %s (trail: %s)", base, res.status, v.issuer, strings.Join(res.trail, ", "))
	case !strings.HasSuffix(res.trail[0], " 302"):
		v.report.fail(name, "%s answered %s, expected 302 to the sign-in (trail: %s)", base, res.trail[0], strings.Join(res.trail, ", "))
	default:
		v.report.pass(name, "%s → %s", strings.Join(res.trail, " → "), hostPath(res.redirect))
	}
}

func (v *verifier) appLoggedIn(ctx context.Context, app *v1alpha1.App, base *url.URL) {
	name := HopAppLoggedIn(app.Name)
	connector := v.connector
	b := &browser{client: newBrowserClient(v.transport, v.jar), issuer: v.issuer, connector: connector, username: v.opts.User, password: v.opts.Password}
	// The proxy that signs in for the app: its own, on the app's host, or
	// the shared one on spec.auth.host.
	proxy, err := oauth2proxy.ProxyFor(v.spec, app)
	if err != nil {
		v.report.fail(name, "%v", err)
		return
	}
	res, err := b.run(ctx, base, nil)
	if err != nil {
		v.report.fail(name, "as %s: %v%s", v.opts.User, err, redirectHint(err, proxy.ClientID, "https://"+proxy.Host+"/oauth2/callback"))
		return
	}
	want := http.StatusOK
	groups := stringList(v.claims[v.spec.APIServer.GroupsClaim])
	if len(app.AllowedGroups) > 0 && v.claims != nil && !slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(app.AllowedGroups, g) }) {
		want = http.StatusForbidden
	}
	if res.final.Path == "/oauth2/callback" && res.status >= 500 {
		v.report.fail(name, "as %s: oauth2-proxy answered %d at the callback after dex's login: it could not redeem the code at dex, most often because its client secret (Secret %s/%s, key client-secret) differs from the one dex has for client %s (Secret dex-env); check oauth2-proxy's log", v.opts.User, res.status, proxy.Namespace, proxy.Secret, proxy.ClientID)
		return
	}
	if res.final.Host != app.Host || res.status != want {
		v.report.fail(name, "as %s: ended at %s with %d, expected %d from the app (trail: %s): %s", v.opts.User, hostPath(res.final), res.status, want, strings.Join(res.trail, ", "), pageMessage(res.page, res.body))
		return
	}
	if want == http.StatusForbidden {
		v.report.pass(name, "as %s: 403, the user is in none of the allowed groups %v", v.opts.User, app.AllowedGroups)
		return
	}
	who, err := v.userinfo(ctx, proxy.Host)
	if err != nil {
		v.report.fail(name, "as %s: the app answered 200 but oauth2-proxy's userinfo failed: %v", v.opts.User, err)
		return
	}
	if email, _ := v.claims["email"].(string); email != "" && who.Email != email {
		v.report.fail(name, "as %s: oauth2-proxy's session is for %q, not %q", v.opts.User, who.Email, email)
		return
	}
	v.report.pass(name, "as %s: 200 after %d steps, oauth2-proxy session for %s, groups %v", v.opts.User, len(res.trail), who.Email, who.Groups)
}

type userinfo struct {
	User   string   `json:"user"`
	Email  string   `json:"email"`
	Groups []string `json:"groups"`
}

// userinfo asks the app's oauth2-proxy who the session is for.
func (v *verifier) userinfo(ctx context.Context, proxyHost string) (*userinfo, error) {
	u := &url.URL{Scheme: "https", Host: proxyHost, Path: "/oauth2/userinfo"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	c := newBrowserClient(v.transport, v.jar)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", hostPath(u), resp.StatusCode)
	}
	var out userinfo
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %w", hostPath(u), err)
	}
	return &out, nil
}
