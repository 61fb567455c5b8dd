package v1alpha1

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
)

// Validate checks a defaulted spec and returns every problem found, each
// with its field path, so a user fixes them all in one round.
func Validate(s *AuthStack) field.ErrorList {
	var errs field.ErrorList
	if s.APIVersion != APIVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), s.APIVersion, "must be "+APIVersion))
	}
	if s.Kind != Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), s.Kind, "must be "+Kind))
	}
	spec := field.NewPath("spec")
	errs = append(errs, validateCluster(&s.Spec.Cluster, spec.Child("cluster"))...)
	errs = append(errs, validateIssuer(&s.Spec, spec.Child("issuer"))...)
	errs = append(errs, validateAPIServer(&s.Spec, spec.Child("apiServer"))...)
	errs = append(errs, validateKubectl(&s.Spec.Kubectl, spec.Child("kubectl"))...)
	errs = append(errs, validateApps(&s.Spec, spec.Child("apps"))...)
	errs = append(errs, validateEdge(&s.Spec, spec)...)
	errs = append(errs, validateAuth(&s.Spec, spec)...)
	errs = append(errs, validateRBAC(&s.Spec, spec.Child("rbac"))...)
	errs = append(errs, validateNamespaces(&s.Spec)...)
	errs = append(errs, validateTLS(&s.Spec)...)
	errs = append(errs, validateOwnLogin(&s.Spec, spec.Child("apps"))...)
	errs = append(errs, validateUserHeaderClaims(&s.Spec, spec.Child("apps"))...)
	errs = append(errs, validateManaged(&s.Spec, spec)...)
	errs = append(errs, validateDexEnvNames(&s.Spec, spec)...)
	errs = append(errs, validatePaths(&s.Spec, spec)...)
	errs = append(errs, validateImages(&s.Spec.Images, spec.Child("images"))...)
	errs = append(errs, validateDexCertManager(&s.Spec, spec)...)
	if k := s.Spec.Kustomize; k != nil && k.Dir == "" {
		errs = append(errs, field.Required(spec.Child("kustomize", "dir"), "a directory with a kustomization.yaml"))
	}
	return errs
}

func validateCluster(c *Cluster, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, dnsLabel(c.Name, p.Child("name"))...)
	if c.KubernetesVersion == "" {
		errs = append(errs, field.Required(p.Child("kubernetesVersion"), `for example "1.34"`))
	} else if v, err := c.ParsedVersion(); err != nil {
		errs = append(errs, field.Invalid(p.Child("kubernetesVersion"), c.KubernetesVersion, `must be a Kubernetes version such as "1.34" or "v1.34.2"`))
	} else if !v.AtLeast(version.MustParseGeneric("1.26")) {
		errs = append(errs, field.Invalid(p.Child("kubernetesVersion"), c.KubernetesVersion, "authstack supports Kubernetes 1.26 and later"))
	}
	switch c.Installer {
	case InstallerKubespray, InstallerKubeadm, InstallerKind, InstallerAuthConfig, InstallerManaged:
	case "":
		errs = append(errs, field.Required(p.Child("installer"), "one of kubespray, kubeadm, kind, authentication-config, managed"))
	default:
		errs = append(errs, field.NotSupported(p.Child("installer"), c.Installer, []Installer{InstallerKubespray, InstallerKubeadm, InstallerKind, InstallerAuthConfig, InstallerManaged}))
	}
	if c.Server != "" {
		errs = append(errs, httpsURL(c.Server, p.Child("server"))...)
	}
	if c.Installer == InstallerKind && c.Server != "" {
		if _, _, err := c.KindAPIServer(); err != nil {
			errs = append(errs, field.Invalid(p.Child("server"), c.Server, err.Error()))
		}
	}
	return errs
}

func validateIssuer(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	is := &s.Issuer
	switch {
	case is.Dex == nil && is.External == nil:
		return append(errs, field.Required(p, "set issuer.dex (authstack deploys dex) or issuer.external (an existing OIDC issuer)"))
	case is.Dex != nil && is.External != nil:
		return append(errs, field.Forbidden(p.Child("external"), "set either issuer.dex or issuer.external, not both"))
	case is.External != nil:
		e := is.External
		errs = append(errs, httpsURL(e.URL, p.Child("external", "url"))...)
		if e.AppClientSecret == nil && needsAppClientSecret(s) {
			errs = append(errs, field.Required(p.Child("external", "appClientSecret"), "the apps' oauth2-proxy needs the secret of its client at the external issuer (or give each app its own apps[].clientSecret, or spec.auth.clientSecret for a shared sign-in host)"))
		}
		errs = append(errs, secretRef(e.AppClientSecret, p.Child("external", "appClientSecret"))...)
		errs = append(errs, scopeList(e.Scopes, p.Child("external", "scopes"))...)
		if !slices.Contains(e.Scopes, "openid") {
			errs = append(errs, field.Invalid(p.Child("external", "scopes"), e.Scopes, "must include openid: without it the issuer returns no id token"))
		}
		return errs
	}
	d := is.Dex
	dp := p.Child("dex")
	errs = append(errs, hostPort(d.Host, dp.Child("host"))...)
	if d.Path != "" && (!strings.HasPrefix(d.Path, "/") || strings.HasSuffix(d.Path, "/")) {
		errs = append(errs, field.Invalid(dp.Child("path"), d.Path, `must start with "/" and not end with "/" (the API server compares the issuer string exactly)`))
	}
	errs = append(errs, flagSafe(d.Path, dp.Child("path"))...)
	errs = append(errs, dnsLabel(d.Namespace, dp.Child("namespace"))...)
	if d.Replicas != nil && *d.Replicas < 1 {
		errs = append(errs, field.Invalid(dp.Child("replicas"), *d.Replicas, "must be at least 1"))
	}
	switch d.Storage.Type {
	case StorageKubernetes:
	case StorageMemory:
		if d.Replicas != nil && *d.Replicas > 1 {
			errs = append(errs, field.Invalid(dp.Child("storage", "type"), d.Storage.Type, "memory storage cannot be shared: with more than one replica each pod signs with its own keys and logins fail at random; use kubernetes"))
		}
	default:
		errs = append(errs, field.NotSupported(dp.Child("storage", "type"), d.Storage.Type, []StorageType{StorageKubernetes, StorageMemory}))
	}
	if cm := d.TLS.CertManager; cm != nil {
		if cm.Issuer == "" {
			errs = append(errs, field.Required(dp.Child("tls", "certManager", "issuer"), "name of the cert-manager issuer"))
		}
		if cm.Kind != "ClusterIssuer" && cm.Kind != "Issuer" {
			errs = append(errs, field.NotSupported(dp.Child("tls", "certManager", "kind"), cm.Kind, []string{"ClusterIssuer", "Issuer"}))
		}
	}
	idt, err := time.ParseDuration(d.IDTokenLifetime)
	if err != nil || idt < time.Minute || idt > 24*time.Hour {
		errs = append(errs, field.Invalid(dp.Child("idTokenLifetime"), d.IDTokenLifetime, "must be a duration between 1m and 24h, such as 1h"))
	}
	if rt, err := time.ParseDuration(d.RefreshTokenLifetime); err != nil || rt <= 0 {
		errs = append(errs, field.Invalid(dp.Child("refreshTokenLifetime"), d.RefreshTokenLifetime, "must be a positive duration, such as 720h"))
	}
	if len(d.Connectors) == 0 {
		errs = append(errs, field.Required(dp.Child("connectors"), "at least one connector (ldap, github, oidc or static)"))
	}
	ids := sets.New[string]()
	for i := range d.Connectors {
		c := &d.Connectors[i]
		cp := dp.Child("connectors").Index(i)
		errs = append(errs, validateConnector(c, cp)...)
		errs = append(errs, unverifiedEmails(s, c, cp)...)
		if ids.Has(c.ID) {
			errs = append(errs, field.Duplicate(cp.Child("id"), c.ID))
		}
		ids.Insert(c.ID)
	}
	if d.PasswordConnector != "" && !ids.Has(d.PasswordConnector) {
		errs = append(errs, field.NotSupported(dp.Child("passwordConnector"), d.PasswordConnector, sets.List(ids)))
	}
	return errs
}

