package v1alpha1

import rbacv1 "k8s.io/api/rbac/v1"

// Group and version of the spec.
const (
	Group      = "authstack.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "AuthStack"
)

// AuthStack is the whole single sign-on stack of one cluster.
type AuthStack struct {
	// Must be authstack.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Must be AuthStack.
	Kind     string     `json:"kind"`
	Metadata ObjectMeta `json:"metadata,omitempty"`
	Spec     Spec       `json:"spec"`
}

// ObjectMeta names a spec; the name is used in labels and generated names.
type ObjectMeta struct {
	// Name of the stack (default: spec.cluster.name), used in the app.kubernetes.io/instance label.
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
	// NetworkPolicy says which pods may reach dex, the oauth2-proxies and the apps.
	NetworkPolicy NetworkPolicy `json:"networkPolicy,omitempty"`
	// Edge is what serves dex and the apps and enforces the login (default ingress-nginx).
	Edge Edge `json:"edge,omitempty"`
	// TLS says where every host's certificate comes from: cert-manager, or Secrets the user provides.
	TLS TLS `json:"tls,omitempty"`
	// Auth chooses one oauth2-proxy per app (default) or one shared sign-in host.
	Auth Auth `json:"auth,omitempty"`
	// Proxy is the impersonating API proxy of apiServer.mode proxy (managed.go).
	Proxy *Proxy `json:"proxy,omitempty"`
	// Clusters are several clusters behind one proxy (mode proxy), each served under https://<proxy.host>/<name>/.
	Clusters []ManagedCluster `json:"clusters,omitempty"`
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
	KubernetesVersion string `json:"kubernetesVersion"`
	// Installer decides which API server file authstack renders and patches.
	Installer Installer `json:"installer"`
	// Server is the API server URL users reach, for the kubeconfig (required for the kubeconfig;
	// default for installer kind https://127.0.0.1:6443, an address of this machine that the rendered
	// kind config binds the API server to).
	Server string `json:"server,omitempty"`
	// CertificateAuthority is a local path to the cluster CA bundle, embedded in the kubeconfig.
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	// Provider of a managed control plane: eks, gke, aks or other (installer managed; hints only).
	Provider Provider `json:"provider,omitempty"`
}

// Issuer is either dex deployed by authstack or an existing OIDC issuer.
type Issuer struct {
	Dex      *Dex            `json:"dex,omitempty"`
	External *ExternalIssuer `json:"external,omitempty"`
}

// Dex is the dex OIDC provider that authstack deploys.
type Dex struct {
	// Host is the public DNS name of dex; the issuer is https://<host><path>.
	Host string `json:"host"`
	// Path of the issuer URL, for example /dex (no trailing slash).
	Path string `json:"path,omitempty"`
	// Namespace dex runs in (default dex), created with the restricted Pod Security Standard.
	Namespace string `json:"namespace,omitempty"`
	// Replicas of dex (default 1); more than one needs kubernetes storage.
	Replicas *int32 `json:"replicas,omitempty"`
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
	// SecretName of a kubernetes.io/tls Secret in dex's namespace: one the user provides, or
	// the one cert-manager writes (default dex-tls with a certManager here or in spec.tls).
	// Without either, dex's host has no certificate and validation refuses it unless spec.tls.insecureHTTP.
	SecretName  string       `json:"secretName,omitempty"`
	CertManager *CertManager `json:"certManager,omitempty"`
}

// CertManager names the cert-manager issuer that signs a host's certificate.
type CertManager struct {
	// Issuer is the name of the cert-manager issuer.
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
	// Type is kubernetes (default: custom resources, survives restarts) or memory (single replica tests only).
	Type StorageType `json:"type,omitempty"`
}

