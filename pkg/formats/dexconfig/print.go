package dexconfig

import (
	"fmt"

	sigsyaml "sigs.k8s.io/yaml"
)

// Print writes c as dex's config file, with header (comment lines, each
// ending in a newline) first.
func Print(c *Config, header string) ([]byte, error) {
	out, err := sigsyaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("print dex config: %w", err)
	}
	return append([]byte(header), out...), nil
}
