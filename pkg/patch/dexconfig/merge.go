package dexconfig

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
)

// Result is a merged dex config and what the dex reading it needs.
type Result struct {
	// Config is the merged file.
	Config []byte
	// Env names the environment variables the merged config reads
	// (secretEnv, idEnv, $NAME in connector, storage and signer config)
	// that the existing file did not read: the dex deployment must have
	// them, or dex fails to start or logs in with empty secrets.
	Env []string
	// Notes are settings of desired that were left as the existing file
	// has them because they apply to every client of this dex.
	Notes []string
}

// Merge returns existing with desired merged in. It adds what authstack's
// clients need and refuses, with an error naming each setting, whatever
// would change how the dex serves its other clients:
//
//   - issuer must be desired's (it is set only when existing has none);
//   - each of desired's staticClients, matched by id, is appended when
//     missing; an existing one gets desired's redirectURIs and
//     trustedPeers added (existing ones first, none twice) but keeps its
//     confidentiality (public), its secret (secret or secretEnv) and its
//     other fields: a difference there is an error;
//   - each of desired's connectors, matched by id, is appended when
//     missing and must be equal when present, because every client logs
//     in through it;
//   - staticPasswords must already be there, and settings that act on
//     every client (expiry, oauth2, enablePasswordDB) must already allow
//     what desired needs; settings of how dex runs (storage, web, ...) are
//     existing's own.
//
// Comments, order and other entries of existing are kept. Merging the
// result again with the same desired config returns it unchanged.
func Merge(existing, desired []byte) (Result, error) {
	want, err := yamledit.ParseOne(desired)
	if err != nil {
		return Result{}, fmt.Errorf("dex config: desired: %w", err)
	}
	var wantRoot *yaml.Node
	if len(want.Content) > 0 {
		wantRoot = want.Content[0]
	} else {
		wantRoot = &yaml.Node{Kind: yaml.MappingNode}
	}
	if wantRoot.Kind != yaml.MappingNode {
		return Result{}, fmt.Errorf("dex config: desired: line %d: expected a map, found %s", wantRoot.Line, yamledit.KindName(wantRoot))
	}
	if _, err := yamledit.Canonical(wantRoot); err != nil {
		return Result{}, fmt.Errorf("dex config: desired: %w", err)
	}
	if yamledit.HasAlias(wantRoot) {
		return Result{}, fmt.Errorf("dex config: desired: aliases (*name) are not supported")
	}
	for i := 0; i+1 < len(wantRoot.Content); i += 2 {
		if k := wantRoot.Content[i]; k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Value == "" {
			return Result{}, fmt.Errorf("dex config: desired: line %d: dex's settings are named by non-empty strings, found %s", k.Line, yamledit.KindName(k))
		}
	}

	// Check every part of desired, whatever existing holds: merging it into
	// a copy of itself takes the paths that compare each client and
	// connector.
	self := &merger{}
	if err := self.merge(yamledit.Copy(wantRoot), wantRoot); err != nil {
		return Result{}, err
	}
	if err := checkClients(wantRoot, "desired"); err != nil {
		return Result{}, err
	}

	f, err := dexconfig.Open(existing)
	if err != nil {
		return Result{}, fmt.Errorf("dex config: existing: %w", err)
	}
	root := yamledit.Copy(f.Config)
	m := &merger{}
	if err := m.merge(f.Config, wantRoot); err != nil {
		return Result{}, err
	}
	if len(m.conflicts) > 0 {
		return Result{}, fmt.Errorf("dex config: authstack does not change what the other clients of this dex rely on; change these by hand, or the spec:\n  - %s%s", f.Where(), strings.Join(m.conflicts, "\n  - "+f.Where()))
	}
	if err := checkClients(f.Config, "existing"); err != nil {
		return Result{}, err
	}
	out, err := f.Bytes()
	if errors.Is(err, yamledit.ErrUnfaithful) {
		return Result{}, fmt.Errorf("dex config: %w; merge the settings by hand", err)
	}
	if err != nil {
		return Result{}, fmt.Errorf("dex config: %w", err)
	}

	before, after := envRefs(root), envRefs(f.Config)
	var env []string
	for _, name := range sortedKeys(after) {
		if !before[name] {
			env = append(env, name)
		}
	}
	return Result{Config: out, Env: env, Notes: m.notes}, nil
}