// Connector is one upstream identity source of dex. Exactly one of the
// connector blocks is set.
type Connector struct {
	// ID is dex's connector id (default: the connector type).
	ID string `json:"id,omitempty"`
	// Name shown on dex's login page.
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
	// Host is host:port of the LDAP server (636 for LDAPS).
	Host string `json:"host"`
	// InsecureNoSSL talks plain LDAP (test setups only).
	InsecureNoSSL bool `json:"insecureNoSSL,omitempty"`
	// InsecureSkipVerify does not check the server certificate (never in production).
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
	// StartTLS upgrades a plain connection to TLS.
	StartTLS bool `json:"startTLS,omitempty"`
	// RootCAFile is a local path to the CA of the LDAP server.
	RootCAFile string `json:"rootCAFile,omitempty"`
	// BindDN of the service account dex searches with.
	BindDN string `json:"bindDN,omitempty"`
	// BindPassword of BindDN, from an environment variable or a file.
	BindPassword *SecretRef `json:"bindPassword,omitempty"`
	// UsernamePrompt labels the username field of the login form.
	UsernamePrompt string          `json:"usernamePrompt,omitempty"`
	UserSearch     LDAPUserSearch  `json:"userSearch"`
	GroupSearch    LDAPGroupSearch `json:"groupSearch,omitempty"`
}

// LDAPUserSearch finds the user entry from what was typed at the login form.
type LDAPUserSearch struct {
	// BaseDN to search users under.
	BaseDN string `json:"baseDN"`
	// Filter added to the search, such as (objectClass=person).
	Filter string `json:"filter,omitempty"`
	// Username is the attribute matched against what the user types (uid, mail).
	Username string `json:"username"`
	// IDAttr is the stable user id attribute (default DN).
	IDAttr string `json:"idAttr,omitempty"`
	// EmailAttr holds the email (default mail).
	EmailAttr string `json:"emailAttr,omitempty"`
	// NameAttr holds the display name (default cn).
	NameAttr string `json:"nameAttr,omitempty"`
	// PreferredUsernameAttr fills preferred_username, the user name headers-mode apps receive
	// by default (no default in dex: set it, for example to the username attribute).
	PreferredUsernameAttr string `json:"preferredUsernameAttr,omitempty"`
}

// LDAPGroupSearch finds the groups of a user.
type LDAPGroupSearch struct {
	// BaseDN to search groups under.
	BaseDN string `json:"baseDN,omitempty"`
	// Filter added to the search, such as (objectClass=groupOfNames).
	Filter       string        `json:"filter,omitempty"`
	UserMatchers []UserMatcher `json:"userMatchers,omitempty"`
	// NameAttr is the group name that goes into the groups claim (default cn).
	NameAttr string `json:"nameAttr,omitempty"`
}

// UserMatcher relates a user attribute to a group attribute.
type UserMatcher struct {
	// UserAttr of the user entry, such as DN or uid.
	UserAttr string `json:"userAttr"`
	// GroupAttr of the group entry naming members, such as member or memberUid.
	GroupAttr string `json:"groupAttr"`
}

// GitHubConnector mirrors dex's GitHub connector.
type GitHubConnector struct {
	// ClientID of the GitHub OAuth app.
	ClientID     string      `json:"clientID"`
	ClientSecret *SecretRef  `json:"clientSecret"`
	Orgs         []GitHubOrg `json:"orgs,omitempty"`
	// LoadAllGroups puts every org and team of the user into groups.
	LoadAllGroups bool `json:"loadAllGroups,omitempty"`
	// TeamNameField is name, slug or both.
	TeamNameField string `json:"teamNameField,omitempty"`
	// UseLoginAsID uses the GitHub login instead of the numeric id.
	UseLoginAsID bool `json:"useLoginAsID,omitempty"`
}

// GitHubOrg limits logins to an organization and, optionally, some of its teams.
type GitHubOrg struct {
	// Name of the organization.
	Name string `json:"name"`
	// Teams allowed to log in (all members when empty).
	Teams []string `json:"teams,omitempty"`
}

