package importer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// proxyCompared are the options compareProxies reads from both configs; a
// key of these is reported only when the values differ.
var proxyCompared = map[string]bool{
	"scope": true, "cookie_expire": true, "cookie_refresh": true, "cookie_secure": true, "cookie_httponly": true,
	"cookie_samesite": true, "skip_jwt_bearer_tokens": true, "extra_jwt_issuers": true, "oidc_extra_audiences": true,
	"oidc_groups_claim": true, "whitelist_domains": true, "provider_ca_files": true,
}

// compareProxies renders each imported app's oauth2-proxy config from the
// finished spec, reads it with doctor's parser like the original, and
// reports each option whose value changes: the spec does not set them,
// render decides them.
func (im *importer) compareProxies(spec *v1alpha1.AuthStack) error {
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	var s v1alpha1.AuthStack
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v1alpha1.SetDefaults(&s)
	for i := range s.Spec.Apps {
		app := &s.Spec.Apps[i]
		orig := im.proxies[app.Name]
		if orig == nil {
			continue
		}
		files, err := oauth2proxy.Config(&s.Spec, app, s.Spec.IssuerCAFile() != "")
		if err != nil {
			return err
		}
		cfg, err := format.ParseFiles([]byte(files.Config), []byte(files.Alpha), nil)
		if err != nil {
			return fmt.Errorf("read the rendered oauth2-proxy config of app %s: %w", app.Name, err)
		}
		m := &doctor.Model{}
		m.AddParsedProxyConfig("rendered", app.Name, cfg)
		r := m.Proxies[0]
		diff := func(key string, was, now any) {
			if fmt.Sprint(was) != fmt.Sprint(now) {
				im.gap(orig.Source, key, "%v here, rendered as %v", was, now)
			}
		}
		diff("scope", sorted(orig.Scopes), sorted(r.Scopes))
		diff("cookie_expire", orig.CookieExpire, r.CookieExpire)
		diff("cookie_refresh", orig.CookieRefresh, r.CookieRefresh)
		diff("cookie_secure", orig.CookieSecure, r.CookieSecure)
		diff("cookie_httponly", orig.CookieHTTPOnly, r.CookieHTTPOnly)
		diff("cookie_samesite", quoted(orig.CookieSameSite), quoted(r.CookieSameSite))
		diff("skip_jwt_bearer_tokens", orig.SkipJWTBearer, r.SkipJWTBearer)
		diff("extra_jwt_issuers", sorted(orig.ExtraJWTIssuers), sorted(r.ExtraJWTIssuers))
		diff("oidc_extra_audiences", sorted(orig.ExtraAuds), sorted(r.ExtraAuds))
		diff("oidc_groups_claim", orig.GroupsClaim, r.GroupsClaim)
		diff("whitelist_domains", sorted(orig.Whitelist), sorted(r.Whitelist))
		diff("provider_ca_files", sorted(orig.ProviderCAFile), sorted(r.ProviderCAFile))
	}
	return nil
}

func sorted(l []string) string {
	c := append([]string{}, l...)
	sort.Strings(c)
	return "[" + strings.Join(c, " ") + "]"
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }
