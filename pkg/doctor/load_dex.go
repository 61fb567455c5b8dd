package doctor

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/authstack/authstack/pkg/formats/dexconfig"
)

// dexDefaultIDTokens is dex's default expiry.idTokens.
const dexDefaultIDTokens = 24 * time.Hour

// AddDexConfig reads dex's config in any form users keep it in (dex's own
// file, the dex Helm chart's values, a Secret or ConfigMap with
// config.yaml; see formats/dexconfig.Parse). env resolves secretEnv
// references when the values are known (rendered or live dex-env Secret).
func (m *Model) AddDexConfig(source string, data []byte) error {
	return m.addDex(source, data, nil)
}

func (m *Model) addDex(source string, data []byte, env map[string]string) error {
	f, _, err := dexconfig.Parse(data)
	if err != nil {
		return inputErr(source, "not a dex config: %v", err)
	}
	return m.addDexConfig(source, f, env)
}

// addDexSecret reads dex's config out of a decoded Secret (a manifest
// stream's or the API server's) through the format package's Secret form.
func (m *Model) addDexSecret(source string, s *corev1.Secret, env map[string]string) error {
	f, err := dexconfig.ParseObject(s)
	if err != nil {
		return inputErr(source, "not a dex config: %v", err)
	}
	return m.addDexConfig(source, f, env)
}

func (m *Model) addDexConfig(source string, f *dexconfig.Config, env map[string]string) error {
	d := &Dex{Source: source, Issuer: f.Issuer, StorageType: f.Storage.Type, IDTokenLifetime: dexDefaultIDTokens, PasswordDB: f.EnablePasswordDB, Keys: map[string]bool{}, WebHTTPS: f.Web.HTTPS}
	for _, k := range f.Keys {
		d.Keys[k] = true
	}
	for i, c := range f.Connectors {
		// Parsed connector configs are maps (formats/dexconfig.Connector).
		cfg, _ := c.Config.(map[string]any)
		d.Connectors = append(d.Connectors, &DexConnector{Index: i, Type: c.Type, ID: c.ID, Name: c.Name, Config: cfg})
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

// Client finds a static client by id. Of two with the same id, dex uses
// the last (dexidp/dex storage/static.go WithStaticClients keys them by id).
func (d *Dex) Client(id string) *DexClient {
	for i := len(d.Clients) - 1; i >= 0; i-- {
		if c := d.Clients[i]; c.ID == id {
			return c
		}
	}
	return nil
}