func validateConnector(c *Connector, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	set := 0
	for _, b := range []bool{c.LDAP != nil, c.GitHub != nil, c.OIDC != nil, c.Static != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return append(errs, field.Invalid(p, fmt.Sprintf("%d connector blocks", set), "set exactly one of ldap, github, oidc, static"))
	}
	errs = append(errs, dnsLabel(c.ID, p.Child("id"))...)
	switch {
	case c.LDAP != nil:
		l, lp := c.LDAP, p.Child("ldap")
		if l.Host == "" {
			errs = append(errs, field.Required(lp.Child("host"), "host:port of the LDAP server, such as ldap.example.com:636"))
		}
		if l.InsecureNoSSL && l.StartTLS {
			errs = append(errs, field.Invalid(lp.Child("startTLS"), true, "cannot be combined with insecureNoSSL"))
		}
		if l.BindDN != "" && l.BindPassword == nil {
			errs = append(errs, field.Required(lp.Child("bindPassword"), "bindDN needs a password (env or file)"))
		}
		errs = append(errs, secretRef(l.BindPassword, lp.Child("bindPassword"))...)
		if l.UserSearch.BaseDN == "" {
			errs = append(errs, field.Required(lp.Child("userSearch", "baseDN"), "such as ou=people,dc=example,dc=org"))
		}
		if l.UserSearch.Username == "" {
			errs = append(errs, field.Required(lp.Child("userSearch", "username"), "the attribute matched against what the user types, such as uid or mail"))
		}
		if l.GroupSearch.BaseDN != "" && len(l.GroupSearch.UserMatchers) == 0 {
			errs = append(errs, field.Required(lp.Child("groupSearch", "userMatchers"), "how a group names its members, such as {userAttr: DN, groupAttr: member}"))
		}
		// dex builds the group filter from both attributes: with one empty
		// it matches no group, and users would lose their groups silently.
		for i, m := range l.GroupSearch.UserMatchers {
			mp := lp.Child("groupSearch", "userMatchers").Index(i)
			if m.UserAttr == "" {
				errs = append(errs, field.Required(mp.Child("userAttr"), "the user attribute a group lists, such as DN or uid"))
			}
			if m.GroupAttr == "" {
				errs = append(errs, field.Required(mp.Child("groupAttr"), "the group attribute listing members, such as member or memberUid"))
			}
		}
	case c.GitHub != nil:
		g, gp := c.GitHub, p.Child("github")
		if g.ClientID == "" {
			errs = append(errs, field.Required(gp.Child("clientID"), "the OAuth app's client id"))
		}
		if g.ClientSecret == nil {
			errs = append(errs, field.Required(gp.Child("clientSecret"), "the OAuth app's secret (env or file)"))
		}
		errs = append(errs, secretRef(g.ClientSecret, gp.Child("clientSecret"))...)
		// An org without a name matches no account: a typo that locks
		// everyone out rather than a restriction anyone meant.
		for i, o := range g.Orgs {
			if o.Name == "" {
				errs = append(errs, field.Required(gp.Child("orgs").Index(i).Child("name"), "the GitHub organization whose members may log in"))
			}
		}
	case c.OIDC != nil:
		o, op := c.OIDC, p.Child("oidc")
		errs = append(errs, httpsURL(o.Issuer, op.Child("issuer"))...)
		if o.ClientID == "" {
			errs = append(errs, field.Required(op.Child("clientID"), "the client id at the upstream issuer"))
		}
		if o.ClientSecret == nil {
			errs = append(errs, field.Required(op.Child("clientSecret"), "the client secret at the upstream issuer (env or file)"))
		}
		errs = append(errs, secretRef(o.ClientSecret, op.Child("clientSecret"))...)
	case c.Static != nil:
		st, sp := c.Static, p.Child("static")
		if !st.TestClusterOnly {
			errs = append(errs, field.Invalid(sp.Child("testClusterOnly"), false, "static passwords are for test clusters only; set testClusterOnly: true to confirm"))
		}
		if len(st.Users) == 0 {
			errs = append(errs, field.Required(sp.Child("users"), "at least one user"))
		}
		emails := sets.New[string]()
		for i, u := range st.Users {
			up := sp.Child("users").Index(i)
			if !strings.Contains(u.Email, "@") {
				errs = append(errs, field.Invalid(up.Child("email"), u.Email, "must be an email address"))
			}
			if emails.Has(u.Email) {
				errs = append(errs, field.Duplicate(up.Child("email"), u.Email))
			}
			emails.Insert(u.Email)
			if u.Username == "" {
				errs = append(errs, field.Required(up.Child("username"), ""))
			}
			if !strings.HasPrefix(u.Hash, "$2") {
				errs = append(errs, field.Invalid(up.Child("hash"), "(hidden)", "must be a bcrypt hash ($2a$, $2b$ or $2y$), for example from htpasswd -bnBC 10 '' PASSWORD"))
			}
		}
	}
	return errs
}