// merger collects what cannot be merged, so that one run names every
// setting to fix, and what was left alone.
type merger struct {
	conflicts []string
	notes     []string
}

func (m *merger) conflict(format string, args ...any) {
	m.conflicts = append(m.conflicts, fmt.Sprintf(format, args...))
}

func (m *merger) merge(root, want *yaml.Node) error {
	for i := 0; i+1 < len(want.Content); i += 2 {
		k, v := want.Content[i], want.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("dex config: desired: line %d: expected a string key, found %s", k.Line, yamledit.KindName(k))
		}
		switch k.Value {
		case "issuer":
			_, cur := yamledit.Lookup(root, "issuer")
			switch {
			case yamledit.IsNull(cur):
				yamledit.Set(root, "issuer", yamledit.Copy(v))
			case !yamledit.Equal(cur, v):
				// Every client and every token of this dex names its issuer:
				// replacing it would log out and lock out all of them.
				m.conflict("issuer (line %d): the dex config serves %s, the spec's issuer is %s: make spec.issuer match, or merge into the config of the dex that serves %s", cur.Line, describe(cur, ""), describe(v, ""), describe(v, ""))
			}
		case "staticClients":
			if err := mergeList(root, "staticClients", v, m.mergeClient); err != nil {
				return err
			}
		case "connectors":
			if err := mergeList(root, "connectors", v, m.sameConnector); err != nil {
				return err
			}
		case "staticPasswords":
			m.samePasswords(root, v)
		default:
			_, cur := yamledit.Lookup(root, k.Value)
			m.global(k.Value, cur, v)
		}
	}
	return nil
}

// ownSettings are dex's settings of how it runs rather than of whom it
// lets in: authstack's values describe the dex it deploys itself, and a
// dex config of someone else keeps its own.
var ownSettings = map[string]bool{
	"storage": true, "web": true, "telemetry": true, "grpc": true, "logger": true,
	"frontend": true, "signer": true,
}

// dexDefaults are the values dex uses for settings a config leaves out:
// id tokens last 24h (dex cmd/dex/serve.go), only the code response type
// is allowed (server/config.go), and refresh tokens have no lifetime limit
// unless one is set (server/tokens/refresh_strategy.go, CompletelyExpired),
// hence no entry for them.
var dexDefaults = map[string]string{
	"expiry.idTokens":           "24h",
	"oauth2.responseTypes":      "[code]",
	"oauth2.skipApprovalScreen": "false",
	"enablePasswordDB":          "false",
}

// global checks that a setting applying to every client of the dex already
// allows what desired needs; it never changes it.
func (m *merger) global(path string, cur, want *yaml.Node) {
	if ownSettings[path] {
		return
	}
	if want.Kind == yaml.MappingNode && (yamledit.IsNull(cur) || cur.Kind == yaml.MappingNode) {
		for i := 0; i+1 < len(want.Content); i += 2 {
			k := want.Content[i].Value
			var sub *yaml.Node
			if !yamledit.IsNull(cur) {
				_, sub = yamledit.Lookup(cur, k)
			}
			m.global(path+"."+k, sub, want.Content[i+1])
		}
		return
	}
	have := describe(cur, dexDefaults[path])
	switch path {
	case "expiry.idTokens", "expiry.refreshTokens.absoluteLifetime", "expiry.refreshTokens.validIfNotUsedFor":
		// Shorter lifetimes than the spec's are stricter, so they do.
		w, err := time.ParseDuration(want.Value)
		if err != nil {
			m.conflict("%s: the spec's %q is not a duration", path, want.Value)
			return
		}
		c, ok := dexDefaults[path], !yamledit.IsNull(cur)
		if ok {
			c = cur.Value
		}
		if c == "" {
			m.conflict("%s: the dex config leaves it unset (no limit), the spec allows %s: set %s: %s in the dex config (it applies to every client)", path, want.Value, path, want.Value)
			return
		}
		if d, err := time.ParseDuration(c); err != nil || d > w {
			m.conflict("%s: the dex config has %s, the spec allows at most %s: set %s: %s in the dex config (it applies to every client), or a longer lifetime in the spec", path, have, want.Value, path, want.Value)
		}
	case "oauth2.skipApprovalScreen":
		// Only what users see: the approval screen does not let anyone in.
		if !yamledit.Equal(orDefault(cur, path), want) {
			m.notes = append(m.notes, fmt.Sprintf("oauth2.skipApprovalScreen stays %s as in the dex config (it applies to every client); the spec's dex has %s", have, want.Value))
		}
	case "oauth2.responseTypes":
		have := map[string]bool{}
		for _, n := range orDefault(cur, path).Content {
			have[n.Value] = true
		}
		for _, n := range want.Content {
			if !have[n.Value] {
				m.conflict("oauth2.responseTypes: the dex config does not allow %q, which authstack's clients use: add it in the dex config", n.Value)
			}
		}
	case "oauth2.passwordConnector":
		if want.Value != "" && !yamledit.Equal(orDefault(cur, path), want) {
			m.conflict("oauth2.passwordConnector: the dex config has %s, the spec wants %s: the password grant would change for every client", have, want.Value)
		}
	case "enablePasswordDB":
		if want.Value == "true" && !yamledit.Equal(orDefault(cur, path), want) {
			m.conflict("enablePasswordDB: the spec's static users need dex's password database, which the dex config has off; turned on, they could log in to every client of this dex")
		}
	default:
		if !yamledit.Equal(orDefault(cur, path), want) {
			m.conflict("%s: the dex config has %s, the spec's dex %s", path, have, describe(want, ""))
		}
	}
}

