// Package dex renders dex's configuration from the spec: connectors,
// storage, token lifetimes, and the static clients with every redirect URI
// that any consumer of the issuer needs. The config's model and printer are
// pkg/formats/dexconfig's, shared with patch and doctor.
package dex

import (
	"fmt"
	"strings"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/secrets"
)

// Kubelogin listens on the first free one of these ports for the browser redirect.
var kubeloginRedirectURIs = []string{"http://localhost:8000", "http://localhost:18000"}

// Rendered is dex's config and the environment its secrets come from.
type Rendered struct {
	Config dexconfig.Config
	// Env holds the secret values dex reads from its environment (client
	// secrets, connector passwords); it goes into a Secret, never the config.
	Env map[string]string
}

// ClientSecretName is the name of the kept generated secret of a client.
func ClientSecretName(clientID string) string { return "client-secret/" + clientID }

// ClientSecretSize is the number of random bytes in a generated client secret.
const ClientSecretSize = 32

// Render builds dex's configuration from the spec. dir resolves relative
// paths written in the spec.
func Render(spec *v1alpha1.Spec, src secrets.Source, dir string) (*Rendered, error) {
	d := spec.Issuer.Dex
	issuer := spec.IssuerURL()
	r := &Rendered{Env: map[string]string{}}
	c := &r.Config
	c.Issuer = issuer
	c.Storage = dexconfig.Storage{Type: string(d.Storage.Type)}
	if d.Storage.Type == v1alpha1.StorageKubernetes {
		// authstack applies dex's CRDs itself (see CRDs).
		c.Storage.Config = map[string]any{"inCluster": true, "crdHandling": "check"}
	}
	c.Web = dexconfig.Web{HTTP: "0.0.0.0:5556"}
	c.Telemetry = dexconfig.Telemetry{HTTP: "0.0.0.0:5558"}
	c.Expiry = dexconfig.Expiry{IDTokens: d.IDTokenLifetime, RefreshTokens: dexconfig.RefreshTokens{AbsoluteLifetime: d.RefreshTokenLifetime}}
	c.OAuth2 = dexconfig.OAuth2{SkipApprovalScreen: true, ResponseTypes: []string{"code"}, PasswordConnector: d.PasswordConnector}

	kubectl := dexconfig.Client{ID: spec.Kubectl.ClientID, Name: "kubectl", Public: *spec.Kubectl.Public, RedirectURIs: kubeloginRedirectURIs}
	if !kubectl.Public {
		if err := r.clientSecret(&kubectl, src); err != nil {
			return nil, err
		}
	}
	var apps []dexconfig.Client
	for _, pc := range spec.ProxyClients() {
		cl := dexconfig.Client{ID: pc.ID, Name: pc.Name, RedirectURIs: []string{pc.RedirectURI}}
		if err := r.clientSecret(&cl, src); err != nil {
			return nil, err
		}
		// A token-mode app forwards the user's id token to the API server,
		// so its oauth2-proxy asks dex for tokens whose audience is the
		// kubectl client: dex allows that only for trusted peers.
		if pc.ForwardsToken {
			kubectl.TrustedPeers = append(kubectl.TrustedPeers, pc.ID)
		}
		apps = append(apps, cl)
	}
	// Apps that log users in themselves (Headlamp) have their own client and
	// send their id token to the API server: a trusted peer of kubectl's too.
	for _, a := range spec.Apps {
		if !a.OwnLogin() {
			continue
		}
		cl := dexconfig.Client{ID: a.ClientID, Name: a.Name, RedirectURIs: []string{a.RedirectURI()}}
		if err := r.clientSecret(&cl, src); err != nil {
			return nil, err
		}
		if a.SendsUserToken() {
			kubectl.TrustedPeers = append(kubectl.TrustedPeers, a.ClientID)
		}
		apps = append(apps, cl)
	}
	c.StaticClients = append([]dexconfig.Client{kubectl}, apps...)

	for _, sc := range d.Connectors {
		if sc.Static != nil {
			c.EnablePasswordDB = true
			for _, u := range sc.Static.Users {
				id := u.UserID
				if id == "" {
					id = u.Username
				}
				c.StaticPasswords = append(c.StaticPasswords, dexconfig.Password{Email: u.Email, Hash: u.Hash, Username: u.Username, UserID: id, Groups: u.Groups,
					// Without it dex's preferred_username claim is empty
					// (server.go passwordDB.Login), and so is the user
					// name a headers-mode app receives.
					PreferredUsername: u.Username})
			}
			continue
		}
		conn, err := r.connector(sc, issuer, src, dir)
		if err != nil {
			return nil, fmt.Errorf("connector %s: %w", sc.ID, err)
		}
		c.Connectors = append(c.Connectors, conn)
	}
	return r, nil
}

