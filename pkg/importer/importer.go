package importer

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/dex"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// Options are what the artifacts may not say.
type Options struct {
	// ClusterName names the cluster in the spec (required).
	ClusterName string
	// KubernetesVersion is the cluster's minor version, such as 1.33; empty
	// takes kubespray's kube_version or kubeadm's kubernetesVersion when
	// those files were given.
	KubernetesVersion string
	// Installer overrides the installer read from which API server file was given.
	Installer v1alpha1.Installer
	// Server is the API server URL for the kubeconfig (optional).
	Server string
	// DexNamespace is where dex runs when no dex-config Secret said (default dex).
	DexNamespace string
	// PodSelectors holds the selector of each app's Service, keyed
	// namespace/service, when known (--live reads them).
	PodSelectors map[string]map[string]string
}

// Gap is a setting of the imported setup that the spec does not reproduce.
type Gap struct {
	// Source is the file or object, Field the setting in it.
	Source, Field string
	// Message says what the spec does instead and what to do.
	Message string
}

func (g Gap) String() string { return fmt.Sprintf("%s: %s: %s", g.Source, g.Field, g.Message) }

// Result is an imported setup.
type Result struct {
	Spec *v1alpha1.AuthStack
	// Generated are the secret values authstack keeps for the spec (client
	// and cookie secrets), keyed as render asks for them, so the rendered
	// stack keeps the values the running one uses.
	Generated map[string]string
	// Provided are values the spec references by file (an LDAP bind
	// password written into the dex config), keyed by the file name
	// relative to the spec.
	Provided map[string]string
	// Gaps are the settings not reproduced, each naming file and field.
	Gaps []Gap
}

// Import builds the spec that reproduces the setup in m.
func Import(m *doctor.Model, opts Options) (*Result, error) {
	if opts.ClusterName == "" {
		return nil, errors.New("import: the cluster name is not in any artifact; give it (--cluster-name)")
	}
	im := &importer{m: m, opts: opts, res: &Result{Generated: map[string]string{}, Provided: map[string]string{}}}
	s := &v1alpha1.AuthStack{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Metadata: v1alpha1.ObjectMeta{Name: opts.ClusterName}}
	im.spec = &s.Spec
	im.spec.Cluster = v1alpha1.Cluster{Name: opts.ClusterName, Server: opts.Server}
	steps := []func() error{im.cluster, im.apiServer, im.issuer, im.apps, im.dexClients, im.rbac}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
	}
	if err := im.compareProxies(s); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if len(im.refused) > 0 {
		var b strings.Builder
		for _, g := range im.refused {
			b.WriteString("\n  " + g.String())
		}
		return nil, fmt.Errorf("import: %d setting(s) keep people out and the spec cannot express them; the rendered stack would let those people in, so nothing was written:%s\nremove them from what you import only if you accept that", len(im.refused), b.String())
	}
	for k, v := range im.res.Generated {
		if v == "" {
			delete(im.res.Generated, k)
		}
	}
	im.res.Spec = s
	return im.res, nil
}

type importer struct {
	m    *doctor.Model
	opts Options
	res  *Result
	spec *v1alpha1.Spec
	// jwt is the API server's view of the issuer imported.
	jwt *doctor.JWTAuth
	// clients are the dex client ids the spec reproduces.
	clients map[string]bool
	// proxies are the original oauth2-proxy configs, by imported app name.
	proxies map[string]*doctor.Proxy
	// refused are restrictions the spec cannot express: dropping one would
	// let in people the setup keeps out, so Import fails.
	refused []Gap
}

func (im *importer) refuse(source, field, format string, args ...any) {
	im.refused = append(im.refused, Gap{Source: source, Field: field, Message: fmt.Sprintf(format, args...)})
}

// gap reports a setting the spec does not reproduce, once (the apps of a
// shared proxy meet its options once each).
func (im *importer) gap(source, field, format string, args ...any) {
	g := Gap{Source: source, Field: field, Message: fmt.Sprintf(format, args...)}
	if !slices.Contains(im.res.Gaps, g) {
		im.res.Gaps = append(im.res.Gaps, g)
	}
}

