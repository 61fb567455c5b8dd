package v1alpha1

// Group and version of the spec.
const (
	Group      = "authstack.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "AuthStack"
)

// AuthStack is the whole single sign-on stack of one cluster.
type AuthStack struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata,omitempty"`
	Spec       Spec       `json:"spec"`
}

// ObjectMeta names a spec; the name is used in labels and generated names.
type ObjectMeta struct {
	Name string `json:"name,omitempty"`
}

// Spec describes every piece of the stack.
type Spec struct {
	Cluster   Cluster    `json:"cluster"`
	Issuer    Issuer     `json:"issuer"`
	APIServer APIServer  `json:"apiServer,omitempty"`
	Kubectl   Kubectl    `json:"kubectl,omitempty"`
	Apps      []App      `json:"apps,omitempty"`
	RBAC      RBAC       `json:"rbac,omitempty"`
	Images    Images     `json:"images,omitempty"`
	Kustomize *Kustomize `json:"kustomize,omitempty"`
}

// Installer is how the kube-apiserver of the cluster is configured.
type Installer string

const (
	InstallerKubespray  Installer = "kubespray"
	InstallerKubeadm    Installer = "kubeadm"
	InstallerKind       Installer = "kind"
	InstallerAuthConfig Installer = "authentication-config"
)

// Cluster identifies the cluster and how its API server is installed.
type Cluster struct {
	// Name is used in team group names (<cluster>:<role>:<namespace>) and in the kubeconfig.
	Name string `json:"name"`
	// KubernetesVersion decides which API server settings exist (for example
	// AuthenticationConfiguration v1 from 1.34, v1beta1 from 1.30).
	KubernetesVersion string    `json:"kubernetesVersion"`
	Installer         Installer `json:"installer"`
	// Server is the API server URL users reach, for the kubeconfig.
	Server string `json:"server,omitempty"`
	// CertificateAuthority is a local path to the cluster CA bundle, embedded in the kubeconfig.
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
}

// Issuer is either dex deployed by authstack or an existing OIDC issuer.
type Issuer struct {
	Dex      *Dex            `json:"dex,omitempty"`
	External *ExternalIssuer `json:"external,omitempty"`
}

