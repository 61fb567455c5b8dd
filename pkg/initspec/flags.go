package initspec

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Flag names, one per question. The wizard uses them as question keys and
// --from-env reads AUTHSTACK_<NAME> (upper case, dashes as underscores).
const (
	FlagClusterName           = "cluster-name"
	FlagInstaller             = "installer"
	FlagKubernetesVersion     = "kubernetes-version"
	FlagServer                = "server"
	FlagCertificateAuthority  = "certificate-authority"
	FlagIssuerHost            = "issuer-host"
	FlagIssuerURL             = "issuer-url"
	FlagIssuerCAFile          = "issuer-ca-file"
	FlagIssuerClientSecretEnv = "issuer-client-secret-env"
	FlagConnector             = "connector"
	FlagLDAPHost              = "ldap-host"
	FlagLDAPStartTLS          = "ldap-start-tls"
	FlagLDAPRootCAFile        = "ldap-root-ca-file"
	FlagLDAPBindDN            = "ldap-bind-dn"
	FlagLDAPBindPasswordEnv   = "ldap-bind-password-env"
	FlagLDAPBindPasswordFile  = "ldap-bind-password-file"
	FlagLDAPUserBaseDN        = "ldap-user-base-dn"
	FlagLDAPUsernameAttr      = "ldap-username-attr"
	FlagLDAPGroupBaseDN       = "ldap-group-base-dn"
	FlagGitHubClientID        = "github-client-id"
	FlagGitHubClientSecretEnv = "github-client-secret-env"
	FlagGitHubOrg             = "github-org"
	FlagOIDCIssuer            = "oidc-issuer"
	FlagOIDCClientID          = "oidc-client-id"
	FlagOIDCClientSecretEnv   = "oidc-client-secret-env"
	FlagStaticUser            = "static-user"
	FlagStaticPasswordHash    = "static-password-hash"
	FlagApp                   = "app"
	FlagAdminGroup            = "admin-group"
	FlagReadOnlyGroup         = "readonly-group"
	FlagUserNamespace         = "user-namespace"
	FlagTeamNamespace         = "team-namespace"
)

// flagNames is the order of questions, used to sort problems.
var flagNames = []string{
	FlagClusterName, FlagInstaller, FlagKubernetesVersion, FlagServer, FlagCertificateAuthority,
	FlagIssuerHost, FlagIssuerURL, FlagIssuerCAFile, FlagIssuerClientSecretEnv, FlagConnector,
	FlagLDAPHost, FlagLDAPStartTLS, FlagLDAPRootCAFile, FlagLDAPBindDN, FlagLDAPBindPasswordEnv, FlagLDAPBindPasswordFile,
	FlagLDAPUserBaseDN, FlagLDAPUsernameAttr, FlagLDAPGroupBaseDN,
	FlagGitHubClientID, FlagGitHubClientSecretEnv, FlagGitHubOrg,
	FlagOIDCIssuer, FlagOIDCClientID, FlagOIDCClientSecretEnv,
	FlagStaticUser, FlagStaticPasswordHash,
	FlagApp, FlagAdminGroup, FlagReadOnlyGroup, FlagUserNamespace, FlagTeamNamespace,
}

