package dex

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// dexExpands matches what os.ExpandEnv replaces in a string: $ followed by
// a name, a brace or one of the shell's special parameters. dex runs every
// string of a connector config through it, unless DEX_EXPAND_ENV is false
// (dexidp/dex cmd/dex/config.go expandEnvInMap), and authstack's dex needs
// the expansion for the secrets it takes from its environment. There is no
// escape: "$$" is the special parameter $, which expands to nothing.
var dexExpands = regexp.MustCompile(`\$[{*#$@!?\-0-9A-Za-z_]`)

// checkExpansion refuses a connector config whose strings, but for the
// secret references authstack wrote (refs), hold something dex would
// replace: an LDAP filter "(uid=$1)" would reach the server as "(uid=)".
func checkExpansion(cfg any, refs map[string]bool) error {
	data, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	var walk func(path string, v any) error
	walk = func(path string, v any) error {
		switch x := v.(type) {
		case string:
			if refs[path] {
				return nil
			}
			if m := dexExpands.FindString(x); m != "" {
				return fmt.Errorf("%s: %q holds %q, which dex replaces from its environment when it reads the connector config (os.ExpandEnv; there is no escape for $): the connector would get another value than the spec's", path, x, m)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				if err := walk(p, x[k]); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range x {
				if err := walk(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk("", v)
}
