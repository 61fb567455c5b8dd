package initspec

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Issuer kinds an answer can choose.
const (
	IssuerDex      = "dex"
	IssuerExternal = "external"
)

// Connector kinds an answer can choose.
const (
	ConnectorLDAP   = "ldap"
	ConnectorGitHub = "github"
	ConnectorOIDC   = "oidc"
	ConnectorStatic = "static"
)

// Connectors lists the connector kinds in the order they are offered.
var Connectors = []string{ConnectorLDAP, ConnectorGitHub, ConnectorOIDC, ConnectorStatic}

// Installers lists the installers in the order they are offered.
var Installers = []v1alpha1.Installer{v1alpha1.InstallerKubespray, v1alpha1.InstallerKubeadm, v1alpha1.InstallerKind, v1alpha1.InstallerAuthConfig}

// Answers are the questions of `authstack init`, answered. Empty means not
// answered. Secrets are never answers: only where to find them (an
// environment variable or a file).
type Answers struct {
	ClusterName       string
	Installer         string
	KubernetesVersion string
	// Server is the API server URL for the kubeconfig (optional).
	Server string
	// CertificateAuthority is a local path to the cluster CA (optional).
	CertificateAuthority string

	// Issuer is IssuerDex or IssuerExternal; empty picks external when
	// IssuerURL is set and dex otherwise.
	Issuer string
	// IssuerHost is dex's public host.
	IssuerHost string
	// IssuerURL is an existing OIDC issuer.
	IssuerURL string
	// IssuerCAFile is a local path to the issuer's CA, when it is private.
	IssuerCAFile string
	// AppClientSecret is where the apps' client secret at an external issuer is.
	AppClientSecret Secret

	Connector string
	LDAP      LDAP
	GitHub    GitHub
	OIDC      OIDC
	Static    Static

	// Apps are in the App flag syntax, see ParseApp.
	Apps []string

	AdminGroup     string
	ReadOnlyGroup  string
	UserNamespaces []string
	TeamNamespaces []string
}

// Secret says where a secret value is: an environment variable or a file.
type Secret struct {
	Env  string
	File string
}

func (s Secret) ref() *v1alpha1.SecretRef {
	if s.Env == "" && s.File == "" {
		return nil
	}
	return &v1alpha1.SecretRef{Env: s.Env, File: s.File}
}

// LDAP answers.
type LDAP struct {
	Host         string
	BindDN       string
	BindPassword Secret
	UserBaseDN   string
	// UsernameAttr is what the login form's username is matched against (default mail).
	UsernameAttr string
	GroupBaseDN  string
	RootCAFile   string
	StartTLS     bool
}

// GitHub answers.
type GitHub struct {
	ClientID     string
	ClientSecret Secret
	Orgs         []string
}

// OIDC answers for an upstream OIDC provider behind dex.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret Secret
}

// Static answers: test users that share one password.
type Static struct {
	Users []string
	// PasswordHash is a bcrypt hash; see HashPassword.
	PasswordHash string
}

// DefaultKubernetesVersion is offered by the wizard.
const DefaultKubernetesVersion = "1.34"

