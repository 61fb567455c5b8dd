package dexconfig

// Config is dex's config file. Field names follow dex's cmd/dex/config.go
// (type Config) and, for clients and static passwords, storage/storage.go
// (Client, Password) and cmd/dex/config.go (password); settings authstack
// neither writes nor reads are left out of the model but kept by Edit.
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

	// Keys are the top-level settings the parsed config holds, modelled
	// or not: import reports those it cannot carry. Parse fills it.
	Keys []string `json:"-"`
}

// Storage of dex; Config depends on Type.
type Storage struct {
	Type   string         `json:"type"`
	Config map[string]any `json:"config,omitempty"`
}

// Web is where dex listens.
type Web struct {
	HTTP           string   `json:"http"`
	HTTPS          string   `json:"https,omitempty"`
	TLSCert        string   `json:"tlsCert,omitempty"`
	TLSKey         string   `json:"tlsKey,omitempty"`
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
}

// Telemetry serves health and metrics.
type Telemetry struct {
	HTTP string `json:"http"`
}

// Expiry of tokens. Durations are Go durations; empty means dex's default.
type Expiry struct {
	IDTokens      string        `json:"idTokens"`
	SigningKeys   string        `json:"signingKeys,omitempty"`
	RefreshTokens RefreshTokens `json:"refreshTokens"`
}

// RefreshTokens bound how long a login lasts.
type RefreshTokens struct {
	AbsoluteLifetime  string `json:"absoluteLifetime"`
	ValidIfNotUsedFor string `json:"validIfNotUsedFor,omitempty"`
}

// OAuth2 settings.
type OAuth2 struct {
	SkipApprovalScreen bool     `json:"skipApprovalScreen"`
	ResponseTypes      []string `json:"responseTypes"`
	// PasswordConnector enables the password grant through this connector.
	PasswordConnector string `json:"passwordConnector,omitempty"`
}

// Client is a dex static client. A confidential client has exactly one of
// Secret and SecretEnv (dex refuses both); authstack writes SecretEnv only,
// so the config file itself holds no secret.
type Client struct {
	ID           string   `json:"id"`
	IDEnv        string   `json:"idEnv,omitempty"`
	Name         string   `json:"name"`
	Public       bool     `json:"public,omitempty"`
	Secret       string   `json:"secret,omitempty"`
	SecretEnv    string   `json:"secretEnv,omitempty"`
	RedirectURIs []string `json:"redirectURIs"`
	TrustedPeers []string `json:"trustedPeers,omitempty"`
	LogoURL      string   `json:"logoURL,omitempty"`
}

// Connector is a dex connector; Config is the connector-specific block
// (LDAPConfig, GitHubConfig, OIDCConfig when rendered; a map when parsed).
type Connector struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Config any    `json:"config"`
}

// Password is a static password entry of dex's local connector.
type Password struct {
	Email             string   `json:"email"`
	Hash              string   `json:"hash"`
	Username          string   `json:"username"`
	Name              string   `json:"name,omitempty"`
	PreferredUsername string   `json:"preferredUsername,omitempty"`
	UserID            string   `json:"userID"`
	Groups            []string `json:"groups,omitempty"`
}

// Client finds a static client by id.
func (c *Config) Client(id string) *Client {
	for i := range c.StaticClients {
		if c.StaticClients[i].ID == id {
			return &c.StaticClients[i]
		}
	}
	return nil
}
