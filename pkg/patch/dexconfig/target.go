package dexconfig

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
)

// dexKeys are top-level settings of dex's config file (dex cmd/dex/config.go,
// type Config) of which every real config has some: issuer and storage are
// required, connectors and staticClients are what there is to merge into.
var dexKeys = []string{"issuer", "storage", "connectors", "staticClients"}

// CheckTarget tells whether existing is a dex config that Merge may edit:
// one mapping with at least one of dex's main settings and no apiVersion or
// kind (which mark an authstack spec or a Kubernetes manifest, such as the
// Secret or ConfigMap that may carry a dex config). An empty or comment-only
// file is accepted: Merge writes a whole config into it.
func CheckTarget(existing []byte) error {
	doc, err := yamledit.ParseOne(existing)
	if err != nil {
		return fmt.Errorf("dex config: %w", err)
	}
	if len(doc.Content) == 0 || yamledit.IsNull(doc.Content[0]) {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("not a dex config: line %d: expected a mapping, found %s", root.Line, yamledit.KindName(root))
	}
	if av, kind, ok := yamledit.TypeMeta(root); ok {
		return fmt.Errorf("not a dex config: it is %s; name dex's own config file (the one passed to dex serve), not a Kubernetes object that carries it", yamledit.Describe(av, kind))
	}
	for _, k := range dexKeys {
		if key, _ := yamledit.Lookup(root, k); key != nil {
			return nil
		}
	}
	return fmt.Errorf("not a dex config: none of dex's settings %v at the top level", dexKeys)
}