// cluster decides the installer and the Kubernetes version from the API
// server file that was given.
func (im *importer) cluster() error {
	c := &im.spec.Cluster
	c.Installer = im.opts.Installer
	c.KubernetesVersion = im.opts.KubernetesVersion
	if k := im.m.Kubespray; k != nil {
		if c.Installer == "" {
			c.Installer = v1alpha1.InstallerKubespray
		}
		if v, ok := k.Vars["kube_version"].(string); ok && c.KubernetesVersion == "" {
			c.KubernetesVersion = minorVersion(v)
		}
	}
	if im.m.Kubeadm != nil && c.Installer == "" {
		c.Installer = v1alpha1.InstallerKubeadm
	}
	// kubeadm's kubernetesVersion, unless a label (stable-1, latest) that
	// names no version by itself.
	if k := im.m.Kubeadm; k != nil && c.KubernetesVersion == "" && minorRE.MatchString(k.KubernetesVersion) {
		c.KubernetesVersion = minorVersion(k.KubernetesVersion)
	}
	if c.Installer == "" {
		for _, a := range im.m.APIServers {
			// An AuthenticationConfiguration file on its own, or the
			// flags of a kubeadm-made static Pod manifest.
			if a.Validated {
				c.Installer = v1alpha1.InstallerAuthConfig
			} else {
				c.Installer = v1alpha1.InstallerKubeadm
			}
			break
		}
	}
	switch {
	case c.Installer == "":
		return errors.New("no API server settings were given (--apiserver-manifest, --authentication-config, --kubespray-vars, --kubeadm-config) and no --installer: authstack cannot tell how the API server is configured")
	case c.KubernetesVersion == "":
		return errors.New("the Kubernetes version is not in any artifact; give it (--kubernetes-version 1.33)")
	}
	return nil
}

var minorRE = regexp.MustCompile(`^v?(\d+\.\d+)`)

func minorVersion(v string) string {
	if m := minorRE.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return v
}

// apiServer takes the API server's claims, prefixes and audiences.
func (im *importer) apiServer() error {
	var view *doctor.APIServer
	for _, a := range im.m.APIServers {
		if len(a.JWT) > 0 {
			view = a
			break
		}
	}
	if view == nil {
		return errors.New("the API server settings given trust no OIDC issuer (no --oidc-issuer-url, no jwt authenticator): there is nothing to import")
	}
	for _, j := range view.JWT[1:] {
		im.gap(j.Source, "issuer.url", "a second issuer (%s) is not imported: a spec has one issuer; keep its authenticator yourself or import it as a spec of its own", j.Issuer)
	}
	if len(view.Both) > 0 {
		im.gap(view.Source, "--authentication-config", "both --oidc-* flags and an AuthenticationConfiguration are set, which the API server refuses; the flags were imported")
	}
	j := view.JWT[0]
	im.jwt = j
	a := &im.spec.APIServer
	a.Mode = v1alpha1.ModeFlags
	if view.Mode == "authentication-config" && !j.Flags {
		a.Mode = v1alpha1.ModeAuthConfig
	}
	switch {
	case j.UsernameExpr != "":
		im.gap(j.UserField, "expression", "a CEL username expression cannot be expressed; the spec uses claim %q: check the RBAC subjects before applying", v1alpha1.DefaultUsernameClaim)
	case j.UsernameClaim != "":
		a.UsernameClaim = j.UsernameClaim
	}
	switch {
	case j.GroupsExpr != "":
		im.gap(j.GroupsField, "expression", "a CEL groups expression cannot be expressed; the spec uses claim %q", v1alpha1.DefaultGroupsClaim)
	case j.GroupsClaim != "":
		a.GroupsClaim = j.GroupsClaim
	default:
		// Without a groups claim the API server takes no groups from tokens.
		im.gap(j.GroupsField, "groups claim", "unset: the API server takes no groups from tokens, while the spec has groups claim %q: group bindings start to apply", v1alpha1.DefaultGroupsClaim)
	}
	a.UsernamePrefix = im.prefix(j.UserPrefField, j.UsernamePref)
	a.GroupsPrefix = im.prefix(j.GroupsPrefField, j.GroupsPref)
	if len(j.UserRules) > 0 {
		im.refuse(j.Source, "userValidationRules", "%d rule(s) refuse users; the spec renders only its own rule refusing system: names (when unprefixed)", len(j.UserRules))
	}
	if len(j.RequiredClaims) > 0 {
		a.RequiredClaims = j.RequiredClaims
	}
	for _, r := range j.ClaimRules {
		a.ClaimValidationRules = append(a.ClaimValidationRules, v1alpha1.CELRule{Expression: r.Expression, Message: r.Message})
	}
	if !equalStrings(j.SigningAlgs, []string{"RS256"}) && a.Mode == v1alpha1.ModeFlags {
		im.gap(j.AlgsField, "signing algorithms", "%s not imported: the spec renders the API server's default (RS256), which is what dex signs with", strings.Join(j.SigningAlgs, ","))
	}
	if j.CAFile != "" {
		a.IssuerCAPath = j.CAFile
		im.gap(j.CAField, "ca file", "%s is a path on the control-plane nodes: set spec.issuer.dex.caFile (or issuer.external.caFile) to a local copy of that CA, or the rendered settings trust only public CAs", j.CAFile)
	} else if j.CAPEM != "" {
		im.gap(j.CAField, "certificateAuthority", "the inline CA is not imported: save it to a file and set spec.issuer.dex.caFile (or issuer.external.caFile) to it")
	}
	if len(j.Audiences) == 0 {
		return fmt.Errorf("%s: the API server accepts no audience (no client id)", j.AudField)
	}
	return nil
}

