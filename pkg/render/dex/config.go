// Package dex renders dex's configuration file from the spec: connectors,
// storage, token lifetimes, and the static clients with every redirect URI
// that any consumer of the issuer needs.
package dex

// Config is the subset of dex's config file that authstack writes. Field
// names follow dex's cmd/dex/config.go.
type Config struct {
	Issuer           string      `json:"issuer"`
	Storage          Storage     `json:"storage"`
	Web              Web         `json:"web"`
	Telemetry        Telemetry   `json:"telemetry"`
	Expiry           Expiry      `json:"expiry"`
	OAuth2           OAuth2      `json:"oauth2"`
	StaticClients    []Client    `json:"staticClients"`
	Connectors       []Connector `json:"connectors,omitempty"`
	EnablePasswordDB bool        `json:"enablePasswordDB,omitempty"`
	StaticPasswords  []Password  `json:"staticPasswords,omitempty"`
}

// Storage of dex; Config is only used by the kubernetes storage.
type Storage struct {
	Type   string         `json:"type"`
	Config map[string]any `json:"config,omitempty"`
}

// Web is where dex listens.
type Web struct {
	HTTP string `json:"http"`
}

// Telemetry serves health and metrics.
type Telemetry struct {
	HTTP string `json:"http"`
}

// Expiry of tokens.
type Expiry struct {
	IDTokens      string        `json:"idTokens"`
	RefreshTokens RefreshTokens `json:"refreshTokens"`
}

// RefreshTokens bound how long a login lasts.
type RefreshTokens struct {
	AbsoluteLifetime string `json:"absoluteLifetime"`
}

// OAuth2 settings.
type OAuth2 struct {
	SkipApprovalScreen bool     `json:"skipApprovalScreen"`
	ResponseTypes      []string `json:"responseTypes"`
	// PasswordConnector enables the password grant through this connector.
	PasswordConnector string `json:"passwordConnector,omitempty"`
}

// Client is a dex static client. Secrets come from the environment
// (secretEnv), so the config file itself holds none.
type Client struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Public       bool     `json:"public,omitempty"`
	SecretEnv    string   `json:"secretEnv,omitempty"`
	RedirectURIs []string `json:"redirectURIs"`
	TrustedPeers []string `json:"trustedPeers,omitempty"`
}

// Connector is a dex connector; Config is the connector-specific block.
type Connector struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Config any    `json:"config"`
}

// Password is a static password entry.
type Password struct {
	Email    string   `json:"email"`
	Hash     string   `json:"hash"`
	Username string   `json:"username"`
	UserID   string   `json:"userID"`
	Groups   []string `json:"groups,omitempty"`
}

// LDAPConfig mirrors dex's connector/ldap Config.
type LDAPConfig struct {
	Host               string           `json:"host"`
	InsecureNoSSL      bool             `json:"insecureNoSSL,omitempty"`
	InsecureSkipVerify bool             `json:"insecureSkipVerify,omitempty"`
	StartTLS           bool             `json:"startTLS,omitempty"`
	RootCAData         []byte           `json:"rootCAData,omitempty"`
	BindDN             string           `json:"bindDN,omitempty"`
	BindPW             string           `json:"bindPW,omitempty"`
	UsernamePrompt     string           `json:"usernamePrompt,omitempty"`
	UserSearch         LDAPUserSearch   `json:"userSearch"`
	GroupSearch        *LDAPGroupSearch `json:"groupSearch,omitempty"`
}

// LDAPUserSearch mirrors dex's userSearch.
type LDAPUserSearch struct {
	BaseDN                string `json:"baseDN"`
	Filter                string `json:"filter,omitempty"`
	Username              string `json:"username"`
	IDAttr                string `json:"idAttr"`
	EmailAttr             string `json:"emailAttr"`
	NameAttr              string `json:"nameAttr"`
	PreferredUsernameAttr string `json:"preferredUsernameAttr,omitempty"`
}

// LDAPGroupSearch mirrors dex's groupSearch.
type LDAPGroupSearch struct {
	BaseDN       string        `json:"baseDN"`
	Filter       string        `json:"filter,omitempty"`
	UserMatchers []UserMatcher `json:"userMatchers"`
	NameAttr     string        `json:"nameAttr"`
}

// UserMatcher mirrors dex's userMatchers entries.
type UserMatcher struct {
	UserAttr  string `json:"userAttr"`
	GroupAttr string `json:"groupAttr"`
}

// GitHubConfig mirrors dex's connector/github Config.
type GitHubConfig struct {
	ClientID      string      `json:"clientID"`
	ClientSecret  string      `json:"clientSecret"`
	RedirectURI   string      `json:"redirectURI"`
	Orgs          []GitHubOrg `json:"orgs,omitempty"`
	LoadAllGroups bool        `json:"loadAllGroups,omitempty"`
	TeamNameField string      `json:"teamNameField,omitempty"`
	UseLoginAsID  bool        `json:"useLoginAsID,omitempty"`
}

// GitHubOrg mirrors dex's github org entries.
type GitHubOrg struct {
	Name  string   `json:"name"`
	Teams []string `json:"teams,omitempty"`
}

// OIDCConfig mirrors dex's connector/oidc Config.
type OIDCConfig struct {
	Issuer                    string            `json:"issuer"`
	ClientID                  string            `json:"clientID"`
	ClientSecret              string            `json:"clientSecret"`
	RedirectURI               string            `json:"redirectURI"`
	Scopes                    []string          `json:"scopes,omitempty"`
	InsecureSkipEmailVerified bool              `json:"insecureSkipEmailVerified,omitempty"`
	InsecureEnableGroups      bool              `json:"insecureEnableGroups,omitempty"`
	GetUserInfo               bool              `json:"getUserInfo,omitempty"`
	UserNameKey               string            `json:"userNameKey,omitempty"`
	ClaimMapping              map[string]string `json:"claimMapping,omitempty"`
}
