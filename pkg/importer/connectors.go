package importer

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
)

// connectorKeys are the connector config keys the spec reproduces, by dex
// connector type (dex connector/ldap Config, connector/github Config,
// connector/oidc Config). redirectURI is rendered from the issuer.
var connectorKeys = map[string]map[string]bool{
	"ldap": set("host", "insecureNoSSL", "insecureSkipVerify", "startTLS", "bindDN", "bindPW", "usernamePrompt",
		"userSearch.baseDN", "userSearch.filter", "userSearch.username", "userSearch.idAttr", "userSearch.emailAttr",
		"userSearch.nameAttr", "userSearch.preferredUsernameAttr",
		"groupSearch.baseDN", "groupSearch.filter", "groupSearch.userMatchers", "groupSearch.nameAttr"),
	"github": set("clientID", "clientSecret", "redirectURI", "org", "orgs", "loadAllGroups", "teamNameField", "useLoginAsID"),
	"oidc": set("issuer", "clientID", "clientSecret", "redirectURI", "scopes", "insecureSkipEmailVerified",
		"insecureEnableGroups", "claimMapping.groups", "getUserInfo", "userNameKey"),
}

// connectorRestrictions are connector settings that decide who may log in
// and that the spec cannot express: a GitHub Enterprise host (orgs of the
// same name on github.com are someone else's), Google's hosted domains
// (dex connector/github, connector/oidc).
var connectorRestrictions = map[string]map[string]bool{
	"github": set("hostName"),
	"oidc":   set("hostedDomains"),
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// connector imports one dex connector; false when the spec cannot express
// it (reported).
func (im *importer) connector(source string, c *doctor.DexConnector) (v1alpha1.Connector, bool) {
	src := fmt.Sprintf("%s: connectors[%d]", source, c.Index)
	conn := v1alpha1.Connector{ID: c.ID, Name: c.Name}
	known, ok := connectorKeys[c.Type]
	if !ok {
		im.gap(src, "type", "connector type %q cannot be expressed in the spec (ldap, github and oidc can): its users cannot log in with the rendered dex", c.Type)
		return conn, false
	}
	for _, k := range flatKeys("", c.Config) {
		if connectorRestrictions[c.Type][k] {
			im.refuse(src, "config."+k, "limits who may log in, or which server answers; the spec has no such setting")
			continue
		}
		if !known[k] {
			im.gap(src, "config."+k, "not carried into the spec: the rendered connector does not have it")
		}
	}
	// Secrets become references of their own; the spec's fields of the
	// same name hold references, not values.
	cfg := map[string]any{}
	for k, v := range c.Config {
		if k != "clientSecret" && k != "bindPW" {
			cfg[k] = v
		}
	}
	// dex expands $NAME in every string of a connector config from its own
	// environment; the value is not in the file, and the rendered dex
	// has no such variable, so "$NAME" carried into the spec would become
	// an empty clientID or a broken issuer URL. redirectURI is rendered.
	if k, ref := expandedField(cfg, "redirectURI"); k != "" {
		im.gap(src, "config."+k, "%s is expanded by dex from its environment (dex cmd/dex/config.go, os.ExpandEnv), and authstack cannot know the value (only secrets can stay environment variables): write the value into the dex config and import again; this connector is not imported, so its users cannot log in with the rendered dex", ref)
		return conn, false
	}
	secret := func(k string) string { s, _ := c.Config[k].(string); return s }
	data, err := yaml.Marshal(cfg)
	if err != nil {
		im.gap(src, "config", "cannot be read: %v", err)
		return conn, false
	}
	decode := func(into any) bool {
		if err := yaml.Unmarshal(data, into); err != nil {
			im.gap(src, "config", "cannot be read: %v", err)
			return false
		}
		return true
	}
	switch c.Type {
	case "ldap":
		var l v1alpha1.LDAPConnector
		if !decode(&l) {
			return conn, false
		}
		l.BindPassword = im.secretRef(src+".config", "bindPW", secret("bindPW"), "ldap-bind-password-"+c.ID)
		conn.LDAP = &l
	case "github":
		var g v1alpha1.GitHubConnector
		if !decode(&g) {
			return conn, false
		}
		g.ClientSecret = im.secretRef(src+".config", "clientSecret", secret("clientSecret"), "github-client-secret-"+c.ID)
		// The legacy org: one organization, any of its members
		// (dex connector/github: org is read as orgs with no teams).
		if org, _ := c.Config["org"].(string); org != "" {
			g.Orgs = append(g.Orgs, v1alpha1.GitHubOrg{Name: org})
		}
		conn.GitHub = &g
	case "oidc":
		var o v1alpha1.OIDCConnector
		var raw struct {
			InsecureEnableGroups bool              `json:"insecureEnableGroups"`
			ClaimMapping         map[string]string `json:"claimMapping"`
		}
		if !decode(&o) || !decode(&raw) {
			return conn, false
		}
		o.ClientSecret = im.secretRef(src+".config", "clientSecret", secret("clientSecret"), "oidc-client-secret-"+c.ID)
		// dex passes the upstream groups only with insecureEnableGroups
		// (connector/oidc): the spec's groupsClaim renders both.
		if raw.InsecureEnableGroups {
			o.GroupsClaim = raw.ClaimMapping["groups"]
			if o.GroupsClaim == "" {
				o.GroupsClaim = "groups"
			}
		}
		conn.OIDC = &o
	}
	return conn, true
}

// envRef is a value dex expands from its environment: $NAME or ${NAME}
// (dex cmd/dex/config.go expands connector configs with os.ExpandEnv unless
// DEX_EXPAND_ENV is false).
var envRef = regexp.MustCompile(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$`)

// secretRef turns a secret of a connector config into a reference: an
// environment variable dex expanded stays one; a value written into the
// config goes to a private file the spec names, never into the spec.
func (im *importer) secretRef(src, field, value, file string) *v1alpha1.SecretRef {
	if value == "" {
		return nil
	}
	if m := envRef.FindStringSubmatch(value); m != nil {
		im.gap(src, field, "read from dex's environment variable %s: the spec takes it from the environment variable %s of authstack; set it when you render or apply", m[1], m[1])
		return &v1alpha1.SecretRef{Env: m[1]}
	}
	im.res.Provided[file] = value
	return &v1alpha1.SecretRef{File: file}
}

// dexEnvRef is a reference os.ExpandEnv replaces: $NAME or ${NAME}.
var dexEnvRef = regexp.MustCompile(`\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)`)

// expandedField returns the first key path of cfg (in key order, but for
// skip) whose string value holds an environment reference, and that
// reference; "" when none does.
func expandedField(cfg map[string]any, skip string) (string, string) {
	var walk func(prefix string, v any) (string, string)
	walk = func(prefix string, v any) (string, string) {
		switch x := v.(type) {
		case string:
			if ref := dexEnvRef.FindString(x); ref != "" {
				return prefix, ref
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				if prefix == "" && k == skip {
					continue
				}
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				if f, ref := walk(p, x[k]); f != "" {
					return f, ref
				}
			}
		case []any:
			for i, e := range x {
				if f, ref := walk(fmt.Sprintf("%s[%d]", prefix, i), e); f != "" {
					return f, ref
				}
			}
		}
		return "", ""
	}
	return walk("", cfg)
}

// flatKeys lists the keys of a config as dotted paths, down to the
// sections the spec models field by field.
func flatKeys(prefix string, m map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		if sub, ok := m[k].(map[string]any); ok && (k == "userSearch" || k == "groupSearch" || k == "claimMapping") && !strings.Contains(prefix, ".") {
			out = append(out, flatKeys(prefix+k+".", sub)...)
			continue
		}
		out = append(out, prefix+k)
	}
	return out
}
