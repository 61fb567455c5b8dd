package dexconfig

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