// prefix imports an effective prefix. An empty one needs allowUnprefixed;
// one the spec refuses (see v1alpha1 validateAPIServer: it must end with
// ":" and stay clear of "system:") is replaced, and said.
func (im *importer) prefix(field, p string) *string {
	switch {
	case p == "":
		im.spec.APIServer.AllowUnprefixed = true
		im.gap(field, "prefix", `none: tokens may claim any name, system: ones included; imported as "" with allowUnprefixed: true (apply then needs --allow-unprefixed). Set a prefix such as "oidc:" when you can`)
	case strings.HasPrefix(p, "system:") || strings.HasPrefix("system:", p) || !strings.HasSuffix(p, ":"):
		im.gap(field, "prefix", "%q is refused by the spec (a prefix must end with \":\" and stay clear of system:); the spec uses %q and the imported RBAC subjects with it", p, v1alpha1.DefaultPrefix)
		p = v1alpha1.DefaultPrefix
	}
	return &p
}

// issuer imports dex, or an external issuer when no dex config was given.
func (im *importer) issuer() error {
	issuer := im.jwt.Issuer
	d := im.m.Dex
	if d == nil || d.Issuer == "" {
		im.spec.Issuer.External = &v1alpha1.ExternalIssuer{URL: issuer}
		return nil
	}
	if d.Issuer != issuer {
		return fmt.Errorf("%s: issuer %q is not the issuer the API server trusts (%s: %q): the setup cannot log anyone in as it is; correct one of them first", d.Source, d.Issuer, im.jwt.IssuerField, issuer)
	}
	u, err := url.Parse(d.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%s: issuer %q is not an https URL; the API server accepts only https issuers", d.Source, d.Issuer)
	}
	x := &v1alpha1.Dex{Host: u.Host, Path: strings.TrimSuffix(u.Path, "/"), Namespace: d.Namespace}
	if x.Namespace == "" {
		x.Namespace = im.opts.DexNamespace
	}
	if d.Replicas > 0 {
		r := int32(d.Replicas)
		x.Replicas = &r
	}
	switch v1alpha1.StorageType(d.StorageType) {
	case v1alpha1.StorageKubernetes, v1alpha1.StorageMemory:
		x.Storage.Type = v1alpha1.StorageType(d.StorageType)
	default:
		im.gap(d.Source, "storage.type", "%q is not supported: the spec uses kubernetes storage; signing keys and sessions start afresh (users log in again)", d.StorageType)
	}
	// dex's default id token lifetime is 24h, the spec's 1h: keep what ran,
	// within the spec's bounds (1m to 24h, v1alpha1 validation).
	switch l := d.IDTokenLifetime; {
	case l <= 0:
	case l > 24*time.Hour:
		x.IDTokenLifetime = "24h"
		im.gap(d.Source, "expiry.idTokens", "%s is longer than the spec allows: imported as 24h", l)
	case l < time.Minute:
		x.IDTokenLifetime = "1m"
		im.gap(d.Source, "expiry.idTokens", "%s is shorter than the spec allows: imported as 1m", l)
	default:
		x.IDTokenLifetime = duration(l)
	}
	for _, ing := range im.m.Ingresses {
		for _, p := range ing.Paths {
			if p.Host == u.Host && !nginx(ing).Guarded() {
				x.IngressClassName = ing.ClassName
				x.TLS.SecretName = ing.TLSSecrets[u.Host]
			}
		}
	}
	if x.TLS.SecretName == "" {
		// Every host needs a TLS source to validate: name the Secret the
		// rendered Ingress reads, and say that nothing here showed one.
		x.TLS.SecretName = "dex-tls"
		im.gap(d.Source, "issuer", "no TLS Secret for %s was imported (no Ingress with a tls entry for it): the spec names Secret %q in dex's namespace; create it (kubernetes.io/tls) or set spec.tls.certManager", u.Host, x.TLS.SecretName)
	}
	if d.WebHTTPS != "" {
		im.gap(d.Source, "web.https", "dex serves TLS itself here; the rendered dex serves plain HTTP behind its Ingress, which terminates TLS with Secret %q", orDefault(x.TLS.SecretName, "dex-tls"))
	}
	for _, c := range d.Connectors {
		conn, ok := im.connector(d.Source, c)
		if ok {
			x.Connectors = append(x.Connectors, conn)
		}
	}
	if len(d.Passwords) > 0 {
		im.gap(d.Source, "staticPasswords", "%d static user(s) not imported: authstack keeps dex's password database for test clusters only; add a connector with static.testClusterOnly: true if this is one", len(d.Passwords))
	}
	if len(x.Connectors) == 0 {
		// The report is not written when import fails: say here why each
		// connector was left out.
		var why []string
		for _, g := range im.res.Gaps {
			if strings.HasPrefix(g.Source, d.Source+": connectors[") {
				why = append(why, "\n  "+g.String())
			}
		}
		return fmt.Errorf("%s: connectors: none that the spec can express, so nobody could log in:%s", d.Source, strings.Join(why, ""))
	}
	owned := map[string]bool{"issuer": true, "storage": true, "web": true, "telemetry": true, "expiry": true, "oauth2": true, "staticClients": true, "connectors": true, "staticPasswords": true, "enablePasswordDB": true}
	for _, k := range sortedKeys(d.Keys) {
		if !owned[k] {
			im.gap(d.Source, k, "not carried into the spec: authstack renders dex's config without it")
		}
	}
	im.spec.Issuer.Dex = x
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func duration(d time.Duration) string {
	s := d.String()
	for _, z := range []string{"0s", "0m"} {
		if strings.HasSuffix(s, z) && len(s) > len(z) {
			s = strings.TrimSuffix(s, z)
		}
	}
	return s
}

// apps imports each oauth2-proxy with the Ingress it guards.
func (im *importer) apps() error {
	im.clients = map[string]bool{}
	im.proxies = map[string]*doctor.Proxy{}
	names := map[string]bool{}
	var shared []*doctor.Proxy
	for _, p := range im.m.Proxies {
		if im.signsInForOthers(p) {
			shared = append(shared, p)
			continue
		}
		app, ok := im.app(p, names)
		if !ok {
			continue
		}
		names[app.Name] = true
		im.proxies[app.Name] = p
		im.spec.Apps = append(im.spec.Apps, app)
	}
	im.sharedSignin(shared, names)
	return nil
}

// proxyKeys are the oauth2-proxy options the spec reproduces; render writes
// the others with its own values.
var proxyKeys = map[string]bool{
	"provider": true, "oidc_issuer_url": true, "client_id": true, "client_secret": true, "cookie_secret": true,
	"redirect_url": true, "scope": true, "oidc_groups_claim": true, "allowed_groups": true, "email_domains": true,
	"upstreams": true, "http_address": true, "set_authorization_header": true, "pass_authorization_header": true,
	"set_xauthrequest": true, "reverse_proxy": true,
}

// proxyRestrictions are oauth2-proxy options that limit who gets in beyond
// email domains and groups (oauth2-proxy pkg/apis/options legacy_options.go
// and providers); the spec cannot express them.
var proxyRestrictions = map[string]bool{
	"authenticated_emails_file": true, "allowed_roles": true, "github_org": true, "github_team": true, "github_repo": true,
	"github_user": true, "gitlab_group": true, "gitlab_projects": true, "google_group": true, "bitbucket_team": true,
	"bitbucket_repository": true, "htpasswd_user_group": true,
}

// nginx is an Ingress's auth annotations as written; app refuses an
// Ingress whose values ingress-nginx refuses.
func nginx(ing *doctor.Ingress) *ingressnginx.Auth {
	a, _ := ing.Auth()
	return a
}

func (im *importer) app(p *doctor.Proxy, names map[string]bool) (v1alpha1.App, bool) {
	var app v1alpha1.App
	if p.Issuer != im.jwt.Issuer {
		im.gap(p.Source, "oidc_issuer_url", "%q is not the issuer the API server trusts (%q): this proxy is not imported", p.Issuer, im.jwt.Issuer)
		return app, false
	}
	ru, err := url.Parse(p.RedirectURL)
	if p.RedirectURL == "" || err != nil || ru.Host == "" {
		im.gap(p.Source, "redirect_url", "missing or not a URL: the app's host is unknown, this proxy is not imported")
		return app, false
	}
	if ru.Path != "/oauth2/callback" || ru.Scheme != "https" {
		im.gap(p.Source, "redirect_url", "%s: the spec renders https://%s/oauth2/callback; add that URL to the client at the issuer", p.RedirectURL, ru.Host)
	}
	ing := im.guard(ru.Hostname())
	if ing == nil {
		im.gap(p.Source, "redirect_url", "no Ingress with ingress-nginx auth annotations for host %s was given (--ingress): the app's namespace and Service are unknown, this proxy is not imported", ru.Hostname())
		return app, false
	}
	app, ok := im.ingressApp(p, ing, ru.Host, names)
	if !ok {
		return app, false
	}
	app.ClientID = p.ClientID
	im.proxyOptions(p)
	if p.CookieKnown {
		im.res.Generated[render.CookieSecretName(app.Name)] = p.CookieSecret
	} else {
		im.gap(p.Source, "cookie_secret", "not readable here: a new cookie secret is generated, so users of this app log in again once")
	}
	im.oauth2Routes(ru.Hostname(), "oauth2-proxy-"+app.Name)
	im.clients[p.ClientID] = true
	return app, true
}

// ingressApp is the app an Ingress protected by oauth2-proxy p serves on
// host (host[:port]): its namespace, upstream, TLS, identity mode and the
// restrictions of its annotations.
func (im *importer) ingressApp(p *doctor.Proxy, ing *doctor.Ingress, host string, names map[string]bool) (v1alpha1.App, bool) {
	app := v1alpha1.App{Host: host}
	hostname := v1alpha1.Hostname(host)
	src := fmt.Sprintf("%s: Ingress %s/%s", ing.Source, ing.Namespace, ing.Name)
	ann, err := ing.Auth()
	if err != nil {
		// ingress-nginx denies the location on these values (AS-22): what
		// runs is not what the annotations say, so nothing safe to import.
		im.refuse(src, "metadata.annotations", "%v; correct the Ingress and import again", err)
	}
	base := dnsLabel(ing.Name)
	if base == "" {
		base = "app"
	}
	app.Name = base
	for i := 2; names[app.Name]; i++ {
		app.Name = fmt.Sprintf("%s-%d", base, i)
	}
	app.Namespace = ing.Namespace
	if app.Namespace == "" {
		app.Namespace = p.Namespace
	}
	if app.Namespace == "" {
		im.gap(src, "metadata.namespace", "unset and the proxy's namespace is unknown: this app is not imported; give the Ingress with its namespace")
		return app, false
	}
	for _, path := range ing.Paths {
		if path.Host != hostname || app.Upstream.Service != "" {
			continue
		}
		app.Upstream.Service, app.Upstream.Port = path.Service, path.Port
		if path.PortName != "" {
			im.gap(src, "backend.service.port.name", "%q: the spec names the Service port by number; set apps[].upstream.port", path.PortName)
		}
		if path.Path != "" && path.Path != "/" {
			im.gap(src, "rules.http.paths.path", "%q: the spec protects the whole host", path.Path)
		}
	}
	if strings.EqualFold(ann.BackendProtocol, "HTTPS") {
		app.Upstream.Protocol = "HTTPS"
	}
	switch ing.ClassName {
	case "", v1alpha1.DefaultIngressClass:
		// The spec writes class nginx, so the cluster's default class
		// does not decide.
	default:
		im.gap(src, "spec.ingressClassName", "%q: the spec supports ingress-nginx (class %q) only, whose auth annotations it renders; the app's Ingress gets class %q", ing.ClassName, v1alpha1.DefaultIngressClass, v1alpha1.DefaultIngressClass)
	}
	app.TLSSecretName = ing.TLSSecrets[hostname]
	if app.TLSSecretName == "" {
		app.TLSSecretName = app.Name + "-tls"
		im.gap(src, "spec.tls", "the Ingress has no tls entry for %s: the spec names Secret %q for it; create it (kubernetes.io/tls) or set spec.tls.certManager", hostname, app.TLSSecretName)
	}
	app.AllowedGroups = p.AllowedGroups
	app.AllowedEmailDomains = p.EmailDomains
	app.Identity = v1alpha1.IdentityHeaders
	if p.SetAuthz || p.Keys["pass_authorization_header"] {
		app.Identity = v1alpha1.IdentityToken
	}
	if app.Identity == v1alpha1.IdentityToken && !ann.ResponseHeader("Authorization") {
		im.gap(src, ingressnginx.Key(ingressnginx.AuthResponseHeaders), "%q does not pass Authorization, yet the proxy sets it: the spec renders a token app, which forwards the id token to the app", strings.Join(ann.ResponseHeaders, ","))
	}
	im.userHeaderClaim(p, &app)
	im.annotations(src, ing, ann)
	im.authQuery(src, ann, &app)
	if sel := im.opts.PodSelectors[app.Namespace+"/"+app.Upstream.Service]; len(sel) > 0 {
		app.PodSelector = sel
	} else {
		f := false
		app.NetworkPolicy = &f
		im.gap(src, "backend.service", "the Pods behind Service %s are not known here: the spec renders no NetworkPolicy for them (as before, other pods can reach the app without logging in); set apps[].podSelector to have one", app.Upstream.Service)
	}
	return app, true
}

// proxyOptions refuses the options of p that restrict who gets in and the
// spec cannot express, reports those it does not carry, and keeps its
// client secret.
func (im *importer) proxyOptions(p *doctor.Proxy, carried ...string) {
	if len(p.EmailDomains) == 0 {
		// oauth2-proxy refuses to start without email_domains or an emails
		// file (pkg/validation/options.go); the spec's default is "*".
		im.refuse(p.Source, "email_domains", "unset: the spec would admit every email domain")
	}
	for _, k := range sortedKeys(p.Keys) {
		if proxyRestrictions[k] {
			im.refuse(p.Source, k, "limits who may log in; the spec has no such setting")
			continue
		}
		if !proxyKeys[k] && !proxyCompared[k] && !slices.Contains(carried, k) {
			im.gap(p.Source, k, "not carried into the spec: the rendered config has authstack's value for it, or none; compare them (authstack render) if it matters")
		}
	}
	if p.SecretKnown {
		im.res.Generated[dex.ClientSecretName(p.ClientID)] = p.ClientSecret
	}
}

// oauth2Routes reports the original /oauth2 routes of host. The rendered
// proxy (rendered) is a new one with its own Ingress for /oauth2: while the
// original routes /oauth2 on the same host too, ingress-nginx sends the
// callback to one of them and the cookie the other checks is missing: a
// login loop.
func (im *importer) oauth2Routes(host, rendered string) {
	for _, o := range im.m.Ingresses {
		for _, path := range o.Paths {
			if path.Host == host && strings.HasPrefix(path.Path, "/oauth2") {
				im.gap(fmt.Sprintf("%s: Ingress %s/%s", o.Source, o.Namespace, o.Name), "rules.http.paths.path", "%s routes %s to the original oauth2-proxy (Service %s): delete it and the original proxy right after applying, the rendered app uses %s", path.Path, host, path.Service, rendered)
			}
		}
	}
}

// guard finds the Ingress that protects host with ingress-nginx's external
// authentication (auth-url), as the guides and authstack write it.
func (im *importer) guard(host string) *doctor.Ingress {
	for _, ing := range im.m.Ingresses {
		if !nginx(ing).Guarded() {
			continue
		}
		for _, h := range ing.Hosts {
			if h == host {
				return ing
			}
		}
	}
	return nil
}

// annotations reports the ingress-nginx annotations of an app's Ingress that
// the spec does not render: authstack writes auth-url (the proxy's Service),
// auth-signin, auth-response-headers (by identity), backend-protocol and
// proxy-buffer-size itself (pkg/render/oauth2proxy Annotations).
func (im *importer) annotations(src string, ing *doctor.Ingress, a *ingressnginx.Auth) {
	rendered := map[string]bool{ingressnginx.AuthURL: true, ingressnginx.AuthSignin: true, ingressnginx.AuthResponseHeaders: true, ingressnginx.BackendProtocol: true, ingressnginx.ProxyBufferSize: true}
	for _, k := range sortedKeys(ing.Annotations) {
		name, ours := strings.CutPrefix(k, ingressnginx.Prefix)
		switch {
		case !ours, rendered[name]:
		case restricts(a, name):
			im.refuse(src, "metadata.annotations."+k, "limits who may reach the app; the rendered Ingress does not have it")
		default:
			im.gap(src, "metadata.annotations."+k, "not carried into the spec: the rendered Ingress does not have it")
		}
	}
	// A larger buffer than the rendered one was likely needed for big
	// session cookies (502 "upstream sent too big header", AS-61).
	got, ok := ingressnginx.ParseSize(a.ProxyBufferSize)
	if want, _ := ingressnginx.ParseSize(oauth2proxy.ProxyBufferSize); ok && got > want {
		im.gap(src, "metadata.annotations."+ingressnginx.Key(ingressnginx.ProxyBufferSize), "%q is larger than the rendered %s: logins with large tokens may fail with 502", a.ProxyBufferSize, oauth2proxy.ProxyBufferSize)
	}
	if u := a.URL; !strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/oauth2/auth") {
		im.gap(src, "metadata.annotations."+ingressnginx.Key(ingressnginx.AuthURL), "%q is not oauth2-proxy's /oauth2/auth: the spec points it at its own oauth2-proxy", u)
	}
}

