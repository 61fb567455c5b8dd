package dexconfig

import (
	"errors"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/pkg/patch/internal/yamledit"
)

// Merge returns existing with desired merged in:
//
//   - issuer is set to desired's;
//   - each of desired's staticClients, matched by id, is appended when
//     missing; when present its redirectURIs and trustedPeers get desired's
//     entries appended (existing ones first, none twice) and its other
//     fields are set from desired;
//   - each of desired's connectors, matched by id, replaces the existing one
//     or is appended;
//   - other top-level keys of desired are added when existing lacks them
//     (existing's own settings, like storage, win).
//
// Comments, order and other entries of existing are kept. Merging the
// result again with the same desired config returns it unchanged.
func Merge(existing, desired []byte) ([]byte, error) {
	want, err := yamledit.ParseOne(desired)
	if err != nil {
		return nil, fmt.Errorf("dex config: desired: %w", err)
	}
	var wantRoot *yaml.Node
	if len(want.Content) > 0 {
		wantRoot = want.Content[0]
	} else {
		wantRoot = &yaml.Node{Kind: yaml.MappingNode}
	}
	if wantRoot.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("dex config: desired: line %d: expected a map, found %s", wantRoot.Line, yamledit.KindName(wantRoot))
	}
	if _, err := yamledit.Canonical(wantRoot); err != nil {
		return nil, fmt.Errorf("dex config: desired: %w", err)
	}
	if yamledit.HasAlias(wantRoot) {
		return nil, fmt.Errorf("dex config: desired: aliases (*name) are not supported")
	}
	for i := 0; i+1 < len(wantRoot.Content); i += 2 {
		if k := wantRoot.Content[i]; k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Value == "" {
			return nil, fmt.Errorf("dex config: desired: line %d: dex's settings are named by non-empty strings, found %s", k.Line, yamledit.KindName(k))
		}
	}

	// Check every part of desired, whatever existing holds: merging it into
	// itself takes the paths that compare each client and connector.
	self := &yaml.Node{Kind: yaml.MappingNode}
	if err := merge(self, wantRoot); err != nil {
		return nil, err
	}
	if err := merge(self, wantRoot); err != nil {
		return nil, err
	}

	chunks, err := yamledit.Split(existing)
	if err != nil {
		return nil, fmt.Errorf("dex config: existing: %w", err)
	}
	if err := yamledit.Check(existing); err != nil {
		return nil, fmt.Errorf("dex config: existing: %w", err)
	}
	at := -1
	for i, c := range chunks {
		if c.Empty() {
			continue
		}
		if at >= 0 {
			return nil, fmt.Errorf("dex config: existing: line %d: a second YAML document starts here; dex reads one", c.Line-1)
		}
		at = i
	}
	if at < 0 {
		if len(wantRoot.Content) == 0 {
			return existing, nil
		}

		// Nothing to keep but comments: the desired config goes after them.
		text := string(existing)
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += yamledit.EOL(text)
		}
		return []byte(text + string(desired)), nil
	}

	doc, err := chunks[at].Parse()
	if err != nil {
		return nil, fmt.Errorf("dex config: existing: %w", err)
	}
	if len(doc.Content) == 0 {
		// Text that YAML reads as no document at all, such as a lone byte order mark.
		return nil, fmt.Errorf("dex config: existing: line %d: no YAML document in the file", chunks[at].Line)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("dex config: existing: line %d: expected a map, found %s", root.Line, yamledit.KindName(root))
	}
	if _, err := yamledit.Canonical(root); err != nil {
		return nil, fmt.Errorf("dex config: existing: %w", err)
	}

	edited := yamledit.Copy(doc)
	if err := merge(edited.Content[0], wantRoot); err != nil {
		return nil, err
	}
	st := yamledit.DetectStyle(doc, yamledit.Style{Indent: 2, CompactSeq: true})
	body, err := yamledit.Rewrite(chunks[at].Body, doc, edited, st)
	if errors.Is(err, yamledit.ErrUnfaithful) {
		return nil, fmt.Errorf("dex config: %w; merge the settings by hand", err)
	}
	if err != nil {
		return nil, fmt.Errorf("dex config: %w", err)
	}
	chunks[at].Body = body
	return yamledit.Join(chunks), nil
}

func merge(root, want *yaml.Node) error {
	for i := 0; i+1 < len(want.Content); i += 2 {
		k, v := want.Content[i], want.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("dex config: desired: line %d: expected a string key, found %s", k.Line, yamledit.KindName(k))
		}
		switch k.Value {
		case "issuer":
			if _, cur := yamledit.Lookup(root, "issuer"); cur == nil || !yamledit.Equal(cur, v) {
				yamledit.Set(root, "issuer", yamledit.Copy(v))
			}
		case "staticClients":
			if err := mergeList(root, "staticClients", v, mergeClient); err != nil {
				return err
			}
		case "connectors":
			if err := mergeList(root, "connectors", v, replaceConnector); err != nil {
				return err
			}
		default:
			if kn, _ := yamledit.Lookup(root, k.Value); kn == nil {
				root.Content = append(root.Content, yamledit.Copy(k), yamledit.Copy(v))
			}
		}
	}
	return nil
}

// mergeList merges the desired list of maps under key into existing's, by
// id: entries whose id is new are appended, the others are handed to
// update.
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
var unionFields = map[string]bool{"redirectURIs": true, "trustedPeers": true}

func mergeClient(cur, want *yaml.Node, where string) error {
	for i := 0; i+1 < len(want.Content); i += 2 {
		k, v := want.Content[i], want.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "id" {
			continue
		}
		_, old := yamledit.Lookup(cur, k.Value)
		if unionFields[k.Value] && !yamledit.IsNull(old) {
			if err := union(old, v, where+": "+k.Value); err != nil {
				return err
			}
			continue
		}
		if old == nil || !yamledit.Equal(old, v) {
			openUp(cur)
			yamledit.Set(cur, k.Value, yamledit.Copy(v))
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

// replaceConnector makes cur the desired connector, keeping the comments
// written around it.
func replaceConnector(cur, want *yaml.Node, _ string) error {
	if yamledit.Equal(cur, want) {
		return nil
	}
	head, line, foot := cur.HeadComment, cur.LineComment, cur.FootComment
	*cur = *yamledit.Copy(want)
	cur.HeadComment, cur.LineComment, cur.FootComment = head, line, foot
	return nil
}

// openUp makes an empty flow collection ("[]", "{}") that is about to get
// entries a block one; a non-empty flow one stays as the user wrote it.
func openUp(n *yaml.Node) {
	if len(n.Content) == 0 {
		n.Style &^= yaml.FlowStyle
	}
}