// orDefault is cur, or dex's default for path when the config leaves it out.
func orDefault(cur *yaml.Node, path string) *yaml.Node {
	if !yamledit.IsNull(cur) {
		return cur
	}
	var n yaml.Node
	if d, ok := dexDefaults[path]; ok && yaml.Unmarshal([]byte(d), &n) == nil && len(n.Content) > 0 {
		return n.Content[0]
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
}

// describe names a value for a message; def is dex's default.
func describe(n *yaml.Node, def string) string {
	switch {
	case !yamledit.IsNull(n) && n.Kind == yaml.ScalarNode:
		return n.Value
	case !yamledit.IsNull(n):
		s, _ := yamledit.Canonical(n)
		return strings.TrimSpace(s)
	case def != "":
		return "dex's default " + def + " (unset)"
	default:
		return "none"
	}
}

func mergeList(root *yaml.Node, key string, want *yaml.Node, update func(cur, want *yaml.Node, where string) error) error {
	if yamledit.IsNull(want) {
		return nil
	}
	if want.Kind != yaml.SequenceNode {
		return fmt.Errorf("dex config: desired: %s: expected a list, found %s", key, yamledit.KindName(want))
	}
	_, list := yamledit.Lookup(root, key)
	if yamledit.IsNull(list) {
		list = &yaml.Node{Kind: yaml.SequenceNode}
		yamledit.Set(root, key, list)
	}
	if list.Kind != yaml.SequenceNode {
		return fmt.Errorf("dex config: existing: %s: expected a list, found %s", key, yamledit.KindName(list))
	}
	// dex keys static clients and connectors by id, the last entry of an id
	// winning (dexidp/dex storage/static.go WithStaticClients,
	// WithStaticConnectors): merging into the first of two would change an
	// entry dex ignores.
	seen := map[string]int{}
	for i, n := range list.Content {
		id := idOf(n)
		if id == "" {
			continue
		}
		if j, dup := seen[id]; dup {
			return fmt.Errorf("dex config: existing: %s[%d] (line %d) and %s[%d] (line %d) both have id %q: dex uses only the last one; remove the other", key, j, list.Content[j].Line, key, i, n.Line, id)
		}
		seen[id] = i
	}
	for i, w := range want.Content {
		id := idOf(w)
		if id == "" {
			return fmt.Errorf("dex config: desired: %s[%d]: expected a map with an id", key, i)
		}
		j := indexOf(list, id)
		if j < 0 {
			openUp(list)
			list.Content = append(list.Content, yamledit.Copy(w))
			continue
		}
		if err := update(list.Content[j], w, fmt.Sprintf("%s[%d] (%s)", key, j, id)); err != nil {
			return err
		}
	}
	return nil
}

func idOf(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	_, id := yamledit.Lookup(n, "id")
	if id == nil || id.Kind != yaml.ScalarNode {
		return ""
	}
	return id.Value
}

func indexOf(list *yaml.Node, id string) int {
	for i, n := range list.Content {
		if idOf(n) == id {
			return i
		}
	}
	return -1
}

// unionFields are the client fields whose entries from both files are kept.
// Adding authstack's redirect URIs and trusted peers is what its clients
// need and takes nothing from the others: a redirect URI only says where
// dex may send this client's codes, and a trusted peer only lets the
// named client ask for tokens meant for this one.
var unionFields = map[string]bool{"redirectURIs": true, "trustedPeers": true}

// secretFields hold a client's secret; dex takes exactly one of them for
// a confidential client (dex cmd/dex/serve.go refuses a static client with
// both: "Secret and SecretEnv fields are exclusive").
var secretFields = []string{"secret", "secretEnv"}

// mergeClient adds desired's redirect URIs and trusted peers to an
// existing client and fills in fields it lacks, but never changes whether
// the client is public, its secret or any other field another application
// relies on.
func (m *merger) mergeClient(cur, want *yaml.Node, where string) error {
	if isPublic(cur) != isPublic(want) {
		m.conflict("%s: the dex config has it %s, the spec needs it %s: use another client id in the spec, or change the client by hand", where, confidentiality(cur), confidentiality(want))
		return nil
	}
	for i := 0; i+1 < len(want.Content); i += 2 {
		k, v := want.Content[i], want.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "id" || k.Value == "public" || k.Value == "secret" || k.Value == "secretEnv" {
			continue
		}
		_, old := yamledit.Lookup(cur, k.Value)
		switch {
		case unionFields[k.Value] && !yamledit.IsNull(old):
			if err := union(old, v, where+": "+k.Value); err != nil {
				return err
			}
		case yamledit.IsNull(old):
			// Absent, or present with no value ("redirectURIs:"), which
			// dex reads alike.
			openUp(cur)
			yamledit.Set(cur, k.Value, yamledit.Copy(v))
		case k.Value == "name":
			// What dex shows users; the existing client's owner named it.
		case !yamledit.Equal(old, v):
			m.conflict("%s: %s: the dex config has %s, the spec %s", where, k.Value, describe(old, ""), describe(v, ""))
		}
	}
	wantField, wantSecret := secretOf(want)
	if wantField == "" {
		return nil
	}
	curField, curSecret := secretOf(cur)
	switch {
	case curField == "":
		// A confidential client without a secret is one dex refuses to load;
		// giving it authstack's takes no secret from anyone.
		openUp(cur)
		yamledit.Set(cur, wantField, yamledit.Copy(wantSecret))
	case curField != wantField || !yamledit.Equal(curSecret, wantSecret):
		// Never print a literal secret, only where it comes from.
		has := "a literal secret"
		if curField == "secretEnv" {
			has = "secretEnv " + curSecret.Value
		}
		wants := "a literal secret"
		if wantField == "secretEnv" {
			wants = "secretEnv " + wantSecret.Value
		}
		m.conflict("%s: the dex config gives it %s, the spec %s: authstack does not replace a client's secret; set the client's secret in the dex config to authstack's by hand, or use another client id in the spec", where, has, wants)
	}
	return nil
}

// secretOf is the field holding a client's secret and its value.
func secretOf(client *yaml.Node) (string, *yaml.Node) {
	for _, f := range secretFields {
		if _, v := yamledit.Lookup(client, f); !yamledit.IsNull(v) {
			return f, v
		}
	}
	return "", nil
}

func isPublic(client *yaml.Node) bool {
	_, v := yamledit.Lookup(client, "public")
	return v != nil && v.Kind == yaml.ScalarNode && v.Value == "true"
}

func confidentiality(client *yaml.Node) string {
	if isPublic(client) {
		return "public"
	}
	return "confidential"
}

// checkClients refuses a config dex would refuse: a client with both a
// secret and a secretEnv.
func checkClients(root *yaml.Node, which string) error {
	_, list := yamledit.Lookup(root, "staticClients")
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	for i, c := range list.Content {
		if c.Kind != yaml.MappingNode {
			continue
		}
		_, s := yamledit.Lookup(c, "secret")
		_, e := yamledit.Lookup(c, "secretEnv")
		if !yamledit.IsNull(s) && !yamledit.IsNull(e) {
			return fmt.Errorf("dex config: %s: staticClients[%d] (%s): has both secret and secretEnv, which dex refuses to load: keep one", which, i, idOf(c))
		}
	}
	return nil
}

// union appends to list the entries of want it does not have yet.
func union(list, want *yaml.Node, where string) error {
	if list.Kind != yaml.SequenceNode {
		return fmt.Errorf("dex config: existing: %s: expected a list, found %s", where, yamledit.KindName(list))
	}
	if yamledit.IsNull(want) {
		return nil
	}
	if want.Kind != yaml.SequenceNode {
		return fmt.Errorf("dex config: desired: %s: expected a list, found %s", where, yamledit.KindName(want))
	}
	have := map[string]bool{}
	for _, n := range list.Content {
		if n.Kind == yaml.ScalarNode {
			have[n.Value] = true
		}
	}
	for _, n := range want.Content {
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("dex config: desired: %s: expected strings, found %s", where, yamledit.KindName(n))
		}
		if !have[n.Value] {
			openUp(list)
			list.Content = append(list.Content, yamledit.Copy(n))
			have[n.Value] = true
		}
	}
	return nil
}

