package doctor

import (
	"time"

	jose "github.com/go-jose/go-jose/v4"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	"github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// Model is every piece of evidence, normalized: what the API server
// accepts, what dex issues, what the proxies and the kubeconfig ask for,
// what RBAC binds, and the token.
type Model struct {
	// Now is the time expiry is evaluated at.
	Now time.Time

	// hostGuards is guardsByHost, kept while Diagnose runs.
	hostGuards map[string]hostGuard

	APIServers []*APIServer
	Dex        *Dex
	Proxies    []*Proxy
	Ingresses  []*Ingress
	// EdgeAuths are the auth settings of edges other than ingress-nginx.
	EdgeAuths   []*EdgeAuth
	RBAC        *RBAC
	Kubeconfigs []*KubeUser
	Kubespray   *Kubespray
	Kubeadm     *Kubeadm
	Token       *Token
	JWKS        *JWKS
	// IssuerCAs are the places that hold a CA bundle for the issuer
	// (proxy provider_ca_files, kubelogin --certificate-authority...): a
	// sign that the issuer's certificate is private.
	IssuerCAs []string
	Live      *Live
	// APIProxy is authstack-apiproxy, in apiServer.mode proxy.
	APIProxy *APIProxy
	// NotDex are issuers known not to be dex (a spec's issuer.external):
	// they ignore dex's cross-client scope audience:server:client_id:.
	NotDex []string
	// Invalid are the artifacts that could not be parsed, as findings.
	Invalid []Finding
	// rendered holds what authstack renders for the spec, to detect drift.
	rendered map[string][]byte
}

// APIServer is one view of the API server's token settings, from one file.
type APIServer struct {
	Source string
	// Mode is "flags" or "authentication-config".
	Mode string
	// Both is set when --oidc-* flags and an AuthenticationConfiguration are
	// configured together; the evidence says where.
	Both []string
	// Validated is set when an AuthenticationConfiguration was read and
	// passed through the API server's validation; Invalid is its verdict.
	Validated bool
	Invalid   error
	JWT       []*JWTAuth
}

// JWTAuth is one issuer the API server trusts, as the API server reads it.
type JWTAuth struct {
	// Source prefixes evidence field paths, for example "auth.yaml: jwt[0]".
	Source      string
	Issuer      string
	IssuerField string
	Audiences   []string
	AudField    string
	HasCA       bool
	CAField     string
	// CAPEM is the inline CA bundle, or the CA file's content when readable here.
	CAPEM string
	// CAFile is --oidc-ca-file, a path on the control-plane nodes.
	CAFile string
	// Username: a claim and the effective prefix, or a CEL expression.
	UsernameClaim string
	UsernameExpr  string
	UsernamePref  string
	UserField     string
	UserPrefField string
	GroupsClaim   string
	GroupsExpr    string
	GroupsPref    string
	GroupsField   string
	// GroupsPrefField and UserPrefField name where the prefixes are set.
	GroupsPrefField string
	// UserRules are the CEL expressions of userValidationRules, which can
	// refuse users such as those named system:*.
	UserRules []string
	// RequiredClaims are --oidc-required-claim, or claimValidationRules of
	// the claim/requiredValue form: tokens without them are refused.
	RequiredClaims map[string]string
	// ClaimRules are the CEL claimValidationRules.
	ClaimRules []ClaimRule
	// SigningAlgs the API server accepts for this issuer.
	SigningAlgs []string
	AlgsField   string
	Flags       bool
}

// ClaimRule is a CEL claim validation rule of an AuthenticationConfiguration.
type ClaimRule struct {
	Expression string
	Message    string
}

// Dex is dex's configuration.
type Dex struct {
	Source          string
	Issuer          string
	StorageType     string
	Replicas        int
	ReplicasSource  string
	IDTokenLifetime time.Duration
	Clients         []*DexClient
	// Passwords are the staticPasswords: users whose claims are known.
	Passwords []DexPassword
	// Connectors are dex's upstream identity sources, their config as
	// written (values such as $LDAP_BIND_PW are left unexpanded).
	Connectors []*DexConnector
	// PasswordDB is enablePasswordDB: the staticPasswords can log in.
	PasswordDB bool
	// Keys are the top-level keys of the file, to tell what it sets.
	Keys map[string]bool
	// Namespace of the Secret or ConfigMap the config came from, when it did.
	Namespace string
	// WebHTTPS is web.https: dex serves TLS itself.
	WebHTTPS string
}

// DexConnector is one entry of dex's connectors (cmd/dex/config.go
// Connector: type, id, name, config).
type DexConnector struct {
	Index  int
	Type   string
	ID     string
	Name   string
	Config map[string]any
}

// DexPassword is one of dex's staticPasswords, as the claims dex issues
// for it (server/connectors/password.go Login).
type DexPassword struct {
	Index  int
	Claims map[string]any
	// Username and UserID as written; Hash is the bcrypt hash.
	Username string
	UserID   string
	Hash     string
}

// DexClient is one of dex's staticClients.
type DexClient struct {
	Index        int
	ID           string
	Public       bool
	Secret       string
	SecretKnown  bool
	SecretEnv    string
	RedirectURIs []string
	TrustedPeers []string
}

// Proxy is one oauth2-proxy's configuration.
type Proxy struct {
	Source        string
	App           string
	Keys          map[string]bool
	Issuer        string
	ClientID      string
	ClientSecret  string
	SecretKnown   bool
	RedirectURL   string
	Scopes        []string
	GroupsClaim   string
	AllowedGroups []string
	CookieSecret  string
	CookieKnown   bool
	CookieRefresh time.Duration
	CookieExpire  time.Duration
	Whitelist     []string
	SetAuthz      bool
	// Cookie attributes as oauth2-proxy sets them (defaults: secure and
	// httponly true, samesite empty).
	CookieSecure   bool
	CookieHTTPOnly bool
	CookieSameSite string
	// SkipJWTBearer is skip_jwt_bearer_tokens; ExtraJWTIssuers its
	// extra_jwt_issuers "issuer=audience" pairs.
	SkipJWTBearer   bool
	ExtraJWTIssuers []string
	ExtraAuds       []string
	ProviderCAFile  []string
	// EmailClaim is oidc_email_claim, oauth2-proxy's default "email"
	// when not given.
	EmailClaim string
	// Config is every option as oauth2-proxy reads it, defaults included,
	// with where each was given.
	Config *oauth2proxy.Config
	// EmailDomains is email_domains; Upstreams is upstreams.
	EmailDomains []string
	Upstreams    []string
	// Namespace of the Deployment the config came from, when it did.
	Namespace string
}

// Ingress is an Ingress object's hosts and annotations.
type Ingress struct {
	Source      string
	Namespace   string
	Name        string
	Hosts       []string
	Annotations map[string]string
	// ClassName is spec.ingressClassName.
	ClassName string
	// Paths are the rules' backends; TLSSecrets maps a host to its secretName.
	Paths      []IngressPath
	TLSSecrets map[string]string
}

// Auth reads the Ingress's auth-related ingress-nginx annotations through
// the one model render prints them with; the error names each value
// ingress-nginx refuses (AS-22). It parses Annotations on every call, so
// an edited Annotations map is always what the checks see.
func (in *Ingress) Auth() (*ingressnginx.Auth, error) { return ingressnginx.Parse(in.Annotations) }

// nginx is Auth without the error: the values as written, for the checks
// that judge their meaning; AS-22 reports the refused ones.
func (in *Ingress) nginx() *ingressnginx.Auth {
	a, _ := in.Auth()
	return a
}

// IngressPath is one path of an Ingress rule and the Service behind it.
type IngressPath struct {
	Host     string
	Path     string
	Service  string
	Port     int32
	PortName string
}

// RBAC holds the bindings and the roles given with them.
type RBAC struct {
	Source   string
	Bindings []Binding
	Roles    []Role
}

// Role is a Role or ClusterRole.
type Role struct {
	Source    string
	Kind      string
	Namespace string
	Name      string
	Rules     []rbacv1.PolicyRule
}

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Source    string
	Kind      string
	Namespace string
	Name      string
	RoleRef   rbacv1.RoleRef
	Subjects  []rbacv1.Subject
}