// unverifiedEmails refuses an upstream OIDC connector with
// insecureSkipEmailVerified when an email decides who someone is. Dex then
// marks an email as verified when the upstream token has no
// email_verified claim (connector/oidc in dexidp/dex), so whoever can set
// any email at that provider is that user for the API server (which trusts
// email only when email_verified is true) and for oauth2-proxy's domain
// check. LDAP and GitHub have no such option: dex reads LDAP's email
// attribute and GitHub's verified primary email.
func unverifiedEmails(s *Spec, c *Connector, p *field.Path) field.ErrorList {
	if c.OIDC == nil || !c.OIDC.InsecureSkipEmailVerified {
		return nil
	}
	fp := p.Child("oidc", "insecureSkipEmailVerified")
	var errs field.ErrorList
	if s.APIServer.UsernameClaim == "email" {
		errs = append(errs, field.Invalid(fp, true, "with apiServer.usernameClaim email, anyone who can set an unverified email at the upstream provider logs in to Kubernetes as the user who owns it; take the username from a claim the provider controls (apiServer.usernameClaim: sub) or remove insecureSkipEmailVerified"))
	}
	for i, a := range s.Apps {
		for _, d := range a.AllowedEmailDomains {
			if d != "*" {
				errs = append(errs, field.Invalid(fp, true, fmt.Sprintf("app %s (spec.apps[%d]) admits users by allowedEmailDomains, which an unverified email passes; use allowedGroups instead or remove insecureSkipEmailVerified", a.Name, i)))
				break
			}
		}
	}
	return errs
}

func validateAPIServer(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	a := &s.APIServer
	switch a.Mode {
	case ModeFlags:
		if len(a.ClaimValidationRules) > 0 {
			errs = append(errs, field.Forbidden(p.Child("claimValidationRules"), "CEL rules need mode authentication-config"))
		}
		if len(a.Audiences) > 1 {
			errs = append(errs, field.TooMany(p.Child("audiences"), len(a.Audiences), 1))
		}
		// kube-apiserver reads one key=value per --oidc-required-claim
		// (k8s.io/kubernetes/pkg/kubeapiserver/options: MapStringStringNoSplit),
		// so several claims need the flag repeated, which kubeadm's v1beta3
		// extraArgs (a map) cannot hold.
		if len(a.RequiredClaims) > 1 {
			errs = append(errs, field.Forbidden(p.Child("requiredClaims"), "mode flags can enforce one required claim (one --oidc-required-claim); use mode authentication-config for more"))
		}
		// Kubespray's kube_oidc_* variables have no required claim
		// (roles/kubernetes/control-plane/templates/kubeadm-config.*.yaml.j2):
		// the claim would not be enforced.
		if len(a.RequiredClaims) > 0 && s.Cluster.Installer == InstallerKubespray {
			errs = append(errs, field.Forbidden(p.Child("requiredClaims"), "kubespray has no variable for --oidc-required-claim, so the claim would not be enforced; use mode authentication-config (Kubernetes 1.30+, kubespray v2.31+ kube_apiserver_authentication_config_jwt) or remove requiredClaims"))
		}
	case ModeAuthConfig:
		if v, err := s.Cluster.ParsedVersion(); err == nil && !v.AtLeast(version.MustParseGeneric(structuredAuthMinVersion)) {
			errs = append(errs, field.Invalid(p.Child("mode"), a.Mode, "AuthenticationConfiguration needs Kubernetes 1.30 or later; use mode flags"))
		}
	case ModeProxy:
		// validateManaged checks what mode proxy needs.
	default:
		errs = append(errs, field.NotSupported(p.Child("mode"), a.Mode, []APIServerMode{ModeFlags, ModeAuthConfig, ModeProxy}))
	}
	for _, pr := range []struct {
		name  string
		value *string
	}{{"usernamePrefix", a.UsernamePrefix}, {"groupsPrefix", a.GroupsPrefix}} {
		if pr.value == nil {
			continue
		}
		v, fp := *pr.value, p.Child(pr.name)
		switch {
		case v == "-" && a.Mode != ModeFlags:
			errs = append(errs, field.Invalid(fp, v, `"-" is a flag convention; in an AuthenticationConfiguration use "" for no prefix`))
		case flagSafe(v, fp) != nil:
			errs = append(errs, flagSafe(v, fp)...)
		case strings.HasPrefix(v, "-") && v != "-":
			errs = append(errs, field.Invalid(fp, v, `"-" means no prefix and cannot be mixed with a prefix`))
		case (v == "" || v == "-") && !a.AllowUnprefixed:
			errs = append(errs, field.Invalid(fp, v, "without a prefix a token can claim any name, such as system: users or groups that the cluster trusts; keep a prefix such as \"oidc:\" or set allowUnprefixed: true"))
		case v == "" || v == "-":
		case strings.HasPrefix(v, "system:"):
			errs = append(errs, field.Invalid(fp, v, `must not start with "system:": the cluster reserves system: names for its own components and groups such as system:masters`))
		case strings.HasPrefix("system:", v):
			errs = append(errs, field.Invalid(fp, v, fmt.Sprintf(`is the start of "system:": a token name such as %q would become %q; use a prefix of your own such as "oidc:"`, strings.TrimPrefix("system:masters", v), "system:masters")))
		case !strings.HasSuffix(v, ":"):
			errs = append(errs, field.Invalid(fp, v, `must end with ":" (such as "oidc:"), so that a prefixed name cannot run into a name the cluster already trusts`))
		}
	}
	errs = append(errs, claimName(a.UsernameClaim, p.Child("usernameClaim"))...)
	errs = append(errs, claimName(a.GroupsClaim, p.Child("groupsClaim"))...)
	errs = append(errs, acceptedAudiences(s, p.Child("audiences"))...)
	for i, aud := range a.Audiences {
		if aud == "" {
			errs = append(errs, field.Required(p.Child("audiences").Index(i), ""))
		}
		errs = append(errs, flagSafe(aud, p.Child("audiences").Index(i))...)
	}
	for _, k := range sets.List(sets.KeySet(a.RequiredClaims)) {
		kp := p.Child("requiredClaims").Key(k)
		errs = append(errs, claimName(k, kp)...)
		v := a.RequiredClaims[k]
		if a.Mode == ModeFlags {
			// --oidc-required-claim takes one key=value and trims spaces
			// around the value (component-base MapStringString).
			errs = append(errs, flagSafe(v, kp)...)
		} else if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			errs = append(errs, field.Invalid(kp, v, "must not contain control characters such as newlines"))
		}
	}
	for i, r := range a.ClaimValidationRules {
		if strings.TrimSpace(r.Expression) == "" {
			errs = append(errs, field.Required(p.Child("claimValidationRules").Index(i).Child("expression"), "a CEL expression over claims"))
		}
	}
	errs = append(errs, nodePath(a.AuthenticationConfigPath, p.Child("authenticationConfigPath"))...)
	errs = append(errs, nodePath(a.IssuerCAPath, p.Child("issuerCAPath"))...)
	return errs
}