func (r *Rendered) clientSecret(cl *dexconfig.Client, src secrets.Source) error {
	v, err := src.Generated(ClientSecretName(cl.ID), ClientSecretSize)
	if err != nil {
		return fmt.Errorf("client %s: %w", cl.ID, err)
	}
	cl.SecretEnv = envName("CLIENT_SECRET", cl.ID)
	r.Env[cl.SecretEnv] = v
	return nil
}

// secretEnv stores a provided secret in dex's environment and returns the
// reference dex expands when it reads the connector config.
func (r *Rendered) secretEnv(kind, id string, ref *v1alpha1.SecretRef, src secrets.Source) (string, error) {
	if ref == nil {
		return "", nil
	}
	v, err := src.Provided(ref)
	if err != nil {
		return "", err
	}
	name := envName(kind, id)
	r.Env[name] = v
	return "$" + name, nil
}

func (r *Rendered) connector(sc v1alpha1.Connector, issuer string, src secrets.Source, dir string) (dexconfig.Connector, error) {
	conn := dexconfig.Connector{Type: sc.Type(), ID: sc.ID, Name: sc.Name}
	switch {
	case sc.LDAP != nil:
		l := sc.LDAP
		pw, err := r.secretEnv("LDAP_BIND_PW", sc.ID, l.BindPassword, src)
		if err != nil {
			return conn, fmt.Errorf("bindPassword: %w", err)
		}
		cfg := dexconfig.LDAPConfig{
			Host: l.Host, InsecureNoSSL: l.InsecureNoSSL, InsecureSkipVerify: l.InsecureSkipVerify, StartTLS: l.StartTLS,
			BindDN: l.BindDN, BindPW: pw, UsernamePrompt: l.UsernamePrompt,
			UserSearch: dexconfig.LDAPUserSearch{
				BaseDN: l.UserSearch.BaseDN, Filter: l.UserSearch.Filter, Username: l.UserSearch.Username,
				IDAttr: l.UserSearch.IDAttr, EmailAttr: l.UserSearch.EmailAttr, NameAttr: l.UserSearch.NameAttr,
				PreferredUsernameAttr: l.UserSearch.PreferredUsernameAttr,
			},
		}
		if l.RootCAFile != "" {
			ca, err := safefile.Read(resolve(dir, l.RootCAFile))
			if err != nil {
				return conn, fmt.Errorf("rootCAFile: %w", err)
			}
			cfg.RootCAData = ca
		}
		if g := l.GroupSearch; g.BaseDN != "" {
			gs := &dexconfig.LDAPGroupSearch{BaseDN: g.BaseDN, Filter: g.Filter, NameAttr: g.NameAttr}
			for _, m := range g.UserMatchers {
				gs.UserMatchers = append(gs.UserMatchers, dexconfig.UserMatcher{UserAttr: m.UserAttr, GroupAttr: m.GroupAttr})
			}
			cfg.GroupSearch = gs
		}
		conn.Config = cfg
	case sc.GitHub != nil:
		g := sc.GitHub
		secret, err := r.secretEnv("GITHUB_CLIENT_SECRET", sc.ID, g.ClientSecret, src)
		if err != nil {
			return conn, fmt.Errorf("clientSecret: %w", err)
		}
		cfg := dexconfig.GitHubConfig{ClientID: g.ClientID, ClientSecret: secret, RedirectURI: issuer + "/callback",
			LoadAllGroups: g.LoadAllGroups, TeamNameField: g.TeamNameField, UseLoginAsID: g.UseLoginAsID}
		for _, o := range g.Orgs {
			cfg.Orgs = append(cfg.Orgs, dexconfig.GitHubOrg{Name: o.Name, Teams: o.Teams})
		}
		conn.Config = cfg
	case sc.OIDC != nil:
		o := sc.OIDC
		secret, err := r.secretEnv("OIDC_CLIENT_SECRET", sc.ID, o.ClientSecret, src)
		if err != nil {
			return conn, fmt.Errorf("clientSecret: %w", err)
		}
		cfg := dexconfig.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURI: issuer + "/callback",
			Scopes: o.Scopes, InsecureSkipEmailVerified: o.InsecureSkipEmailVerified, GetUserInfo: o.GetUserInfo, UserNameKey: o.UserNameKey}
		if o.GroupsClaim != "" {
			cfg.InsecureEnableGroups = true
			cfg.ClaimMapping = map[string]string{"groups": o.GroupsClaim}
		}
		conn.Config = cfg
	}
	if err := checkExpansion(conn.Config, map[string]bool{"bindPW": true, "clientSecret": true}); err != nil {
		return conn, err
	}
	return conn, nil
}

func envName(kind, id string) string { return v1alpha1.DexEnvName(kind, id) }

func resolve(dir, p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return dir + "/" + p
}