// restricts tells the ingress-nginx annotations that can keep clients out
// besides the auth subrequest: source ranges, satisfy, and snippets, which
// may hold allow/deny rules (ingress-nginx docs, annotations).
func restricts(a *ingressnginx.Auth, name string) bool {
	switch name {
	case ingressnginx.WhitelistSourceRange, ingressnginx.AllowlistSourceRange, ingressnginx.DenylistSourceRange, ingressnginx.Satisfy:
		return true
	}
	_, snippet := a.Snippets[name]
	return snippet
}

// authQuery carries the restrictions of auth-url's query into the app:
// oauth2-proxy's /oauth2/auth checks allowed_groups, allowed_email_domains
// and allowed_emails from the query on top of its own options
// (oauth2-proxy oauthproxy.go authOnlyAuthorize).
func (im *importer) authQuery(src string, a *ingressnginx.Auth, app *v1alpha1.App) {
	field := "metadata.annotations." + ingressnginx.Key(ingressnginx.AuthURL)
	u, err := url.Parse(a.URL)
	if err != nil {
		im.refuse(src, field, "not a URL: %v", err)
		return
	}
	for k, vs := range u.Query() {
		var list []string
		for _, v := range vs {
			list = append(list, splitList(v)...)
		}
		switch k {
		case "allowed_groups":
			// Both lists must match: the spec's one list says the same
			// only when the proxy has none or the same.
			if len(app.AllowedGroups) > 0 && !sameSet(app.AllowedGroups, list) {
				im.refuse(src, field+" allowed_groups", "%v on top of the proxy's allowed_groups %v: the spec has one list per app", list, app.AllowedGroups)
				continue
			}
			app.AllowedGroups = list
		case "allowed_email_domains":
			if !equalStrings(app.AllowedEmailDomains, []string{"*"}) && !sameSet(app.AllowedEmailDomains, list) {
				im.refuse(src, field+" allowed_email_domains", "%v on top of the proxy's email_domains %v: the spec has one list per app", list, app.AllowedEmailDomains)
				continue
			}
			app.AllowedEmailDomains = list
		default:
			im.refuse(src, field+" "+k, "limits who may reach the app; the spec has no such setting")
		}
	}
}