// acceptedAudiences refuses a spec whose API server would answer 401 to
// the tokens authstack's own clients present: kubelogin's, issued to the
// kubectl client, and those token-mode proxies forward (ForwardedAudience).
func acceptedAudiences(s *Spec, p *field.Path) field.ErrorList {
	type need struct{ aud, why string }
	needs := []need{{s.Kubectl.ClientID, "kubectl logs in as client " + strconv.Quote(s.Kubectl.ClientID) + " (spec.kubectl.clientID)"}}
	for i := range s.Apps {
		a := &s.Apps[i]
		if !a.SendsUserToken() {
			continue
		}
		aud := s.ForwardedAudience(a)
		why := fmt.Sprintf("app %s (spec.apps[%d], identity %s) sends the API server id tokens whose audience is %q", a.Name, i, a.Identity, aud)
		if !s.CrossClient() {
			why += ": an issuer other than dex issues the proxy's id token for the proxy's own client"
		}
		if !slices.ContainsFunc(needs, func(n need) bool { return n.aud == aud }) {
			needs = append(needs, need{aud, why})
		}
	}
	if s.APIServer.Mode == ModeFlags && len(needs) > 1 {
		var whys []string
		for _, n := range needs {
			whys = append(whys, n.why)
		}
		return field.ErrorList{field.Invalid(p, s.APIServer.Audiences, fmt.Sprintf(
			"mode flags accepts a single audience (--oidc-client-id), but the API server must accept %d: %s; use mode authentication-config (Kubernetes 1.30+), which accepts several, or identity headers for the apps",
			len(needs), strings.Join(whys, "; ")))}
	}
	var errs field.ErrorList
	for _, n := range needs {
		if n.aud != "" && !slices.Contains(s.APIServer.Audiences, n.aud) {
			errs = append(errs, field.Invalid(p, s.APIServer.Audiences, fmt.Sprintf("must include %q, or the API server answers 401: %s", n.aud, n.why)))
		}
	}
	return errs
}

func validateKubectl(k *Kubectl, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if k.ClientID == "" {
		errs = append(errs, field.Required(p.Child("clientID"), ""))
	}
	errs = append(errs, flagSafe(k.ClientID, p.Child("clientID"))...)
	return append(errs, scopeList(k.ExtraScopes, p.Child("extraScopes"))...)
}

func scopeList(scopes []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, sc := range scopes {
		if !scopeToken(sc) {
			errs = append(errs, field.Invalid(p.Index(i), sc, "must be one scope: printable ASCII without spaces, commas, quotes or backslashes (RFC 6749 section 3.3)"))
		}
	}
	return errs
}