// OIDCConnector mirrors dex's generic OIDC connector (Keycloak, Entra ID, Google...).
type OIDCConnector struct {
	// Issuer URL of the upstream provider.
	Issuer string `json:"issuer"`
	// ClientID of dex at the upstream provider.
	ClientID     string     `json:"clientID"`
	ClientSecret *SecretRef `json:"clientSecret"`
	// Scopes requested upstream (default openid, profile, email).
	Scopes []string `json:"scopes,omitempty"`
	// InsecureSkipEmailVerified treats emails as verified when the upstream token does not say.
	// Refused when an email names users (usernameClaim email) or admits them (allowedEmailDomains).
	InsecureSkipEmailVerified bool `json:"insecureSkipEmailVerified,omitempty"`
	// GroupsClaim, when set, makes dex pass the upstream groups through.
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// GetUserInfo queries the userinfo endpoint for claims.
	GetUserInfo bool `json:"getUserInfo,omitempty"`
	// UserNameKey is the upstream claim used as the name.
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
	// Email of the user (the username claim by default).
	Email string `json:"email"`
	// Username shown by dex.
	Username string `json:"username"`
	// UserID is the subject (default the username).
	UserID string `json:"userID,omitempty"`
	// Hash is the bcrypt hash of the password.
	Hash string `json:"hash"`
	// Groups of the user.
	Groups []string `json:"groups,omitempty"`
}

// ExternalIssuer is an OIDC issuer authstack does not deploy.
type ExternalIssuer struct {
	// URL of the issuer, exactly as its discovery document spells it.
	URL string `json:"url"`
	// CAFile is a local path to the CA bundle of the issuer, when private.
	CAFile string `json:"caFile,omitempty"`
	// AppClientSecret is the secret of the client that the oauth2-proxies use
	// (the issuer must have a confidential client named by apps[].clientID).
	AppClientSecret *SecretRef `json:"appClientSecret,omitempty"`
	// Scopes the oauth2-proxies request (default openid, profile, email, offline_access; must
	// include openid). Dex's groups and audience:server:client_id: scopes are not requested from
	// another issuer, which may refuse a scope it does not know (Keycloak: invalid_scope): have
	// the issuer put the groups claim in the id token (a Keycloak group membership mapper, Entra
	// ID groupMembershipClaims), or list the scope that adds it here and in kubectl.extraScopes.
	Scopes []string `json:"scopes,omitempty"`
}

// APIServerMode is how the API server receives its OIDC settings.
type APIServerMode string

const (
	ModeFlags      APIServerMode = "flags"
	ModeAuthConfig APIServerMode = "authentication-config"
)

// APIServer holds the settings the kube-apiserver uses to accept tokens.
type APIServer struct {
	// Mode defaults to proxy for installer managed (authstack-apiproxy in front of an API server left
	// as it is), otherwise to authentication-config from Kubernetes 1.30 on, flags before.
	Mode APIServerMode `json:"mode,omitempty"`
	// UsernameClaim is the token claim that becomes the Kubernetes username (default email; the API server then requires email_verified).
	UsernameClaim string `json:"usernameClaim,omitempty"`
	// UsernamePrefix is put before every username (default "oidc:"); RBAC subjects carry it too.
	// It must end with ":" and cannot be or start "system:" (a prefix "sys" would turn a token name "tem:masters" into system:masters).
	UsernamePrefix *string `json:"usernamePrefix,omitempty"`
	// GroupsClaim is the token claim holding the groups (default groups).
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// GroupsPrefix is put before every group (default "oidc:"), with the same rules as usernamePrefix.
	GroupsPrefix *string `json:"groupsPrefix,omitempty"`
	// Audiences accepted (default: the kubectl client id and, in mode authentication-config with
	// an external issuer, the client id of every app with identity token, whose forwarded id
	// token an issuer other than dex issues for the proxy's own client). Must include them all.
	Audiences []string `json:"audiences,omitempty"`
	// RequiredClaims must be present in the token with exactly these values. Mode flags
	// enforces one, and kubespray none (it has no variable for it): use authentication-config.
	RequiredClaims map[string]string `json:"requiredClaims,omitempty"`
	// ClaimValidationRules are CEL rules (authentication-config mode only).
	ClaimValidationRules []CELRule `json:"claimValidationRules,omitempty"`
	// AuthenticationConfigPath is where the file lives on control-plane nodes.
	AuthenticationConfigPath string `json:"authenticationConfigPath,omitempty"`
	// IssuerCAPath is where the issuer CA file lives on control-plane nodes.
	IssuerCAPath string `json:"issuerCAPath,omitempty"`
	// AllowUnprefixed accepts an empty username or groups prefix. Without a
	// prefix a token can claim names such as system:masters members; in
	// authentication-config mode authstack then adds user validation rules
	// that refuse system: names, in flags mode nothing can.
	AllowUnprefixed bool `json:"allowUnprefixed,omitempty"`
	// SigningAlgs are the JOSE algorithms accepted (--oidc-signing-algs; mode flags only: with an
	// AuthenticationConfiguration, in the API server and in the proxy alike, every asymmetric
	// algorithm is accepted and no field narrows it).
	SigningAlgs []string `json:"signingAlgs,omitempty"`
}