func sameSet(a, b []string) bool {
	x, y := append([]string{}, a...), append([]string{}, b...)
	sort.Strings(x)
	sort.Strings(y)
	return equalStrings(x, y)
}

// dexClients picks the kubectl client among the API server's audiences and
// reports the clients the spec does not render.
func (im *importer) dexClients() error {
	auds := im.jwt.Audiences
	k := &im.spec.Kubectl
	for _, a := range auds {
		if !im.clients[a] {
			k.ClientID = a
			break
		}
	}
	if k.ClientID == "" {
		k.ClientID = v1alpha1.DefaultKubectlClientID
		im.gap(im.jwt.AudField, "audience", "the API server's audience %q is an app's oauth2-proxy client: the spec gives kubectl a client of its own, %q, accepted by the API server, and the app asks dex for it as audience", auds[0], k.ClientID)
		auds = []string{k.ClientID}
	}
	if len(auds) > 1 || auds[0] != k.ClientID {
		im.spec.APIServer.Audiences = auds
	}
	for _, u := range im.m.Kubeconfigs {
		if u.ClientID == k.ClientID && u.IssuerURL == im.jwt.Issuer && len(u.ExtraScopes) > 0 {
			k.ExtraScopes = u.ExtraScopes
		}
	}
	d := im.m.Dex
	if d == nil || im.spec.Issuer.Dex == nil {
		return nil
	}
	im.clients[k.ClientID] = true
	for _, c := range d.Clients {
		src := fmt.Sprintf("%s: staticClients[%d]", d.Source, c.Index)
		switch {
		case c.ID == k.ClientID:
			pub := c.Public
			k.Public = &pub
			if !c.Public && c.SecretKnown {
				im.res.Generated[dex.ClientSecretName(c.ID)] = c.Secret
			}
			// kubelogin listens on localhost:8000, or 18000 when 8000 is
			// taken (kubelogin's --listen-address default); the spec
			// registers both (pkg/render/dex).
			rendered := []string{"http://localhost:8000", "http://localhost:18000"}
			for _, r := range c.RedirectURIs {
				if !containsFold(rendered, r) {
					im.gap(src, "redirectURIs", "%s is not rendered: the kubectl client gets kubelogin's defaults http://localhost:8000 and :18000", r)
				}
			}
			for _, r := range rendered {
				if !containsFold(c.RedirectURIs, r) {
					im.gap(src, "redirectURIs", "%s is added: the rendered kubectl client accepts kubelogin's second default port too", r)
				}
			}
		case im.clients[c.ID]:
			for _, a := range im.spec.Apps {
				if a.ClientID != c.ID {
					continue
				}
				for _, r := range c.RedirectURIs {
					if r != "https://"+a.Host+"/oauth2/callback" {
						im.gap(src, "redirectURIs", "%s is not rendered: the client of app %s gets https://%s/oauth2/callback only", r, a.Name, a.Host)
					}
				}
				if c.SecretKnown {
					if prev, ok := im.res.Generated[dex.ClientSecretName(c.ID)]; ok && prev != c.Secret {
						im.gap(src, "secret", "differs from the secret its oauth2-proxy sends: the setup cannot log in to app %s; the dex value is imported", a.Name)
					}
					im.res.Generated[dex.ClientSecretName(c.ID)] = c.Secret
				}
			}
		default:
			im.gap(src, "id", "client %q is neither the API server's audience nor an imported oauth2-proxy's: the rendered dex config does not have it (render --dex-config merges into an existing config and keeps it)", c.ID)
		}
	}
	return nil
}