func validateApps(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names, hosts, clients := sets.New[string](), sets.New[string](), sets.New(s.Kubectl.ClientID)
	if s.Issuer.Dex != nil {
		hosts.Insert(s.Issuer.Dex.Host)
	}
	for i := range s.Apps {
		a, ap := &s.Apps[i], p.Index(i)
		errs = append(errs, dnsLabel(a.Name, ap.Child("name"))...)
		if names.Has(a.Name) {
			errs = append(errs, field.Duplicate(ap.Child("name"), a.Name))
		}
		names.Insert(a.Name)
		errs = append(errs, hostPort(a.Host, ap.Child("host"))...)
		if a.Host != "" && hosts.Has(a.Host) {
			errs = append(errs, field.Duplicate(ap.Child("host"), a.Host))
		}
		hosts.Insert(a.Host)
		errs = append(errs, dnsLabel(a.Namespace, ap.Child("namespace"))...)
		errs = append(errs, dnsLabel(a.Upstream.Service, ap.Child("upstream", "service"))...)
		if a.Upstream.Port < 1 || a.Upstream.Port > 65535 {
			errs = append(errs, field.Invalid(ap.Child("upstream", "port"), a.Upstream.Port, "must be a port number between 1 and 65535"))
		}
		if a.Upstream.Protocol != "HTTP" && a.Upstream.Protocol != "HTTPS" {
			errs = append(errs, field.NotSupported(ap.Child("upstream", "protocol"), a.Upstream.Protocol, []string{"HTTP", "HTTPS"}))
		}
		switch a.Identity {
		case IdentityToken, IdentityHeaders, IdentityOIDC:
		case "":
			errs = append(errs, field.Required(ap.Child("identity"), "token (the app gets the user's id token, as Kubernetes Dashboard and Headlamp need) or headers (X-Auth-Request-*, as for Prometheus)"))
		default:
			errs = append(errs, field.NotSupported(ap.Child("identity"), a.Identity, []IdentityMode{IdentityToken, IdentityHeaders, IdentityOIDC}))
		}
		if clients.Has(a.ClientID) {
			errs = append(errs, field.Duplicate(ap.Child("clientID"), a.ClientID))
		}
		clients.Insert(a.ClientID)
		// The app Ingress carries only ingress-nginx's auth-url/auth-signin
		// annotations; any other controller ignores them and serves the app
		// without a login. An empty class is defaulted to nginx and written
		// into the Ingress, so the cluster's default class never decides.
		if s.EdgeProvider() == EdgeIngressNginx && a.IngressClassName != DefaultIngressClass {
			errs = append(errs, field.Invalid(ap.Child("ingressClassName"), a.IngressClassName, fmt.Sprintf(
				"only ingress-nginx (class %q) with spec.edge.provider ingress-nginx: the app Ingress carries ingress-nginx's auth annotations, which another controller ignores, serving the app without any login; for Traefik or a Gateway set spec.edge.provider (docs/edges.md)", DefaultIngressClass)))
		}
		for j, d := range a.AllowedEmailDomains {
			if d != "*" && dnsSubdomain(d, nil) != nil {
				errs = append(errs, field.Invalid(ap.Child("allowedEmailDomains").Index(j), d, `must be a domain such as example.com, or "*"`))
			}
		}
	}
	return errs
}

func validateRBAC(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	r := &s.RBAC
	reserved := reservedNamespaces(s)
	errs = append(errs, validateRoles(r, p)...)
	for i, e := range r.ExistingRoles {
		ep := p.Child("existingRoles").Index(i)
		errs = append(errs, roleName(e.Name, ep.Child("name"))...)
		if e.Namespace != "" {
			errs = append(errs, dnsLabel(e.Namespace, ep.Child("namespace"))...)
		}
	}
	clusterRoles := s.ClusterRoles()
	names := sets.New[string]()
	for i, b := range r.Bindings {
		bp := p.Child("bindings").Index(i)
		errs = append(errs, dnsSubdomain(b.Name, bp.Child("name"))...)
		if names.Has(b.Name + "/" + b.Namespace) {
			errs = append(errs, field.Duplicate(bp.Child("name"), b.Name))
		}
		names.Insert(b.Name + "/" + b.Namespace)
		switch {
		case b.ClusterRole == "" && b.Role == "":
			errs = append(errs, field.Required(bp.Child("clusterRole"), "set clusterRole or role"))
		case b.ClusterRole != "" && b.Role != "":
			errs = append(errs, field.Forbidden(bp.Child("role"), "set clusterRole or role, not both"))
		case b.Role != "" && b.Namespace == "":
			errs = append(errs, field.Required(bp.Child("namespace"), "a Role exists in one namespace"))
		}
		if b.Namespace != "" {
			errs = append(errs, dnsLabel(b.Namespace, bp.Child("namespace"))...)
		}
		switch {
		case b.Role != "" && b.ClusterRole == "" && b.Namespace != "" && !s.HasRole(b.Role, b.Namespace):
			errs = append(errs, field.Invalid(bp.Child("role"), b.Role, fmt.Sprintf(
				"no Role %q in namespace %q is defined, so the binding would grant nothing: define it in spec.rbac.roles (kind: Role, namespaces: [%s]), or list it in spec.rbac.existingRoles if something else creates it", b.Role, b.Namespace, b.Namespace)))
		case b.ClusterRole != "" && b.Role == "":
			errs = append(errs, knownClusterRole(b.ClusterRole, clusterRoles, bp.Child("clusterRole"))...)
		}
		errs = append(errs, subjects(&b.Subjects, bp)...)
	}
	users := sets.New[string]()
	for i, u := range r.Users {
		up := p.Child("users").Index(i)
		if u.Name == "" {
			errs = append(errs, field.Required(up.Child("name"), ""))
		}
		if users.Has(u.Name) {
			errs = append(errs, field.Duplicate(up.Child("name"), u.Name))
		}
		users.Insert(u.Name)
		if len(u.ClusterRoles) == 0 {
			errs = append(errs, field.Required(up.Child("clusterRoles"), "at least one ClusterRole, such as view"))
		}
		for j, role := range u.ClusterRoles {
			errs = append(errs, knownClusterRole(role, clusterRoles, up.Child("clusterRoles").Index(j))...)
		}
	}
	if r.ReadOnly != nil {
		errs = append(errs, subjects(r.ReadOnly, p.Child("readOnly"))...)
	}
	nss := sets.New[string]()
	for i, u := range r.UserNamespaces {
		up := p.Child("userNamespaces").Index(i)
		if u.User == "" {
			errs = append(errs, field.Required(up.Child("user"), ""))
		}
		errs = append(errs, dnsLabel(u.Namespace, up.Child("namespace"))...)
		errs = append(errs, notReserved(u.Namespace, reserved, up.Child("namespace"))...)
		if nss.Has(u.Namespace) {
			errs = append(errs, field.Duplicate(up.Child("namespace"), u.Namespace))
		}
		nss.Insert(u.Namespace)
	}
	teams := sets.New[string]()
	for i, t := range r.Teams {
		tp := p.Child("teams").Index(i)
		errs = append(errs, dnsLabel(t.Namespace, tp.Child("namespace"))...)
		errs = append(errs, notReserved(t.Namespace, reserved, tp.Child("namespace"))...)
		if teams.Has(t.Namespace) {
			errs = append(errs, field.Duplicate(tp.Child("namespace"), t.Namespace))
		}
		teams.Insert(t.Namespace)
		for j, role := range t.Roles {
			errs = append(errs, knownTeamRole(r, role, tp.Child("roles").Index(j))...)
		}
	}
	return errs
}