// Dex is the dex OIDC provider that authstack deploys.
type Dex struct {
	// Host is the public DNS name of dex; the issuer is https://<host><path>.
	Host      string `json:"host"`
	Path      string `json:"path,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Replicas  *int32 `json:"replicas,omitempty"`
	// IngressClassName of the Ingress that exposes dex.
	IngressClassName string  `json:"ingressClassName,omitempty"`
	TLS              DexTLS  `json:"tls,omitempty"`
	Storage          Storage `json:"storage,omitempty"`
	// CAFile is a local path to the CA that signed dex's serving certificate,
	// when it is not publicly trusted; every consumer of the issuer gets it.
	CAFile string `json:"caFile,omitempty"`
	// IDTokenLifetime is how long an id token is valid (Go duration, default 1h).
	IDTokenLifetime string `json:"idTokenLifetime,omitempty"`
	// RefreshTokenLifetime bounds a login session (Go duration, default 720h).
	RefreshTokenLifetime string      `json:"refreshTokenLifetime,omitempty"`
	Connectors           []Connector `json:"connectors"`
	// PasswordConnector, the id of a connector, enables the OAuth2 password
	// grant so that kubectl can log in without a browser (CI, tests). Off by default.
	PasswordConnector string `json:"passwordConnector,omitempty"`
}

// DexTLS says where dex's serving certificate comes from.
type DexTLS struct {
	// SecretName of a kubernetes.io/tls Secret in dex's namespace.
	SecretName  string       `json:"secretName,omitempty"`
	CertManager *CertManager `json:"certManager,omitempty"`
}

// CertManager asks cert-manager to issue the certificate through the Ingress.
type CertManager struct {
	Issuer string `json:"issuer"`
	// Kind is ClusterIssuer (default) or Issuer.
	Kind string `json:"kind,omitempty"`
}

// StorageType is where dex keeps keys, sessions and refresh tokens.
type StorageType string

const (
	StorageKubernetes StorageType = "kubernetes"
	StorageMemory     StorageType = "memory"
)

// Storage of dex.
type Storage struct {
	Type StorageType `json:"type,omitempty"`
}

// Connector is one upstream identity source of dex. Exactly one of the
// connector blocks is set.
type Connector struct {
	// ID is dex's connector id (default: the connector type).
	ID     string           `json:"id,omitempty"`
	Name   string           `json:"name,omitempty"`
	LDAP   *LDAPConnector   `json:"ldap,omitempty"`
	GitHub *GitHubConnector `json:"github,omitempty"`
	OIDC   *OIDCConnector   `json:"oidc,omitempty"`
	Static *StaticConnector `json:"static,omitempty"`
}

// SecretRef points at a secret value the user provides at render time; it is
// never written into the spec.
type SecretRef struct {
	// Env is an environment variable of the authstack process holding the value.
	Env string `json:"env,omitempty"`
	// File is a local path (relative to the spec) whose content is the value.
	File string `json:"file,omitempty"`
}

// LDAPConnector mirrors dex's LDAP connector.
type LDAPConnector struct {
	Host               string          `json:"host"`
	InsecureNoSSL      bool            `json:"insecureNoSSL,omitempty"`
	InsecureSkipVerify bool            `json:"insecureSkipVerify,omitempty"`
	StartTLS           bool            `json:"startTLS,omitempty"`
	RootCAFile         string          `json:"rootCAFile,omitempty"`
	BindDN             string          `json:"bindDN,omitempty"`
	BindPassword       *SecretRef      `json:"bindPassword,omitempty"`
	UsernamePrompt     string          `json:"usernamePrompt,omitempty"`
	UserSearch         LDAPUserSearch  `json:"userSearch"`
	GroupSearch        LDAPGroupSearch `json:"groupSearch,omitempty"`
}

// LDAPUserSearch finds the user entry from what was typed at the login form.
type LDAPUserSearch struct {
	BaseDN                string `json:"baseDN"`
	Filter                string `json:"filter,omitempty"`
	Username              string `json:"username"`
	IDAttr                string `json:"idAttr,omitempty"`
	EmailAttr             string `json:"emailAttr,omitempty"`
	NameAttr              string `json:"nameAttr,omitempty"`
	PreferredUsernameAttr string `json:"preferredUsernameAttr,omitempty"`
}

// LDAPGroupSearch finds the groups of a user.
type LDAPGroupSearch struct {
	BaseDN       string        `json:"baseDN,omitempty"`
	Filter       string        `json:"filter,omitempty"`
	UserMatchers []UserMatcher `json:"userMatchers,omitempty"`
	NameAttr     string        `json:"nameAttr,omitempty"`
}

// UserMatcher relates a user attribute to a group attribute.
type UserMatcher struct {
	UserAttr  string `json:"userAttr"`
	GroupAttr string `json:"groupAttr"`
}

// GitHubConnector mirrors dex's GitHub connector.
type GitHubConnector struct {
	ClientID      string      `json:"clientID"`
	ClientSecret  *SecretRef  `json:"clientSecret"`
	Orgs          []GitHubOrg `json:"orgs,omitempty"`
	LoadAllGroups bool        `json:"loadAllGroups,omitempty"`
	TeamNameField string      `json:"teamNameField,omitempty"`
	UseLoginAsID  bool        `json:"useLoginAsID,omitempty"`
}

// GitHubOrg limits logins to an organization and, optionally, some of its teams.
type GitHubOrg struct {
	Name  string   `json:"name"`
	Teams []string `json:"teams,omitempty"`
}

// OIDCConnector mirrors dex's generic OIDC connector (Keycloak, Entra ID, Google...).
type OIDCConnector struct {
	Issuer                    string     `json:"issuer"`
	ClientID                  string     `json:"clientID"`
	ClientSecret              *SecretRef `json:"clientSecret"`
	Scopes                    []string   `json:"scopes,omitempty"`
	InsecureSkipEmailVerified bool       `json:"insecureSkipEmailVerified,omitempty"`
	// GroupsClaim, when set, makes dex pass the upstream groups through.
	GroupsClaim string `json:"groupsClaim,omitempty"`
	GetUserInfo bool   `json:"getUserInfo,omitempty"`
	UserNameKey string `json:"userNameKey,omitempty"`
}

// StaticConnector is dex's built-in password database, for test clusters.
type StaticConnector struct {
	// TestClusterOnly must be true: static passwords live in the dex config.
	TestClusterOnly bool         `json:"testClusterOnly"`
	Users           []StaticUser `json:"users"`
}

// StaticUser is one dex static password entry.
type StaticUser struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	UserID   string `json:"userID,omitempty"`
	// Hash is the bcrypt hash of the password.
	Hash   string   `json:"hash"`
	Groups []string `json:"groups,omitempty"`
}

// ExternalIssuer is an OIDC issuer authstack does not deploy.
type ExternalIssuer struct {
	URL string `json:"url"`
	// CAFile is a local path to the CA bundle of the issuer, when private.
	CAFile string `json:"caFile,omitempty"`
	// AppClientSecret is the secret of the client that the oauth2-proxies use
	// (the issuer must have a confidential client named by apps[].clientID).
	AppClientSecret *SecretRef `json:"appClientSecret,omitempty"`
}

// APIServerMode is how the API server receives its OIDC settings.
type APIServerMode string

const (
	ModeFlags      APIServerMode = "flags"
	ModeAuthConfig APIServerMode = "authentication-config"
)

// APIServer holds the settings the kube-apiserver uses to accept tokens.
type APIServer struct {
	// Mode defaults to authentication-config from Kubernetes 1.30 on, flags before.
	Mode           APIServerMode `json:"mode,omitempty"`
	UsernameClaim  string        `json:"usernameClaim,omitempty"`
	UsernamePrefix *string       `json:"usernamePrefix,omitempty"`
	GroupsClaim    string        `json:"groupsClaim,omitempty"`
	GroupsPrefix   *string       `json:"groupsPrefix,omitempty"`
	// Audiences accepted; the kubectl client id by default.
	Audiences      []string          `json:"audiences,omitempty"`
	RequiredClaims map[string]string `json:"requiredClaims,omitempty"`
	// ClaimValidationRules are CEL rules (authentication-config mode only).
	ClaimValidationRules []CELRule `json:"claimValidationRules,omitempty"`
	// AuthenticationConfigPath is where the file lives on control-plane nodes.
	AuthenticationConfigPath string `json:"authenticationConfigPath,omitempty"`
	// IssuerCAPath is where the issuer CA file lives on control-plane nodes.
	IssuerCAPath string `json:"issuerCAPath,omitempty"`
	// AllowUnprefixed accepts an empty username or groups prefix. Without a
	// prefix a token can claim names such as system:masters members.
	AllowUnprefixed bool `json:"allowUnprefixed,omitempty"`
}

// CELRule is a claim validation rule.
type CELRule struct {
	Expression string `json:"expression"`
	Message    string `json:"message,omitempty"`
}

// Kubectl is the OIDC client kubectl users log in with (through kubelogin).
type Kubectl struct {
	ClientID string `json:"clientID,omitempty"`
	// Public clients use PKCE and have no secret (default true).
	Public      *bool    `json:"public,omitempty"`
	ExtraScopes []string `json:"extraScopes,omitempty"`
}

// IdentityMode is how an app learns who the user is.
type IdentityMode string

const (
	// IdentityToken forwards the id token as Authorization: Bearer (Dashboard, Headlamp).
	IdentityToken IdentityMode = "token"
	// IdentityHeaders sets X-Auth-Request-User/-Email/-Groups (Prometheus, Grafana).
	IdentityHeaders IdentityMode = "headers"
)

// App is a web app protected by oauth2-proxy.
type App struct {
	Name      string       `json:"name"`
	Host      string       `json:"host"`
	Namespace string       `json:"namespace"`
	Upstream  Upstream     `json:"upstream"`
	Identity  IdentityMode `json:"identity"`
	// ClientID of the app's OIDC client (default oauth2-proxy-<name>).
	ClientID            string   `json:"clientID,omitempty"`
	AllowedEmailDomains []string `json:"allowedEmailDomains,omitempty"`
	AllowedGroups       []string `json:"allowedGroups,omitempty"`
	IngressClassName    string   `json:"ingressClassName,omitempty"`
	// TLSSecretName of the app Ingress (default <name>-tls).
	TLSSecretName string `json:"tlsSecretName,omitempty"`
}

// Upstream is the Service of the app.
type Upstream struct {
	Service string `json:"service"`
	Port    int32  `json:"port"`
	// Protocol is HTTP (default) or HTTPS (Kubernetes Dashboard's own port).
	Protocol string `json:"protocol,omitempty"`
}

// RBAC grants access to the people who log in.
type RBAC struct {
	Bindings       []Binding       `json:"bindings,omitempty"`
	Users          []UserAccess    `json:"users,omitempty"`
	ReadOnly       *Subjects       `json:"readOnly,omitempty"`
	UserNamespaces []UserNamespace `json:"userNamespaces,omitempty"`
	Teams          []Team          `json:"teams,omitempty"`
}

// Subjects are users and groups as the token names them (without prefix).
type Subjects struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Binding binds subjects to a role, cluster-wide or in one namespace.
type Binding struct {
	Name string `json:"name"`
	// ClusterRole to bind (built-in like view/edit/admin/cluster-admin, or custom).
	ClusterRole string `json:"clusterRole,omitempty"`
	// Role in Namespace to bind.
	Role string `json:"role,omitempty"`
	// Namespace makes the binding a RoleBinding.
	Namespace string `json:"namespace,omitempty"`
	Subjects  `json:",inline"`
}

// UserAccess gives one user cluster roles; one object per user and role.
type UserAccess struct {
	Name         string   `json:"name"`
	ClusterRoles []string `json:"clusterRoles"`
}

// UserNamespace is a namespace owned by one user, who can also view the cluster.
type UserNamespace struct {
	User      string `json:"user"`
	Namespace string `json:"namespace,omitempty"`
	// ClusterView binds the built-in view ClusterRole cluster-wide (default true).
	ClusterView *bool `json:"clusterView,omitempty"`
}

// TeamRole is one of the team templates.
type TeamRole string

const (
	TeamDevops                   TeamRole = "devops"
	TeamDeveloper                TeamRole = "developer"
	TeamWatcher                  TeamRole = "watcher"
	TeamDeveloperWithPortForward TeamRole = "developer-with-port-forward"
)

// Team binds the groups <cluster>:<role>:<namespace> to the team roles in a namespace.
type Team struct {
	Namespace string     `json:"namespace"`
	Roles     []TeamRole `json:"roles,omitempty"`
}

// Images overrides the container images.
type Images struct {
	Dex         string `json:"dex,omitempty"`
	OAuth2Proxy string `json:"oauth2Proxy,omitempty"`
}

// Kustomize applies the user's kustomization to the rendered manifests.
type Kustomize struct {
	// Dir holds a kustomization.yaml (relative to the spec); authstack adds
	// the rendered manifests as its first resource.
	Dir string `json:"dir"`
}
