package dexconfig

import (
	"fmt"

	"github.com/authstack/authstack/pkg/formats/dexconfig"
)

// CheckTarget tells whether existing is a dex config that Merge may edit:
// dex's own config file or the dex Helm chart's values (see
// formats/dexconfig.Open), not an authstack spec or a Kubernetes manifest
// such as the Secret or ConfigMap that may carry a dex config. An empty or
// comment-only file is accepted: Merge writes a whole config into it.
func CheckTarget(existing []byte) error {
	if _, err := dexconfig.Open(existing); err != nil {
		return fmt.Errorf("not a dex config: %w", err)
	}
	return nil
}