// knownClusterRole refuses a binding to a ClusterRole nothing creates: the
// API server accepts such a binding and it silently grants nothing, until
// someone creates a role of that name, with whatever rules they choose.
// podSecurityLevels are the Pod Security Standard levels the admission
// labels take (kubernetes.io/docs/concepts/security/pod-security-admission:
// pod-security.kubernetes.io/<MODE>: <LEVEL>, LEVEL one of privileged,
// baseline, restricted).
var podSecurityLevels = []PodSecurityLevel{PodSecurityRestricted, PodSecurityBaseline, PodSecurityPrivileged}

// validateNamespaces checks the namespaces the stack creates: a level only
// where authstack creates the namespace (an existing one keeps its own
// labels, so the level would be dropped silently), and one level per
// namespace however many fields ask for it.
func validateNamespaces(s *Spec) field.ErrorList {
	var errs field.ErrorList
	check := func(n NamespaceCreation, p *field.Path) {
		switch {
		case !n.CreateNamespace && n.PodSecurity != "":
			errs = append(errs, field.Invalid(p.Child("podSecurity"), n.PodSecurity,
				"applies only to a namespace authstack creates: set createNamespace: true, or remove podSecurity (an existing namespace keeps its own Pod Security labels)"))
		case n.CreateNamespace && !slices.Contains(podSecurityLevels, n.PodSecurity):
			errs = append(errs, field.NotSupported(p.Child("podSecurity"), n.PodSecurity, podSecurityLevels))
		}
	}
	spec := field.NewPath("spec")
	for i := range s.Apps {
		check(s.Apps[i].NamespaceCreation, spec.Child("apps").Index(i))
	}
	for i := range s.RBAC.Teams {
		check(s.RBAC.Teams[i].NamespaceCreation, spec.Child("rbac", "teams").Index(i))
	}
	first := map[string]StackNamespace{}
	for _, n := range s.StackNamespaces() {
		f, ok := first[n.Name]
		if !ok {
			first[n.Name] = n
			continue
		}
		if f.PodSecurity != n.PodSecurity {
			errs = append(errs, field.Invalid(n.Field, n.Name, fmt.Sprintf(
				"namespace %s is created with Pod Security %s here and %s by %s; a namespace has one level: give both the same podSecurity", n.Name, n.PodSecurity, f.PodSecurity, f.Field)))
		}
	}
	return errs
}

func knownClusterRole(name string, known sets.Set[string], p *field.Path) field.ErrorList {
	if name == "" || known.Has(name) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, name, fmt.Sprintf(
		"no ClusterRole %q is defined, so the binding would grant nothing: use a built-in one (%s), define it in spec.rbac.roles, or list it in spec.rbac.existingRoles if something else creates it",
		name, strings.Join(BuiltinClusterRoles, ", ")))}
}

// validateRoles checks the roles the spec defines. Their rules follow the
// API server's own rule validation (k8s.io/kubernetes pkg/apis/rbac/validation
// ValidatePolicyRule: verbs required, resource rules need apiGroups and
// resources, non-resource URLs only in ClusterRoles and not mixed with
// resources), and least privilege: see escalation.
func validateRoles(r *RBAC, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, role := range r.Roles {
		rp := p.Child("roles").Index(i)
		errs = append(errs, roleName(role.Name, rp.Child("name"))...)
		switch {
		case slices.Contains(BuiltinClusterRoles, role.Name):
			errs = append(errs, field.Invalid(rp.Child("name"), role.Name, "is a built-in ClusterRole, which authstack must not replace; choose a name of your own"))
		case strings.HasPrefix(role.Name, "system:"):
			errs = append(errs, field.Invalid(rp.Child("name"), role.Name, `must not start with "system:": the cluster's own roles carry those names`))
		case strings.HasPrefix(role.Name, "authstack:"):
			errs = append(errs, field.Invalid(rp.Child("name"), role.Name, `must not start with "authstack:": authstack names its own roles so`))
		}
		if names.Has(role.Name) {
			errs = append(errs, field.Duplicate(rp.Child("name"), role.Name))
		}
		names.Insert(role.Name)
		switch role.Kind {
		case KindClusterRole:
			if len(role.Namespaces) > 0 {
				errs = append(errs, field.Forbidden(rp.Child("namespaces"), "a ClusterRole has no namespace; bind it in a namespace with a binding's namespace, or use kind Role"))
			}
		case KindRole:
			if len(role.Namespaces) == 0 {
				errs = append(errs, field.Required(rp.Child("namespaces"), "the namespaces a Role is created in"))
			}
			seen := sets.New[string]()
			for j, ns := range role.Namespaces {
				errs = append(errs, dnsLabel(ns, rp.Child("namespaces").Index(j))...)
				if seen.Has(ns) {
					errs = append(errs, field.Duplicate(rp.Child("namespaces").Index(j), ns))
				}
				seen.Insert(ns)
			}
		default:
			errs = append(errs, field.NotSupported(rp.Child("kind"), role.Kind, []RoleKind{KindClusterRole, KindRole}))
		}
		if len(role.Rules) == 0 {
			errs = append(errs, field.Required(rp.Child("rules"), "at least one rule"))
		}
		errs = append(errs, policyRules(role.Rules, role.Kind, role.AllowEscalation, "role", rp.Child("rules"))...)
	}
	return errs
}