// HashPassword returns the bcrypt hash dex's static connector wants.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Build makes the spec the answers describe, without defaults. App entries
// that do not parse are left out; Check reports them.
func Build(a Answers) *v1alpha1.AuthStack {
	s := &v1alpha1.AuthStack{
		APIVersion: v1alpha1.APIVersion,
		Kind:       v1alpha1.Kind,
		Metadata:   v1alpha1.ObjectMeta{Name: a.ClusterName},
	}
	spec := &s.Spec
	spec.Cluster = v1alpha1.Cluster{
		Name:                 a.ClusterName,
		KubernetesVersion:    a.KubernetesVersion,
		Installer:            v1alpha1.Installer(a.Installer),
		Server:               a.Server,
		CertificateAuthority: a.CertificateAuthority,
	}
	if a.issuer() == IssuerExternal {
		spec.Issuer.External = &v1alpha1.ExternalIssuer{URL: a.IssuerURL, CAFile: a.IssuerCAFile, AppClientSecret: a.AppClientSecret.ref()}
	} else {
		// Every host names its TLS Secret: the user creates it, or switches to spec.tls.certManager.
		d := &v1alpha1.Dex{Host: a.IssuerHost, CAFile: a.IssuerCAFile, Connectors: []v1alpha1.Connector{}, TLS: v1alpha1.DexTLS{SecretName: "dex-tls"}}
		if c, ok := a.connector(); ok {
			d.Connectors = append(d.Connectors, c)
		}
		spec.Issuer.Dex = d
	}
	for _, app := range a.Apps {
		if parsed, err := ParseApp(app); err == nil {
			parsed.TLSSecretName = parsed.Name + "-tls"
			spec.Apps = append(spec.Apps, parsed)
		}
	}
	if a.AdminGroup != "" {
		spec.RBAC.Bindings = append(spec.RBAC.Bindings, v1alpha1.Binding{
			Name: "cluster-admins", ClusterRole: "cluster-admin",
			Subjects: v1alpha1.Subjects{Groups: []string{a.AdminGroup}},
		})
	}
	if a.ReadOnlyGroup != "" {
		spec.RBAC.ReadOnly = &v1alpha1.Subjects{Groups: []string{a.ReadOnlyGroup}}
	}
	for _, u := range a.UserNamespaces {
		spec.RBAC.UserNamespaces = append(spec.RBAC.UserNamespaces, v1alpha1.UserNamespace{User: u})
	}
	for _, ns := range a.TeamNamespaces {
		spec.RBAC.Teams = append(spec.RBAC.Teams, v1alpha1.Team{Namespace: ns})
	}
	return s
}

func (a Answers) issuer() string {
	if a.Issuer != "" {
		return a.Issuer
	}
	if a.IssuerURL != "" && a.IssuerHost == "" {
		return IssuerExternal
	}
	return IssuerDex
}

func (a Answers) connector() (v1alpha1.Connector, bool) {
	switch a.Connector {
	case ConnectorLDAP:
		l := a.LDAP
		username := l.UsernameAttr
		if username == "" {
			username = "mail"
		}
		c := &v1alpha1.LDAPConnector{
			Host:         l.Host,
			StartTLS:     l.StartTLS,
			RootCAFile:   l.RootCAFile,
			BindDN:       l.BindDN,
			BindPassword: l.BindPassword.ref(),
			UserSearch:   v1alpha1.LDAPUserSearch{BaseDN: l.UserBaseDN, Username: username},
		}
		if username == "mail" {
			c.UsernamePrompt = "Email"
		}
		if l.GroupBaseDN != "" {
			// groupOfNames lists members by DN, the common layout of
			// OpenLDAP and Active Directory.
			c.GroupSearch = v1alpha1.LDAPGroupSearch{
				BaseDN:       l.GroupBaseDN,
				UserMatchers: []v1alpha1.UserMatcher{{UserAttr: "DN", GroupAttr: "member"}},
			}
		}
		return v1alpha1.Connector{LDAP: c}, true
	case ConnectorGitHub:
		g := &v1alpha1.GitHubConnector{ClientID: a.GitHub.ClientID, ClientSecret: a.GitHub.ClientSecret.ref()}
		for _, o := range a.GitHub.Orgs {
			g.Orgs = append(g.Orgs, v1alpha1.GitHubOrg{Name: o})
		}
		return v1alpha1.Connector{GitHub: g}, true
	case ConnectorOIDC:
		o := &v1alpha1.OIDCConnector{Issuer: a.OIDC.Issuer, ClientID: a.OIDC.ClientID, ClientSecret: a.OIDC.ClientSecret.ref(), GroupsClaim: "groups"}
		return v1alpha1.Connector{OIDC: o}, true
	case ConnectorStatic:
		st := &v1alpha1.StaticConnector{TestClusterOnly: true, Users: []v1alpha1.StaticUser{}}
		for _, email := range a.Static.Users {
			name, _, _ := strings.Cut(email, "@")
			st.Users = append(st.Users, v1alpha1.StaticUser{Email: email, Username: name, Hash: a.Static.PasswordHash})
		}
		return v1alpha1.Connector{Static: st}, true
	}
	return v1alpha1.Connector{}, false
}
