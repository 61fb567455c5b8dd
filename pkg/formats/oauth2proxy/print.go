package oauth2proxy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Print writes c as an oauth2_proxy.cfg: the header comment, then every
// option that was given or holds a value, in the order of the option
// table, each after its comment. It refuses a secret value (it belongs
// in a Secret, given through the environment or a file) and options it
// does not model (printing them would drop or retype them).
func Print(c *Config) ([]byte, error) {
	if c.InjectResponseHeaders != nil {
		return nil, fmt.Errorf("print oauth2-proxy config: it has an alpha config's response headers; print it with PrintAlpha")
	}
	if len(c.Other) > 0 {
		keys := make([]string, 0, len(c.Other))
		for k := range c.Other {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("print oauth2-proxy config: options %s are not modelled", strings.Join(keys, ", "))
	}
	var b strings.Builder
	if c.Header != "" {
		comment(&b, c.Header)
	}
	for i := range options {
		o := &options[i]
		_, given := c.Given[o.cfg]
		var v string
		switch f := o.field(c).(type) {
		case *string:
			if *f == "" && !given {
				continue
			}
			v = quote(*f)
		case *bool:
			if !*f && !given {
				continue
			}
			v = strconv.FormatBool(*f)
		case *time.Duration:
			if *f == 0 && !given {
				continue
			}
			v = quote(f.String())
		case *[]string:
			if len(*f) == 0 && !given {
				continue
			}
			q := make([]string, len(*f))
			for i, s := range *f {
				q[i] = quote(s)
			}
			v = "[" + strings.Join(q, ", ") + "]"
		case *Secret:
			if f.Known && f.Value != "" {
				return nil, fmt.Errorf("print oauth2-proxy config: %s holds a secret value; give it as %s from a Secret instead", o.cfg, EnvName(o.cfg))
			}
			continue
		}
		if s, ok := c.Comments[o.cfg]; ok {
			comment(&b, s)
		}
		fmt.Fprintf(&b, "%s = %s\n", o.cfg, v)
	}
	return []byte(b.String()), nil
}

func comment(b *strings.Builder, s string) {
	for _, line := range strings.Split(s, "\n") {
		fmt.Fprintf(b, "# %s\n", line)
	}
}

// quote writes a TOML basic string: the same as strconv.Quote for
// printable text, and TOML's \uXXXX for control characters, which Go
// would write as \x escapes that TOML does not have.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