// policyRules checks the rules of a role, or of a team template (kind Role:
// namespaced resources only).
func policyRules(rules []rbacv1.PolicyRule, kind RoleKind, allowEscalation bool, what string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for j, rule := range rules {
		rlp := p.Index(j)
		if len(rule.Verbs) == 0 {
			errs = append(errs, field.Required(rlp.Child("verbs"), "such as get, list, watch"))
		}
		switch {
		case len(rule.NonResourceURLs) > 0:
			if kind == KindRole {
				errs = append(errs, field.Forbidden(rlp.Child("nonResourceURLs"), "only a ClusterRole can grant non-resource URLs"))
			}
			if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(rlp, "nonResourceURLs and resources", "a rule grants either non-resource URLs or resources, not both"))
			}
		case len(rule.APIGroups) == 0 || len(rule.Resources) == 0:
			errs = append(errs, field.Required(rlp, `a rule needs apiGroups ("" for the core group) and resources, or nonResourceURLs`))
		}
		if !allowEscalation {
			for _, e := range escalation(rule) {
				fp := rlp
				if e.field != "" {
					fp = rlp.Child(e.field)
				}
				errs = append(errs, field.Invalid(fp, e.value, e.why+"; narrow the rule, or set allowEscalation: true on the "+what+" if this is meant (see docs/security.md)"))
			}
		}
	}
	return errs
}

// roleName is the name of a Role or ClusterRole: the API server accepts
// any name that is a valid path segment (ValidateRBACName).
func roleName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if msgs := path.IsValidPathSegmentName(v); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, v, strings.Join(msgs, "; "))}
	}
	return nil
}

type escalationFinding struct {
	field string
	value any
	why   string
}

// escalation says how a rule lets its subjects gain more than it names:
// the verbs escalate and bind (create or bind roles with rules they do not
// hold) and impersonate (act as any user, group or service account), which
// the RBAC authorizer also grants through a "*" verb on those resources
// (Kubernetes docs, Using RBAC Authorization, "Privilege escalation
// prevention and bootstrapping"; RBAC good practices, "Escalate verb",
// "Bind verb", "Impersonate verb"); and reading Secrets through a wildcard
// (every verb on secrets, or a read verb on every resource of the core
// group), which hands out every credential in scope without naming it.
func escalation(r rbacv1.PolicyRule) []escalationFinding {
	has := func(list []string, v string) bool { return slices.Contains(list, v) || slices.Contains(list, "*") }
	var out []escalationFinding
	for _, v := range []string{"escalate", "bind", "impersonate"} {
		if slices.Contains(r.Verbs, v) {
			out = append(out, escalationFinding{"verbs", r.Verbs, fmt.Sprintf("verb %s lets the role's subjects grant themselves more than this role", v)})
		}
	}
	if slices.Contains(r.Verbs, "*") {
		for _, res := range []struct{ group, resource, verb string }{
			{"rbac.authorization.k8s.io", "roles", "escalate and bind"}, {"rbac.authorization.k8s.io", "clusterroles", "escalate and bind"},
			{"", "users", "impersonate"}, {"", "groups", "impersonate"}, {"", "serviceaccounts", "impersonate"},
		} {
			if has(r.APIGroups, res.group) && has(r.Resources, res.resource) {
				out = append(out, escalationFinding{"verbs", r.Verbs, fmt.Sprintf(`verb "*" on %s includes %s, which let the role's subjects grant themselves more than this role`, res.resource, res.verb)})
				break
			}
		}
	}
	readsAny := slices.ContainsFunc(r.Verbs, func(v string) bool { return v == "get" || v == "list" || v == "watch" || v == "*" })
	if has(r.APIGroups, "") && ((slices.Contains(r.Resources, "secrets") && slices.Contains(r.Verbs, "*")) || (slices.Contains(r.Resources, "*") && readsAny)) {
		out = append(out, escalationFinding{"", "(wildcard)", "a wildcard reaches Secrets, every credential in the rule's scope; name the verbs and resources the role needs"})
	}
	return out
}

// reservedNamespaces are namespaces that a user or team must never own:
// the cluster's own, ingress-nginx's, and those the stack runs in (dex, and
// the apps' namespaces holding oauth2-proxy and its client and cookie
// secrets). Owning one would give its Secrets and workloads to that user,
// and authstack would adopt it (restricted Pod Security labels).
func reservedNamespaces(s *Spec) map[string]string {
	why := map[string]string{
		"kube-system":     "the cluster's own components run there",
		"kube-public":     "the cluster publishes its public information there",
		"kube-node-lease": "the nodes' heartbeats live there",
		"default":         "the cluster's default namespace holds the kubernetes Service",
		"ingress-nginx":   "the ingress controller that enforces the logins runs there",
	}
	if d := s.Issuer.Dex; d != nil && d.Namespace != "" {
		why[d.Namespace] = "dex runs there, with its signing keys and client secrets"
	}
	for _, a := range s.Apps {
		if a.Namespace != "" {
			why[a.Namespace] = fmt.Sprintf("oauth2-proxy for app %s runs there, with its client and cookie secrets", a.Name)
		}
	}
	if p := s.Proxy; p != nil && p.Namespace != "" {
		why[p.Namespace] = "authstack-apiproxy runs there, with the tokens that impersonate every user"
	}
	return why
}

func notReserved(ns string, reserved map[string]string, p *field.Path) field.ErrorList {
	if why, ok := reserved[ns]; ok {
		return field.ErrorList{field.Invalid(p, ns, "cannot be given to a user or team: "+why+"; choose a namespace of its own")}
	}
	return nil
}

func subjects(s *Subjects, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Users) == 0 && len(s.Groups) == 0 {
		errs = append(errs, field.Required(p.Child("users"), "at least one user or group"))
	}
	for i, u := range s.Users {
		if u == "" {
			errs = append(errs, field.Required(p.Child("users").Index(i), ""))
		}
	}
	for i, g := range s.Groups {
		if g == "" {
			errs = append(errs, field.Required(p.Child("groups").Index(i), ""))
		}
	}
	return errs
}

func secretRef(r *SecretRef, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	if (r.Env == "") == (r.File == "") {
		return field.ErrorList{field.Invalid(p, "", "set exactly one of env (an environment variable) or file (a path)")}
	}
	return nil
}

func dnsLabel(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if msgs := validation.IsDNS1123Label(v); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, v, "must be a DNS label: "+strings.Join(msgs, "; "))}
	}
	return nil
}

func dnsSubdomain(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if msgs := validation.IsDNS1123Subdomain(v); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, v, "must be a DNS name")}
	}
	return nil
}

