package v1alpha1

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"
)

// Type is the connector's kind, from the one block that is set.
func (c *Connector) Type() string {
	switch {
	case c.LDAP != nil:
		return "ldap"
	case c.GitHub != nil:
		return "github"
	case c.OIDC != nil:
		return "oidc"
	case c.Static != nil:
		return "static"
	}
	return ""
}

// ParsedVersion parses cluster.kubernetesVersion ("1.34", "v1.34.2").
func (c *Cluster) ParsedVersion() (*version.Version, error) {
	v, err := version.ParseGeneric(c.KubernetesVersion)
	if err != nil {
		return nil, fmt.Errorf("kubernetes version %q: %w", c.KubernetesVersion, err)
	}
	return v, nil
}

// IssuerURL is the issuer exactly as every consumer must spell it.
func (s *Spec) IssuerURL() string {
	if s.Issuer.External != nil {
		return s.Issuer.External.URL
	}
	if d := s.Issuer.Dex; d != nil {
		return "https://" + d.Host + strings.TrimSuffix(d.Path, "/")
	}
	return ""
}

// IssuerCAFile is the local path of the issuer's CA bundle, if any.
func (s *Spec) IssuerCAFile() string {
	if s.Issuer.External != nil {
		return s.Issuer.External.CAFile
	}
	if s.Issuer.Dex != nil {
		return s.Issuer.Dex.CAFile
	}
	return ""
}

// AuthConfigAPIVersion is the apiserver.config.k8s.io version the cluster
// understands for AuthenticationConfiguration.
func (s *Spec) AuthConfigAPIVersion() string {
	v, err := s.Cluster.ParsedVersion()
	// The proxy reads the file with its own, current k8s.io/apiserver.
	if s.APIServer.Mode == ModeProxy || err == nil && v.AtLeast(version.MustParseGeneric(structuredAuthV1MinVerion)) {
		return "apiserver.config.k8s.io/v1"
	}
	return "apiserver.config.k8s.io/v1beta1"
}

// TeamGroup is the group name a team role is granted to in a namespace:
// rbac.teamGroupPattern, <cluster>:<role>:<namespace> by default.
func (s *Spec) TeamGroup(role TeamRole, namespace string) string {
	return expandTeamPattern(s.RBAC.TeamGroupPattern, DefaultTeamGroupPattern, s.Cluster.Name, role, namespace)
}

// Hostname is a host without its port, as Ingress rules and cookie domains need it.
func Hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// DNSLabel turns a user name or email into a string usable in object names.
func DNSLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = strings.Trim(out[:50], "-")
	}
	return out
}