// sameConnector accepts an existing connector only when it is desired's:
// every client of the dex logs in through it (unless it lists
// allowedConnectors), so replacing it would change who gets into them.
func (m *merger) sameConnector(cur, want *yaml.Node, where string) error {
	if !yamledit.Equal(cur, want) {
		m.conflict("%s: the dex config has another connector with this id, and every client logs in through it: give the spec's connector another id, or change the connector by hand", where)
	}
	return nil
}

// samePasswords accepts desired's static users only when the dex config
// already has them: each one added could log in to every client.
func (m *merger) samePasswords(root, want *yaml.Node) {
	if yamledit.IsNull(want) || want.Kind != yaml.SequenceNode {
		return
	}
	_, cur := yamledit.Lookup(root, "staticPasswords")
	for i, w := range want.Content {
		email := ""
		if w.Kind == yaml.MappingNode {
			if _, e := yamledit.Lookup(w, "email"); e != nil {
				email = e.Value
			}
		}
		found := false
		if cur != nil && cur.Kind == yaml.SequenceNode {
			for _, c := range cur.Content {
				if yamledit.Equal(c, w) {
					found = true
					break
				}
			}
		}
		if !found {
			m.conflict("staticPasswords[%d] (%s): the dex config does not have this static user, who could log in to every client of this dex: add it by hand if that is meant", i, email)
		}
	}
}