// rbac imports the bindings whose subjects come from the issuer: users
// and groups carrying the API server's prefixes.
func (im *importer) rbac() error {
	if im.m.RBAC == nil {
		return nil
	}
	// The prefixes as the API server applied them to the existing subjects.
	origUser, origGroup := im.jwt.UsernamePref, im.jwt.GroupsPref
	names := map[string]bool{}
	for _, b := range im.m.RBAC.Bindings {
		if strings.HasPrefix(b.Name, "system:") || strings.HasPrefix(b.Name, "kubeadm:") {
			// The cluster's own bindings, not the issuer's: left alone.
			continue
		}
		src := fmt.Sprintf("%s: %s %s", b.Source, b.Kind, qualified(b.Namespace, b.Name))
		var sub v1alpha1.Subjects
		var other []string
		for i, s := range b.Subjects {
			name, ok := "", false
			switch s.Kind {
			case rbacv1.UserKind:
				if name, ok = oidcName(s.Name, origUser); ok {
					sub.Users = append(sub.Users, name)
				}
			case rbacv1.GroupKind:
				if name, ok = oidcName(s.Name, origGroup); ok {
					sub.Groups = append(sub.Groups, name)
				}
			}
			if !ok {
				other = append(other, fmt.Sprintf("subjects[%d]", i))
			}
		}
		if len(sub.Users)+len(sub.Groups) == 0 {
			// Bindings of service accounts and of the cluster's own
			// users are not the issuer's: nothing to import.
			continue
		}
		for _, f := range other {
			im.gap(src, f, "does not come from the issuer (no prefix %q/%q): not imported with this binding; the original keeps it", origUser, origGroup)
		}
		nb := v1alpha1.Binding{Name: dnsSubdomain(b.Name), Subjects: sub}
		if b.Kind == "RoleBinding" {
			nb.Namespace = b.Namespace
		}
		switch b.RoleRef.Kind {
		case "ClusterRole":
			nb.ClusterRole = b.RoleRef.Name
		case "Role":
			nb.Role = b.RoleRef.Name
		}
		key := nb.Name + "/" + nb.Namespace
		for i := 2; names[key]; i++ {
			nb.Name = fmt.Sprintf("%s-%d", dnsSubdomain(b.Name), i)
			key = nb.Name + "/" + nb.Namespace
		}
		names[key] = true
		im.spec.RBAC.Bindings = append(im.spec.RBAC.Bindings, nb)
		im.gap(src, "metadata.name", "rendered as %s: the original binding stays in the cluster; delete it once the stack is applied", "authstack:"+nb.Name)
	}
	for _, r := range im.m.RBAC.Roles {
		im.gap(fmt.Sprintf("%s: %s %s", r.Source, r.Kind, qualified(r.Namespace, r.Name)), "rules", "roles are not part of the spec: the bindings refer to it by name, keep it in the cluster")
	}
	im.existingRoles()
	return nil
}