// UnsafeInFlag reports whether a value could escape the place it is
// rendered to: a line of flags.txt, one --flag=value word, or kubespray's
// Jinja templates, which put the kube_oidc_* values between double quotes
// in YAML. Whitespace, control and non-printable characters, quotes and
// backslashes are refused; validation and the flag renderers share it.
func UnsafeInFlag(v string) bool {
	return strings.ContainsAny(v, `"'\`) || strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r)
	}) >= 0
}

// CrossClient reports whether the issuer mints id tokens for another
// client's audience on request: dex's scope audience:server:client_id:<id>
// (dex docs, "Cross-client trust and authorized party"). Other issuers
// ignore or refuse that scope.
func (s *Spec) CrossClient() bool { return s.Issuer.Dex != nil }

// ForwardedAudience is the audience under which the API server must accept
// the id token a token-mode app's oauth2-proxy forwards. Dex issues it for
// the kubectl client through the cross-client scope; any other issuer
// issues it for the proxy's own client, since an id token's aud always
// contains the client_id of the client that asked for it (OpenID Connect
// Core 1.0, section 2).
func (s *Spec) ForwardedAudience(a *App) string {
	if s.CrossClient() {
		return s.Kubectl.ClientID
	}
	if s.SharedSignin() {
		// The shared proxy logs every user in as its own client.
		return s.Auth.ClientID
	}
	return a.ClientID
}

// Names of the ClusterRoles authstack defines itself.
const (
	ReadOnlyRole   = "authstack:read-only"
	OwnerRole      = "authstack:namespace-owner"
	TeamRolePrefix = "authstack:team:"
)

// BuiltinClusterRoles are the user-facing ClusterRoles every cluster has
// (Kubernetes docs, Using RBAC Authorization, "User-facing roles"; the API
// server reconciles them at start-up).
var BuiltinClusterRoles = []string{"cluster-admin", "admin", "edit", "view"}

// TeamClusterRole is the ClusterRole a team role is bound to in its namespace.
// devops has a role of its own, not the built-in admin: admin aggregates
// edit, which may impersonate the namespace's service accounts and request
// their tokens (Kubernetes docs, Using RBAC Authorization, "User-facing
// roles": edit "allows ... impersonating ServiceAccounts"), a way out of the
// namespace through any ServiceAccount someone bound to more.
func TeamClusterRole(role TeamRole) string {
	return TeamRolePrefix + string(role)
}

// ClusterRoles are the names of the ClusterRoles a binding of the spec may
// name: built in, rendered by authstack for this spec, defined in
// rbac.roles, or declared in rbac.existingRoles.
func (s *Spec) ClusterRoles() sets.Set[string] {
	r := &s.RBAC
	out := sets.New(BuiltinClusterRoles...)
	if r.ReadOnly != nil {
		out.Insert(ReadOnlyRole)
	}
	if len(r.UserNamespaces) > 0 {
		out.Insert(OwnerRole)
	}
	for _, t := range r.Teams {
		for _, role := range t.Roles {
			out.Insert(TeamClusterRole(role))
		}
	}
	for _, role := range r.ClusterTeamRoles {
		out.Insert(TeamClusterRole(role))
	}
	for _, role := range r.Roles {
		if role.Kind == KindClusterRole {
			out.Insert(role.Name)
		}
	}
	for _, e := range r.ExistingRoles {
		if e.Namespace == "" {
			out.Insert(e.Name)
		}
	}
	return out
}

// HasRole reports whether a Role of this name exists in namespace: defined
// in rbac.roles or declared in rbac.existingRoles.
func (s *Spec) HasRole(name, namespace string) bool {
	for _, role := range s.RBAC.Roles {
		if role.Kind == KindRole && role.Name == name && slices.Contains(role.Namespaces, namespace) {
			return true
		}
	}
	for _, e := range s.RBAC.ExistingRoles {
		if e.Namespace == namespace && e.Name == name {
			return true
		}
	}
	return false
}

// StackNamespace is a Namespace the stack creates and owns, and the spec
// field that asks for it.
type StackNamespace struct {
	Name        string
	PodSecurity PodSecurityLevel
	// Field asks for the namespace (createNamespace, or the namespace field).
	Field *field.Path
}

// StackNamespaces lists every Namespace the spec has authstack create, in
// spec order, one entry per asking field: dex's, the users', and those of
// the apps and teams with createNamespace. Authstack's own namespaces
// enforce restricted, which its pods meet.
func (s *Spec) StackNamespaces() []StackNamespace {
	var out []StackNamespace
	spec := field.NewPath("spec")
	if d := s.Issuer.Dex; d != nil {
		out = append(out, StackNamespace{d.Namespace, PodSecurityRestricted, spec.Child("issuer", "dex", "namespace")})
	}
	for i, u := range s.RBAC.UserNamespaces {
		out = append(out, StackNamespace{u.Namespace, PodSecurityRestricted, spec.Child("rbac", "userNamespaces").Index(i).Child("namespace")})
	}
	for i, a := range s.Apps {
		if a.CreateNamespace {
			out = append(out, StackNamespace{a.Namespace, a.PodSecurity, spec.Child("apps").Index(i).Child("podSecurity")})
		}
	}
	if s.SharedSignin() && s.Auth.CreateNamespace {
		out = append(out, StackNamespace{s.Auth.Namespace, s.Auth.PodSecurity, spec.Child("auth", "podSecurity")})
	}
	if p := s.Proxy; p != nil && s.ProxyMode() {
		out = append(out, StackNamespace{p.Namespace, PodSecurityRestricted, spec.Child("proxy", "namespace")})
	}
	for i, t := range s.RBAC.Teams {
		if t.CreateNamespace {
			out = append(out, StackNamespace{t.Namespace, t.PodSecurity, spec.Child("rbac", "teams").Index(i).Child("podSecurity")})
		}
	}
	return out
}

// DefaultKindServer is the API server URL of a kind cluster unless the spec
// names another: kind binds its API server to a random port of 127.0.0.1
// unless networking.apiServerPort is set
// (kind.sigs.k8s.io/docs/user/configuration/#api-server), so the rendered
// kind config pins the port the kubeconfig names.
const DefaultKindServer = "https://127.0.0.1:6443"

// KindAPIServer is the address and port the kind config binds the API
// server to, from the server URL: kind's apiServerAddress is an IP address
// of this machine, not a name.
func (c *Cluster) KindAPIServer() (string, int32, error) {
	u, err := url.Parse(c.Server)
	if err != nil {
		return "", 0, err
	}
	host, port := u.Hostname(), u.Port()
	if net.ParseIP(host) == nil || port == "" || u.Scheme != "https" || (u.Path != "" && u.Path != "/") {
		return "", 0, fmt.Errorf("kind binds the API server to an IP address and port of this machine: use https://IP:PORT, such as %s", DefaultKindServer)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("port %q is not a port number", port)
	}
	return host, int32(n), nil
}