// CELRule is a claim validation rule.
type CELRule struct {
	// Expression is a CEL expression over claims that must be true.
	Expression string `json:"expression"`
	// Message the API server logs when the rule fails.
	Message string `json:"message,omitempty"`
}

// Kubectl is the OIDC client kubectl users log in with (through kubelogin).
type Kubectl struct {
	// ClientID of the kubectl client at the issuer (default kubernetes); also the API server audience.
	ClientID string `json:"clientID,omitempty"`
	// Public clients use PKCE and have no secret (default true).
	Public *bool `json:"public,omitempty"`
	// ExtraScopes kubelogin requests besides openid (default email, profile, groups, offline_access).
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
	// Name of the app; names the oauth2-proxy objects (oauth2-proxy-<name>).
	Name string `json:"name"`
	// Host the app is served on (DNS name, optionally :port); the callback is https://<host>/oauth2/callback.
	Host string `json:"host"`
	// Namespace of the app Service; oauth2-proxy and the Ingresses go there too.
	Namespace string   `json:"namespace"`
	Upstream  Upstream `json:"upstream"`
	// Identity is how the app learns who the user is: token, headers, or oidc (the app logs
	// users in itself against the issuer, without oauth2-proxy; needs kind headlamp).
	Identity IdentityMode `json:"identity"`
	// ClientID of the app's OIDC client (default oauth2-proxy-<name>); with spec.auth.host the
	// shared proxy's client (spec.auth.clientID) is used instead.
	ClientID string `json:"clientID,omitempty"`
	// ClientSecret is this app's own client secret at an external issuer, a key of a Secret in
	// the app's namespace (default: issuer.external.appClientSecret). Dex's are generated.
	ClientSecret *SecretKeyRef `json:"clientSecret,omitempty"`
	// AllowedEmailDomains may log in (default "*": anyone the issuer accepts).
	AllowedEmailDomains []string `json:"allowedEmailDomains,omitempty"`
	// AllowedGroups, when set, limits the app to members of these groups (names as in the token, without prefix).
	AllowedGroups []string `json:"allowedGroups,omitempty"`
	// IngressClassName of the app Ingresses (default nginx, written into the Ingress). Only
	// ingress-nginx's class nginx is accepted: other controllers ignore the auth annotations.
	IngressClassName string `json:"ingressClassName,omitempty"`
	// TLSSecretName is the kubernetes.io/tls Secret of the app's host in its namespace: one the
	// user provides, or the one cert-manager writes with spec.tls.certManager (default then
	// <name>-tls). Without either, validation refuses the app unless spec.tls.insecureHTTP.
	TLSSecretName     string `json:"tlsSecretName,omitempty"`
	AppSoftware       `json:",inline"`
	AppNetworkPolicy  `json:",inline"`
	NamespaceCreation `json:",inline"`

	AppIdentityHeaders `json:",inline"`
}

// PodSecurityLevel is a Pod Security Standard level, as the Pod Security
// admission labels name it.
type PodSecurityLevel string

const (
	PodSecurityRestricted PodSecurityLevel = "restricted"
	PodSecurityBaseline   PodSecurityLevel = "baseline"
	PodSecurityPrivileged PodSecurityLevel = "privileged"
)

// NamespaceCreation lets authstack create the namespace of an app or team.
type NamespaceCreation struct {
	// CreateNamespace renders the Namespace as part of the stack (default false: the namespace
	// exists already). apply creates it only when it does not exist or is the stack's own; a
	// namespace someone else made is left as it is, and --prune deletes it only with --prune-namespaces.
	CreateNamespace bool `json:"createNamespace,omitempty"`
	// PodSecurity is the Pod Security Standard the created namespace enforces: restricted
	// (default), baseline or privileged (both warned about). Only with createNamespace.
	PodSecurity PodSecurityLevel `json:"podSecurity,omitempty"`
}