// hostPort accepts a DNS name, with an optional port for
// setups where the ingress is not on 443 (local clusters, tests).
func hostPort(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if strings.Contains(v, "://") || strings.Contains(v, "/") {
		return field.ErrorList{field.Invalid(p, v, "must be a host name such as dex.example.com, not a URL")}
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		host, port = v, ""
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return field.ErrorList{field.Invalid(p, v, "the port must be a number between 1 and 65535")}
		}
	}
	if net.ParseIP(host) != nil {
		return field.ErrorList{field.Invalid(p, v, "must be a DNS name: Ingress hosts cannot be IP addresses (for a local test use localhost or a name in /etc/hosts)")}
	}
	if msgs := validation.IsDNS1123Subdomain(host); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, v, "must be a DNS name, optionally with :port")}
	}
	return nil
}

func httpsURL(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "an https:// URL")}
	}
	if errs := flagSafe(v, p); errs != nil {
		return errs
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "":
		return field.ErrorList{field.Invalid(p, v, "must be an https:// URL")}
	case u.Scheme != "https":
		return field.ErrorList{field.Invalid(p, v, "must use https: the API server refuses other issuers and tokens must not cross the network in clear")}
	// A bare "?" or "#" leaves RawQuery and Fragment empty (net/url sets
	// ForceQuery, or nothing), yet the issuer string would carry it.
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(v, "?#"):
		return field.ErrorList{field.Invalid(p, v, "must not have a query, fragment or user info")}
	}
	return nil
}

// flagSafe refuses a value that could split into a second API server flag
// or break out of its quotes (see UnsafeInFlag).
func flagSafe(v string, p *field.Path) field.ErrorList {
	if UnsafeInFlag(v) {
		return field.ErrorList{field.Invalid(p, v, "must not contain spaces, control characters (such as newlines), quotes or backslashes: the value ends up in kube-apiserver flags")}
	}
	return nil
}

// claimName checks a JWT claim name. The API server only requires one to
// be non-empty (k8s.io/apiserver/pkg/apis/apiserver/validation), but the
// names end up in --oidc-*-claim flags and in --oidc-required-claim as
// key=value, so they must also be flag-safe and free of "=" and ",".
// URL-style names (https://example.com/groups) and cognito:groups pass.
func claimName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "a claim name such as email or groups")}
	}
	if errs := flagSafe(v, p); errs != nil {
		return errs
	}
	if strings.ContainsAny(v, "=,") {
		return field.ErrorList{field.Invalid(p, v, `a claim name must not contain "=" or ","`)}
	}
	return nil
}

// nodePath is an absolute path on the control-plane nodes, which the API
// server receives in a flag.
func nodePath(v string, p *field.Path) field.ErrorList {
	if !strings.HasPrefix(v, "/") {
		return field.ErrorList{field.Invalid(p, v, "must be an absolute path on the control-plane nodes")}
	}
	return flagSafe(v, p)
}

// Warning is a valid spec choice that probably admits more people than
// meant; validate and render print it and go on.
type Warning struct {
	// Field is the path of the field, such as spec.apps[0].
	Field   string
	Message string
}

func (w Warning) String() string { return w.Field + ": " + w.Message }

// Warnings returns what in a defaulted, valid spec deserves a second look.
func Warnings(s *AuthStack) []Warning {
	ws := append(edgeWarnings(&s.Spec), tlsWarnings(&s.Spec)...)
	ws = append(ws, authWarnings(s)...)
	ws = append(ws, userHeaderWarnings(&s.Spec)...)
	for i, role := range s.Spec.RBAC.Roles {
		if !role.AllowEscalation {
			continue
		}
		var whys []string
		for _, r := range role.Rules {
			for _, e := range escalation(r) {
				whys = append(whys, e.why)
			}
		}
		if len(whys) > 0 {
			ws = append(ws, Warning{
				Field:   field.NewPath("spec", "rbac", "roles").Index(i).String(),
				Message: fmt.Sprintf("role %s is allowed to escalate (allowEscalation): %s", role.Name, strings.Join(whys, "; ")),
			})
		}
	}
	// A namespace that enforces less than restricted admits pods that can
	// reach the node (privileged) or run as root (baseline) next to
	// authstack's proxy and its secrets.
	for _, n := range s.Spec.StackNamespaces() {
		if n.PodSecurity != PodSecurityRestricted {
			ws = append(ws, Warning{
				Field:   n.Field.String(),
				Message: fmt.Sprintf("namespace %s is created with Pod Security %s, not restricted: it admits pods that restricted refuses; keep restricted unless the workloads there need more", n.Name, n.PodSecurity),
			})
		}
	}
	// Who can log in at all, when nothing but an app's own limits stops
	// them: an issuer authstack does not run may serve a whole company or
	// the public; dex's GitHub connector admits every GitHub account unless
	// orgs are listed (dex docs, connectors/github: "If orgs are specified
	// in the config then user MUST be a member of at least one of the
	// specified orgs").
	var everyone string
	if e := s.Spec.Issuer.External; e != nil {
		everyone = "every user the issuer " + e.URL + " accepts"
	}
	if d := s.Spec.Issuer.Dex; d != nil {
		for i, c := range d.Connectors {
			if c.GitHub != nil && len(c.GitHub.Orgs) == 0 {
				ws = append(ws, Warning{
					Field:   field.NewPath("spec", "issuer", "dex", "connectors").Index(i).Child("github", "orgs").String(),
					Message: "no orgs: every GitHub account can log in through dex; list the organizations (and teams) allowed",
				})
				everyone = "every GitHub account"
			}
		}
	}
	if everyone == "" {
		return ws
	}
	for i, a := range s.Spec.Apps {
		if len(a.AllowedGroups) == 0 && !slices.ContainsFunc(a.AllowedEmailDomains, func(d string) bool { return d != "*" }) {
			ws = append(ws, Warning{
				Field:   field.NewPath("spec", "apps").Index(i).String(),
				Message: fmt.Sprintf("app %s admits %s; set allowedGroups or allowedEmailDomains to limit it", a.Name, everyone),
			})
		}
	}
	return ws
}
