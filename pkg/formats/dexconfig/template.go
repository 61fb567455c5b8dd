package dexconfig

import (
	"bytes"
	"fmt"
)

// checkTemplate refuses a config that is a template rather than a config:
// dex's container image renders every .yaml, .tpl and .tmpl argument of
// "dex serve" with gomplate before dex starts (dexidp/dex
// cmd/docker-entrypoint/main.go), so a {{ getenv "DEX_ISSUER" ... }} there
// is replaced by a value authstack cannot know (its config.docker.yaml is
// such a template). Read as YAML, the action is a syntax error, a map key
// or, quoted, a string taken for the issuer; merged into, it would be
// rewritten. Comment lines are not looked at. dex's own $VAR expansion
// (cmd/dex/config.go, DEX_EXPAND_ENV) is another thing, read where dex
// applies it.
func checkTemplate(data []byte) error {
	line := 0
	for len(data) > 0 {
		line++
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		t := bytes.TrimLeft(l, " \t")
		if bytes.HasPrefix(t, []byte("#")) {
			continue
		}
		open := bytes.Index(l, []byte("{{"))
		if open < 0 || !bytes.Contains(l[open:], []byte("}}")) {
			continue
		}
		action := l[open:]
		if end := bytes.Index(action, []byte("}}")); end >= 0 {
			action = action[:end+2]
		}
		a := string(bytes.TrimSpace(action))
		if len(a) > 60 {
			a = a[:57] + "..."
		}
		return fmt.Errorf("a template action at line %d: %s: dex's image renders the file with gomplate when dex starts, and authstack reads only what dex gets after that; give the rendered config (gomplate -f FILE with dex's environment), or write the values in place of the actions", line, a)
	}
	return nil
}