// Upstream is the Service of the app.
type Upstream struct {
	// Service name of the app in its namespace.
	Service string `json:"service"`
	// Port of the Service.
	Port int32 `json:"port"`
	// Protocol is HTTP (default) or HTTPS (Kubernetes Dashboard's own port).
	Protocol string `json:"protocol,omitempty"`
}

// RBAC grants access to the people who log in. Every role a binding or a
// user names must exist: built in (cluster-admin, admin, edit, view), one of
// authstack's own that the spec renders (readOnly, userNamespaces, teams),
// defined in roles, or listed in existingRoles.
type RBAC struct {
	// Roles are Roles and ClusterRoles authstack creates, with their rules.
	Roles []Role `json:"roles,omitempty"`
	// ExistingRoles are roles that something else creates in the cluster (a
	// Helm chart, an operator), which bindings and users may name.
	ExistingRoles []ExistingRole `json:"existingRoles,omitempty"`
	Bindings      []Binding      `json:"bindings,omitempty"`
	Users         []UserAccess   `json:"users,omitempty"`
	// ReadOnly subjects read the whole cluster (built-in resources, and custom resources open to the
	// view role) except Secrets, without exec, attach, port-forward, proxy or token requests.
	ReadOnly       *Subjects       `json:"readOnly,omitempty"`
	UserNamespaces []UserNamespace `json:"userNamespaces,omitempty"`
	Teams          []Team          `json:"teams,omitempty"`
	// TeamTemplates replace or extend the rules of the team roles, or define new ones (managed.go).
	TeamTemplates []TeamTemplate `json:"teamTemplates,omitempty"`
	// TeamGroupPattern names a team's group in a namespace (default <cluster>:<role>:<namespace>).
	TeamGroupPattern string `json:"teamGroupPattern,omitempty"`
	// ClusterTeamRoles are team roles granted in every namespace to the group
	// clusterTeamGroupPattern names (<cluster>:<role> by default).
	ClusterTeamRoles []TeamRole `json:"clusterTeamRoles,omitempty"`
	// ClusterTeamGroupPattern names the group of a cluster-wide team role (default <cluster>:<role>).
	ClusterTeamGroupPattern string `json:"clusterTeamGroupPattern,omitempty"`
}

// Subjects are users and groups as the token names them (without prefix).
type Subjects struct {
	// Users as the token names them (without prefix).
	Users []string `json:"users,omitempty"`
	// Groups as the token names them (without prefix).
	Groups []string `json:"groups,omitempty"`
}

// RoleKind is the kind of a role the spec defines.
type RoleKind string

const (
	KindClusterRole RoleKind = "ClusterRole"
	KindRole        RoleKind = "Role"
)

// Role is a Role or ClusterRole that authstack creates. Like the team roles,
// a ClusterRole is defined once and bound in namespaces by bindings with a
// namespace; a Role exists in each of its namespaces.
type Role struct {
	// Name of the object, as bindings name it (not a built-in name, nor one starting with system: or authstack:).
	Name string `json:"name"`
	// Kind is ClusterRole (default) or Role.
	Kind RoleKind `json:"kind,omitempty"`
	// Namespaces a Role is created in, one Role each (required for a Role, forbidden for a ClusterRole).
	Namespaces []string `json:"namespaces,omitempty"`
	// Rules are rbac.authorization.k8s.io/v1 PolicyRules (apiGroups, resources, resourceNames,
	// verbs, nonResourceURLs). Rules that grant escalate, bind or impersonate (also through a
	// "*" verb), or reach Secrets through a wildcard, are refused unless allowEscalation is set.
	Rules []rbacv1.PolicyRule `json:"rules"`
	// AllowEscalation accepts rules that let their subjects grant themselves more
	// (escalate, bind, impersonate) or read every Secret through a wildcard; validate and
	// render then print a warning. See docs/security.md.
	AllowEscalation bool `json:"allowEscalation,omitempty"`
}