// existingRoles lists every role an imported binding names that is not
// built in as spec.rbac.existingRoles: the roles stay in the cluster (see the
// gap above), and validate refuses a binding to a role it does not know.
func (im *importer) existingRoles() {
	r := &im.spec.RBAC
	seen := map[v1alpha1.ExistingRole]bool{}
	for _, e := range r.ExistingRoles {
		seen[e] = true
	}
	for _, b := range r.Bindings {
		e := v1alpha1.ExistingRole{Name: b.ClusterRole}
		switch {
		case b.Role != "":
			e = v1alpha1.ExistingRole{Name: b.Role, Namespace: b.Namespace}
		case slices.Contains(v1alpha1.BuiltinClusterRoles, b.ClusterRole):
			continue
		}
		if e.Name == "" || seen[e] {
			continue
		}
		seen[e] = true
		r.ExistingRoles = append(r.ExistingRoles, e)
	}
}

// oidcName strips the API server's prefix from a subject; without a prefix
// every name that is not the cluster's own (system:) may come from a token.
func oidcName(name, prefix string) (string, bool) {
	if prefix == "" {
		return name, !strings.HasPrefix(name, "system:")
	}
	n, ok := strings.CutPrefix(name, prefix)
	return n, ok && n != ""
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel turns an object name into a spec name (an app name is a DNS label).
func dnsLabel(s string) string {
	s = strings.Trim(notDNS.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}

var notSubdomain = regexp.MustCompile(`[^a-z0-9.-]+`)

func dnsSubdomain(s string) string {
	return strings.Trim(notSubdomain.ReplaceAllString(strings.ToLower(s), "-"), "-.")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
