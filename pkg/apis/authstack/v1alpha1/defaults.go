package v1alpha1

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/authstack/authstack/pkg/images"
)

// Defaults applied to an empty field.
const (
	DefaultDexNamespace       = "dex"
	DefaultIngressClass       = "nginx"
	DefaultIngressNamespace   = "ingress-nginx"
	DefaultIDTokenLifetime    = "1h"
	DefaultRefreshLifetime    = "720h"
	DefaultKubectlClientID    = "kubernetes"
	DefaultUsernameClaim      = "email"
	DefaultGroupsClaim        = "groups"
	DefaultPrefix             = "oidc:"
	DefaultAuthConfigPath     = "/etc/kubernetes/authentication-config.yaml"
	DefaultKubesprayCAPath    = "/etc/kubernetes/ssl/oidc-ca.pem"
	DefaultIssuerCAPath       = "/etc/kubernetes/pki/oidc-ca.crt"
	structuredAuthMinVersion  = "1.30.0"
	structuredAuthV1MinVerion = "1.34.0"
)

// SetDefaults fills every unset field with its default. It is idempotent and
// never overrides what the user wrote.
func SetDefaults(s *AuthStack) {
	spec := &s.Spec
	spec.Edge.setDefaults()
	if s.Metadata.Name == "" {
		s.Metadata.Name = spec.Cluster.Name
	}
	if spec.Cluster.Installer == InstallerKind {
		defaultString(&spec.Cluster.Server, DefaultKindServer)
	}
	if d := spec.Issuer.Dex; d != nil {
		defaultString(&d.Namespace, DefaultDexNamespace)
		defaultString(&d.IngressClassName, spec.Edge.defaultIngressClass())
		defaultString(&d.IDTokenLifetime, DefaultIDTokenLifetime)
		defaultString(&d.RefreshTokenLifetime, DefaultRefreshLifetime)
		if d.Replicas == nil {
			one := int32(1)
			d.Replicas = &one
		}
		if d.Storage.Type == "" {
			d.Storage.Type = StorageKubernetes
		}
		if d.TLS.CertManager != nil {
			defaultString(&d.TLS.CertManager.Kind, "ClusterIssuer")
		}
		for i := range d.Connectors {
			c := &d.Connectors[i]
			defaultString(&c.ID, c.Type())
			defaultString(&c.Name, connectorDisplayName(c.Type()))
			if c.LDAP != nil {
				defaultString(&c.LDAP.UserSearch.IDAttr, "DN")
				defaultString(&c.LDAP.UserSearch.EmailAttr, "mail")
				defaultString(&c.LDAP.UserSearch.NameAttr, "cn")
				defaultString(&c.LDAP.GroupSearch.NameAttr, "cn")
			}
		}
	}
	setManagedDefaults(spec)
	api := &spec.APIServer
	if api.Mode == "" {
		api.Mode = ModeFlags
		if v, err := spec.Cluster.ParsedVersion(); err == nil && v.AtLeast(version.MustParseGeneric(structuredAuthMinVersion)) {
			api.Mode = ModeAuthConfig
		}
	}
	defaultString(&api.UsernameClaim, DefaultUsernameClaim)
	defaultString(&api.GroupsClaim, DefaultGroupsClaim)
	if api.UsernamePrefix == nil {
		p := DefaultPrefix
		api.UsernamePrefix = &p
	}
	if api.GroupsPrefix == nil {
		p := DefaultPrefix
		api.GroupsPrefix = &p
	}
	defaultString(&api.AuthenticationConfigPath, DefaultAuthConfigPath)
	if spec.Cluster.Installer == InstallerKubespray {
		defaultString(&api.IssuerCAPath, DefaultKubesprayCAPath)
	}
	defaultString(&api.IssuerCAPath, DefaultIssuerCAPath)

	defaultString(&spec.Kubectl.ClientID, DefaultKubectlClientID)
	if spec.Kubectl.Public == nil {
		t := true
		spec.Kubectl.Public = &t
	}
	if len(spec.Kubectl.ExtraScopes) == 0 {
		spec.Kubectl.ExtraScopes = []string{"email", "profile", "groups", "offline_access"}
		if spec.Issuer.External != nil {
			// groups is dex's scope; another issuer may refuse it.
			spec.Kubectl.ExtraScopes = []string{"email", "profile", "offline_access"}
		}
	}
	if e := spec.Issuer.External; e != nil && len(e.Scopes) == 0 {
		e.Scopes = []string{"openid", "profile", "email", "offline_access"}
	}
	for i := range spec.Apps {
		a := &spec.Apps[i]
		defaultString(&a.ClientID, a.defaultClientID())
		defaultString(&a.IngressClassName, spec.Edge.defaultIngressClass())
		defaultString(&a.Upstream.Protocol, "HTTP")
		a.setUserHeaderDefaults(spec)
		if a.NetworkPolicy == nil {
			t := true
			a.NetworkPolicy = &t
		}
		if len(a.AllowedEmailDomains) == 0 {
			a.AllowedEmailDomains = []string{"*"}
		}
	}
	setAuthDefaults(spec)
	if len(api.Audiences) == 0 {
		api.Audiences = []string{spec.Kubectl.ClientID}
		// An AuthenticationConfiguration accepts several audiences
		// (audienceMatchPolicy MatchAny), so the tokens that token-mode
		// proxies forward are accepted too; flags take one audience and
		// validation says what to do instead.
		if api.Mode == ModeAuthConfig || api.Mode == ModeProxy {
			for i := range spec.Apps {
				if a := &spec.Apps[i]; a.SendsUserToken() && !slices.Contains(api.Audiences, spec.ForwardedAudience(a)) {
					api.Audiences = append(api.Audiences, spec.ForwardedAudience(a))
				}
			}
		}
	}
	for i := range spec.RBAC.Roles {
		if r := &spec.RBAC.Roles[i]; r.Kind == "" {
			r.Kind = KindClusterRole
		}
	}
	for i := range spec.RBAC.UserNamespaces {
		u := &spec.RBAC.UserNamespaces[i]
		defaultString(&u.Namespace, "user-"+DNSLabel(u.User))
		if u.ClusterView == nil {
			t := true
			u.ClusterView = &t
		}
	}
	for i := range spec.RBAC.Teams {
		t := &spec.RBAC.Teams[i]
		if len(t.Roles) == 0 {
			t.Roles = []TeamRole{TeamDevops, TeamDeveloper, TeamWatcher, TeamDeveloperWithPortForward}
		}
		t.NamespaceCreation.setDefaults()
	}
	for i := range spec.Apps {
		spec.Apps[i].NamespaceCreation.setDefaults()
	}
	setTLSDefaults(spec)
	defaultString(&spec.NetworkPolicy.IngressNamespace, spec.Edge.defaultIngressNamespace())
	defaultString(&spec.Images.Dex, images.Dex)
	defaultString(&spec.Images.OAuth2Proxy, images.OAuth2Proxy)
}

// setDefaults sets the level of a namespace authstack creates; a level
// without createNamespace stays for validation to refuse.
func (n *NamespaceCreation) setDefaults() {
	if n.CreateNamespace && n.PodSecurity == "" {
		n.PodSecurity = PodSecurityRestricted
	}
}

func defaultString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func connectorDisplayName(t string) string {
	switch t {
	case "ldap":
		return "LDAP"
	case "github":
		return "GitHub"
	case "oidc":
		return "Single sign-on"
	case "static":
		return "Email"
	}
	return t
}