// ExistingRole names a role that exists in the cluster without authstack.
type ExistingRole struct {
	// Name of the role.
	Name string `json:"name"`
	// Namespace of a Role; empty for a ClusterRole.
	Namespace string `json:"namespace,omitempty"`
}

// Binding binds subjects to a role, cluster-wide or in one namespace.
type Binding struct {
	// Name of the binding; the object is named authstack:<name>.
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
	// Name of the user as the token names them.
	Name string `json:"name"`
	// ClusterRoles bound to the user cluster-wide.
	ClusterRoles []string `json:"clusterRoles"`
}

// UserNamespace is a namespace owned by one user, who can also view the cluster.
type UserNamespace struct {
	// User who owns the namespace, as the token names them.
	User string `json:"user"`
	// Namespace (default user-<user as a DNS label>).
	Namespace string `json:"namespace,omitempty"`
	// ClusterView binds the built-in view ClusterRole cluster-wide (default true).
	ClusterView *bool `json:"clusterView,omitempty"`
}

// TeamRole is one of the team templates.
type TeamRole string

// The built-in team templates. Written as conversions so that the schema
// does not make them an enum: rbac.teamTemplates adds team roles of any name.
const (
	TeamDevops                   = TeamRole("devops")
	TeamDeveloper                = TeamRole("developer")
	TeamWatcher                  = TeamRole("watcher")
	TeamDeveloperWithPortForward = TeamRole("developer-with-port-forward")
)

// Team binds the groups <cluster>:<role>:<namespace> to the team roles in a namespace.
type Team struct {
	// Namespace the team roles apply to.
	Namespace string `json:"namespace"`
	// Roles to bind (default all four templates: devops, developer, watcher,
	// developer-with-port-forward), or roles defined in rbac.teamTemplates.
	Roles             []TeamRole `json:"roles,omitempty"`
	NamespaceCreation `json:",inline"`
}

// Images overrides the container images.
type Images struct {
	// Dex image (default the release authstack tests).
	Dex string `json:"dex,omitempty"`
	// OAuth2Proxy image (default the release authstack tests).
	OAuth2Proxy string `json:"oauth2Proxy,omitempty"`
	// PinDigests requires every image to be pinned by digest: an image
	// written as repo:tag@sha256:<digest>, or a default image whose digest
	// authstack knows. Any other image is a render error.
	PinDigests bool `json:"pinDigests,omitempty"`
}

// Network policies. Rendered NetworkPolicies only restrict ingress: dex must
// reach LDAP or an upstream IdP and the API server, and the proxies reach dex
// through its public URL, at addresses authstack cannot know.

// NetworkPolicy names the ingress controller, the only client of dex, the
// oauth2-proxies and the apps.
type NetworkPolicy struct {
	// IngressNamespace is the namespace of the ingress controller, matched by
	// its kubernetes.io/metadata.name label (default ingress-nginx).
	IngressNamespace string `json:"ingressNamespace,omitempty"`
	// IngressCIDRs are allowed in too: when the ingress controller runs on the
	// host network (hostNetwork: true), its connections come from node
	// addresses, which no namespace matches; list the nodes' CIDRs here.
	IngressCIDRs []string `json:"ingressCIDRs,omitempty"`
}

// AppNetworkPolicy keeps other pods from reaching an app without logging in.
type AppNetworkPolicy struct {
	// PodSelector holds the labels of the app's Pods (the selector of
	// upstream.service). A NetworkPolicy on these Pods lets only the ingress
	// controller in. Required unless networkPolicy is false.
	PodSelector map[string]string `json:"podSelector,omitempty"`
	// NetworkPolicy false renders no NetworkPolicy for the app's Pods: any pod
	// in the cluster can then reach the app without logging in (default true).
	// Other in-cluster clients of the app (Grafana querying Prometheus) need a
	// NetworkPolicy of their own that lets them in; policies add up.
	NetworkPolicy *bool `json:"networkPolicy,omitempty"`
}

// Kustomize applies the user's kustomization to the rendered manifests.
type Kustomize struct {
	// Dir holds a kustomization.yaml (relative to the spec); authstack adds
	// the rendered manifests as its first resource.
	Dir string `json:"dir"`
}