// BindFlags adds one flag per question to fs, writing into a.
func BindFlags(fs *pflag.FlagSet, a *Answers) {
	fs.StringVar(&a.ClusterName, FlagClusterName, "", "cluster name, a DNS label (used in kubeconfig and team group names)")
	fs.StringVar(&a.Installer, FlagInstaller, "", "how the API server is installed: kubespray, kubeadm, kind or authentication-config")
	fs.StringVar(&a.KubernetesVersion, FlagKubernetesVersion, "", `Kubernetes version of the cluster, such as "1.34"`)
	fs.StringVar(&a.Server, FlagServer, "", "API server URL for the kubeconfig, such as https://k8s.example.com:6443")
	fs.StringVar(&a.CertificateAuthority, FlagCertificateAuthority, "", "path to the cluster CA (relative to the spec), embedded in the kubeconfig")
	fs.StringVar(&a.IssuerHost, FlagIssuerHost, "", "public host of the dex that authstack deploys, such as dex.example.com")
	fs.StringVar(&a.IssuerURL, FlagIssuerURL, "", "an existing OIDC issuer URL, instead of deploying dex")
	fs.StringVar(&a.IssuerCAFile, FlagIssuerCAFile, "", "path to the issuer's CA (relative to the spec), when its certificate is not publicly trusted")
	fs.StringVar(&a.AppClientSecret.Env, FlagIssuerClientSecretEnv, "", "environment variable with the apps' client secret at the existing issuer")
	fs.StringVar(&a.Connector, FlagConnector, "", "where dex finds users: ldap, github, oidc or static (test clusters)")
	fs.StringVar(&a.LDAP.Host, FlagLDAPHost, "", "LDAP server host:port, such as ldap.example.com:636")
	fs.BoolVar(&a.LDAP.StartTLS, FlagLDAPStartTLS, false, "connect in clear and upgrade with StartTLS (port 389)")
	fs.StringVar(&a.LDAP.RootCAFile, FlagLDAPRootCAFile, "", "path to the CA of the LDAP server (relative to the spec)")
	fs.StringVar(&a.LDAP.BindDN, FlagLDAPBindDN, "", "DN dex binds as to search, such as cn=dex,ou=services,dc=example,dc=com")
	fs.StringVar(&a.LDAP.BindPassword.Env, FlagLDAPBindPasswordEnv, "", "environment variable holding the bind password when you render")
	fs.StringVar(&a.LDAP.BindPassword.File, FlagLDAPBindPasswordFile, "", "file holding the bind password (relative to the spec)")
	fs.StringVar(&a.LDAP.UserBaseDN, FlagLDAPUserBaseDN, "", "where users are, such as ou=people,dc=example,dc=com")
	fs.StringVar(&a.LDAP.UsernameAttr, FlagLDAPUsernameAttr, "", "attribute matched against the login name (default mail)")
	fs.StringVar(&a.LDAP.GroupBaseDN, FlagLDAPGroupBaseDN, "", "where groups (groupOfNames, members by DN) are, such as ou=groups,dc=example,dc=com")
	fs.StringVar(&a.GitHub.ClientID, FlagGitHubClientID, "", "client id of the GitHub OAuth app")
	fs.StringVar(&a.GitHub.ClientSecret.Env, FlagGitHubClientSecretEnv, "", "environment variable holding the GitHub OAuth app's secret")
	fs.StringSliceVar(&a.GitHub.Orgs, FlagGitHubOrg, nil, "GitHub organization allowed to log in (repeatable)")
	fs.StringVar(&a.OIDC.Issuer, FlagOIDCIssuer, "", "upstream OIDC issuer URL (Keycloak, Entra ID, Google...)")
	fs.StringVar(&a.OIDC.ClientID, FlagOIDCClientID, "", "client id at the upstream issuer")
	fs.StringVar(&a.OIDC.ClientSecret.Env, FlagOIDCClientSecretEnv, "", "environment variable holding the client secret at the upstream issuer")
	fs.StringSliceVar(&a.Static.Users, FlagStaticUser, nil, "email of a static test user (repeatable; test clusters only)")
	fs.StringVar(&a.Static.PasswordHash, FlagStaticPasswordHash, "", "bcrypt hash of the static users' password, from htpasswd -bnBC 10 '' PASSWORD")
	fs.StringSliceVar(&a.Apps, FlagApp, nil, "web app to protect (repeatable): "+AppSyntax)
	fs.StringVar(&a.AdminGroup, FlagAdminGroup, "", "group bound to cluster-admin")
	fs.StringVar(&a.ReadOnlyGroup, FlagReadOnlyGroup, "", "group that can read the whole cluster except Secrets, without exec, attach, port-forward or proxy")
	fs.StringSliceVar(&a.UserNamespaces, FlagUserNamespace, nil, "user (email) who gets a namespace of their own (repeatable)")
	fs.StringSliceVar(&a.TeamNamespaces, FlagTeamNamespace, nil, "namespace with team roles <cluster>:<role>:<namespace> (repeatable)")
}

// EnvName is the environment variable --from-env reads for a flag.
func EnvName(flag string) string {
	return "AUTHSTACK_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// FromEnv sets every question flag that is not set on the command line from
// its AUTHSTACK_* variable; list flags take comma-separated values.
func FromEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var errs []string
	for _, name := range flagNames {
		f := fs.Lookup(name)
		if f == nil || f.Changed {
			continue
		}
		v, ok := lookup(EnvName(name))
		if !ok || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", EnvName(name), err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	return nil
}
