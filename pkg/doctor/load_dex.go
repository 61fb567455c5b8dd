package doctor

import (
	"time"

	"sigs.k8s.io/yaml"
)

// dexDefaultIDTokens is dex's default expiry.idTokens.
const dexDefaultIDTokens = 24 * time.Hour

type dexFile struct {
	Issuer  string `json:"issuer"`
	Storage struct {
		Type string `json:"type"`
	} `json:"storage"`
	Expiry struct {
		IDTokens string `json:"idTokens"`
	} `json:"expiry"`
	Web struct {
		HTTPS string `json:"https"`
	} `json:"web"`
	StaticClients []struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret"`
		SecretEnv    string   `json:"secretEnv"`
		Public       bool     `json:"public"`
		RedirectURIs []string `json:"redirectURIs"`
		TrustedPeers []string `json:"trustedPeers"`
	} `json:"staticClients"`
	EnablePasswordDB bool `json:"enablePasswordDB"`
	Connectors       []struct {
		Type   string         `json:"type"`
		ID     string         `json:"id"`
		Name   string         `json:"name"`
		Config map[string]any `json:"config"`
	} `json:"connectors"`
	StaticPasswords []struct {
		Email             string   `json:"email"`
		Hash              string   `json:"hash"`
		UserID            string   `json:"userID"`
		Username          string   `json:"username"`
		Name              string   `json:"name"`
		PreferredUsername string   `json:"preferredUsername"`
		Groups            []string `json:"groups"`
	} `json:"staticPasswords"`
}

// AddDexConfig reads dex's config file. env resolves secretEnv references
// when the values are known (rendered or live dex-env Secret).
func (m *Model) AddDexConfig(source string, data []byte) error {
	return m.addDex(source, data, nil)
}

func (m *Model) addDex(source string, data []byte, env map[string]string) error {
	var f dexFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return inputErr(source, "not a dex config: %v", err)
	}
	d := &Dex{Source: source, Issuer: f.Issuer, StorageType: f.Storage.Type, IDTokenLifetime: dexDefaultIDTokens, PasswordDB: f.EnablePasswordDB, Keys: map[string]bool{}, WebHTTPS: f.Web.HTTPS}
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err == nil {
		for k := range top {
			d.Keys[k] = true
		}
	}
	for i, c := range f.Connectors {
		d.Connectors = append(d.Connectors, &DexConnector{Index: i, Type: c.Type, ID: c.ID, Name: c.Name, Config: c.Config})
	}
	if f.Expiry.IDTokens != "" {
		l, err := time.ParseDuration(f.Expiry.IDTokens)
		if err != nil {
			return inputErr(source, "expiry.idTokens %q: %v", f.Expiry.IDTokens, err)
		}
		d.IDTokenLifetime = l
	}
	for i, c := range f.StaticClients {
		dc := &DexClient{Index: i, ID: c.ID, Public: c.Public, RedirectURIs: c.RedirectURIs, TrustedPeers: c.TrustedPeers, SecretEnv: c.SecretEnv}
		switch {
		case c.Secret != "":
			dc.Secret, dc.SecretKnown = c.Secret, true
		case c.SecretEnv != "":
			if v, ok := env[c.SecretEnv]; ok {
				dc.Secret, dc.SecretKnown = v, true
			}
		}
		d.Clients = append(d.Clients, dc)
	}
	for i, p := range f.StaticPasswords {
		// dex's local connector: name is name or else username.
		name := p.Name
		if name == "" {
			name = p.Username
		}
		claims := map[string]any{"email": p.Email, "name": name}
		if p.PreferredUsername != "" {
			claims["preferred_username"] = p.PreferredUsername
		}
		if len(p.Groups) > 0 {
			groups := make([]any, len(p.Groups))
			for k, g := range p.Groups {
				groups[k] = g
			}
			claims["groups"] = groups
		}
		d.Passwords = append(d.Passwords, DexPassword{Index: i, Claims: claims, Username: p.Username, UserID: p.UserID, Hash: p.Hash})
	}
	if m.Dex != nil && m.Dex.Replicas > 0 {
		d.Replicas, d.ReplicasSource = m.Dex.Replicas, m.Dex.ReplicasSource
	}
	m.Dex = d
	return nil
}

// Client finds a static client by id.
func (d *Dex) Client(id string) *DexClient {
	for _, c := range d.Clients {
		if c.ID == id {
			return c
		}
	}
	return nil
}