// KubeUser is a kubeconfig user whose credentials come from an exec plugin.
type KubeUser struct {
	Source      string
	Name        string
	APIVersion  string
	Command     string
	OIDCLogin   bool
	IssuerURL   string
	ClientID    string
	Secret      string
	SecretKnown bool
	ExtraScopes []string
	HasCA       bool
}

// Kubespray is the inventory variables.
type Kubespray struct {
	Source string
	Vars   map[string]any
}

// Kubeadm is a kubeadm ClusterConfiguration.
type Kubeadm struct {
	Source     string
	APIVersion string
	// ArgsShape is "map" or "list" as written.
	ArgsShape string
	Args      map[string]string
	// KubernetesVersion is the ClusterConfiguration's kubernetesVersion,
	// as written (v1.33.4, or a label such as stable-1).
	KubernetesVersion string
}

// JWKS is a key set to verify the token with.
type JWKS struct {
	Source string
	Keys   jose.JSONWebKeySet
}

// Live is what the running cluster showed.
type Live struct {
	// Server is the API server URL of the inspected cluster.
	Server string
	// Findings are produced while collecting, since they come from calls.
	Findings []Finding
	// Passed are the codes of live checks that observed what they verify;
	// a live check with no finding and not passed reports skipped.
	Passed map[string]bool
}