// envRefs are the environment variables a dex config reads: static
// clients' secretEnv and idEnv, and $NAME or ${NAME} in the config of
// connectors, storage and signer, which dex expands with os.ExpandEnv
// (dex cmd/dex/config.go, expandEnvInMap).
func envRefs(root *yaml.Node) map[string]bool {
	refs := map[string]bool{}
	if _, list := yamledit.Lookup(root, "staticClients"); list != nil && list.Kind == yaml.SequenceNode {
		for _, c := range list.Content {
			if c.Kind != yaml.MappingNode {
				continue
			}
			for _, f := range []string{"secretEnv", "idEnv"} {
				if _, v := yamledit.Lookup(c, f); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
					refs[v.Value] = true
				}
			}
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			os.Expand(n.Value, func(name string) string {
				if isEnvName(name) {
					refs[name] = true
				}
				return ""
			})
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	if _, list := yamledit.Lookup(root, "connectors"); list != nil && list.Kind == yaml.SequenceNode {
		for _, c := range list.Content {
			if c.Kind == yaml.MappingNode {
				_, cfg := yamledit.Lookup(c, "config")
				walk(cfg)
			}
		}
	}
	for _, k := range []string{"storage", "signer"} {
		if _, s := yamledit.Lookup(root, k); s != nil && s.Kind == yaml.MappingNode {
			_, cfg := yamledit.Lookup(s, "config")
			walk(cfg)
		}
	}
	return refs
}

// isEnvName leaves out what os.Expand reads after a $ that no one means as
// a variable, such as the "2" of a bcrypt hash's "$2a$".
func isEnvName(s string) bool {
	for i, r := range s {
		if r != '_' && !(r >= 'A' && r <= 'Z') && !(r >= 'a' && r <= 'z') && (i == 0 || !(r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// openUp makes an empty flow collection ("[]", "{}") that is about to get
// entries a block one; a non-empty flow one stays as the user wrote it.
func openUp(n *yaml.Node) {
	if len(n.Content) == 0 {
		n.Style &^= yaml.FlowStyle
	}
}
