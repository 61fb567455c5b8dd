package oauth2proxy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// value is one option as one form gives it, before decoding.
type value struct {
	items []string
	// list is set when the form already gave separate items (a TOML
	// array, repeated flags); a single string is split at commas.
	list bool
	// from names where a secret's value comes from when it is not known.
	from  string
	where string
}

// layer is what one form (config file, environment, flags) gives.
type layer map[string]value

// ConfigKey is the key of the ConfigMap that holds an oauth2_proxy.cfg, as
// authstack's chart and the classic guides mount it.
const ConfigKey = "oauth2_proxy.cfg"

// ParseTOML reads an oauth2_proxy.cfg. Syntax errors name the line
// ("line 3: ..."). Keys oauth2-proxy does not know are kept in Other
// (oauth2-proxy itself refuses them: viper UnmarshalExact in
// pkg/apis/options/load.go).
func ParseTOML(data []byte) (*Config, error) {
	l, other, err := tomlLayer(data, "")
	if err != nil {
		return nil, err
	}
	c, err := decode(l)
	if err != nil {
		return nil, err
	}
	c.Other = other
	return c, nil
}

func tomlLayer(data []byte, prefix string) (layer, map[string]string, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, nil, err
	}
	l := layer{}
	var other map[string]string
	for k, v := range raw {
		// viper reads keys case-insensitively: Client_ID is client_id.
		k = strings.ToLower(k)
		if _, ok := byCfg[k]; !ok {
			if other == nil {
				other = map[string]string{}
			}
			other[prefix+k] = fmt.Sprint(v)
			continue
		}
		val := value{where: prefix + k}
		switch x := v.(type) {
		case []any:
			val.list = true
			for _, it := range x {
				val.items = append(val.items, scalar(it))
			}
		case map[string]any:
			return nil, nil, fmt.Errorf("%s: a table, not a value", k)
		default:
			val.items = []string{scalar(x)}
		}
		l[k] = val
	}
	return l, other, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// Env is one environment variable of the oauth2-proxy container: a
// literal value, or a reference (From) to a Secret or ConfigMap key whose
// value is Value when Known.
type Env struct {
	Name  string
	Value string
	Known bool
	From  string
}

func envLayer(env []Env) layer {
	l := layer{}
	for _, e := range env {
		o, ok := byEnv[e.Name]
		if !ok {
			continue
		}
		// viper ignores an empty environment variable (AllowEmptyEnv is
		// off in pkg/apis/options/load.go).
		if e.Known && e.Value == "" {
			continue
		}
		val := value{where: "env " + e.Name, from: e.From}
		if e.Known {
			val.items = []string{e.Value}
		}
		l[o.cfg] = val
	}
	return l
}

// Args are the oauth2-proxy flags of a command line, without the
// program name.
type Args struct {
	// Config and AlphaConfig are --config and --alpha-config.
	Config, AlphaConfig string
	layer               layer
	other               map[string]string
}

// ParseArgs reads oauth2-proxy's command line as pflag does: --name=value
// and --name value, a bool flag alone meaning true, repeated list flags
// adding up, each list flag value read as comma-separated CSV. A flag
// that oauth2-proxy does not know is kept in Other; a single-dash flag is
// an error, as in oauth2-proxy (pflag reads it as shorthand letters).
func ParseArgs(args []string) (*Args, error) {
	a := &Args{layer: layer{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			continue // a positional argument, which oauth2-proxy ignores
		}
		if !strings.HasPrefix(arg, "--") {
			return nil, fmt.Errorf("argument %q: oauth2-proxy's flags take two dashes (--%s)", arg, strings.TrimLeft(arg, "-"))
		}
		name, val, hasVal := strings.Cut(arg[2:], "=")
		o := byFlag[name]
		isBool := o != nil && o.kind == kBool
		// An unknown flag followed by another flag (or nothing) is a bool.
		unknownBool := o == nil && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-"))
		if !hasVal && !isBool && !unknownBool {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			val, hasVal = args[i], true
		}
		switch {
		case name == "config":
			a.Config = val
			continue
		case name == "alpha-config":
			a.AlphaConfig = val
			continue
		case o == nil:
			if a.other == nil {
				a.other = map[string]string{}
			}
			a.other["--"+name] = val
			continue
		}
		if !hasVal {
			val = "true"
		}
		where := "arg --" + name
		if o.kind != kList {
			a.layer[o.cfg] = value{items: []string{val}, where: where}
			continue
		}
		items, err := csv.NewReader(strings.NewReader(val)).Read()
		if err != nil && val != "" {
			return nil, fmt.Errorf("flag --%s: %v", name, err)
		}
		prev := a.layer[o.cfg]
		a.layer[o.cfg] = value{items: append(prev.items, items...), list: true, where: where}
	}
	return a, nil
}

// Merge combines the forms as oauth2-proxy's Load does with viper: a flag
// wins over the environment, which wins over the config file; the form
// that gives an option gives all of it (a list is not merged across
// forms). file may be nil.
func Merge(file *Config, env []Env, args *Args) (*Config, error) {
	l := layer{}
	var other map[string]string
	if file != nil {
		l = file.layer()
		other = file.Other
	}
	for k, v := range envLayer(env) {
		l[k] = v
	}
	if args != nil {
		for k, v := range args.layer {
			l[k] = v
		}
		for k, v := range args.other {
			if other == nil {
				other = map[string]string{}
			}
			other[k] = v
		}
	}
	c, err := decode(l)
	if err != nil {
		return nil, err
	}
	c.Other = other
	if file != nil {
		c.InjectResponseHeaders = file.InjectResponseHeaders
	}
	return c, nil
}

// layer turns a parsed Config back into the values it was given, to merge
// it under other forms.
func (c *Config) layer() layer {
	l := layer{}
	for i := range options {
		o := &options[i]
		where, ok := c.Given[o.cfg]
		if !ok {
			continue
		}
		v := value{where: where, list: true}
		switch f := o.field(c).(type) {
		case *string:
			v.items = []string{*f}
		case *bool:
			v.items = []string{strconv.FormatBool(*f)}
		case *[]string:
			v.items = *f
		case *time.Duration:
			v.items = []string{f.String()}
		case *Secret:
			if f.Known {
				v.items = []string{f.Value}
			}
			v.from = f.From
		}
		l[o.cfg] = v
	}
	return l
}

// decode types the values of a layer; an error names the option and
// where it was given.
func decode(l layer) (*Config, error) {
	c := &Config{Given: map[string]string{}}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, o := l[k], byCfg[k]
		c.Given[k] = v.where
		if err := o.set(c, v); err != nil {
			return nil, fmt.Errorf("%s: %w", v.where, err)
		}
	}
	return c, nil
}

func (o *option) set(c *Config, v value) error {
	one := ""
	if len(v.items) > 0 {
		one = v.items[0]
	}
	if o.kind != kList && len(v.items) > 1 {
		return fmt.Errorf("a list, but %s takes one value", o.cfg)
	}
	switch f := o.field(c).(type) {
	case *string:
		*f = one
	case *Secret:
		*f = Secret{Value: one, Known: len(v.items) > 0, From: v.from}
	case *bool:
		if len(v.items) == 0 {
			return nil // from a reference whose value is unknown
		}
		b, err := strconv.ParseBool(one)
		if err != nil {
			return fmt.Errorf("%q is not true or false", one)
		}
		*f = b
	case *time.Duration:
		if len(v.items) == 0 {
			return nil
		}
		d, err := parseDuration(one)
		if err != nil {
			return err
		}
		*f = d
	case *[]string:
		*f = listItems(v)
	}
	return nil
}

// listItems splits a single string at commas, as viper's default decode
// hook (StringToSliceHookFunc(",")) does for an environment variable or
// a TOML string given for a list option; items are not trimmed.
func listItems(v value) []string {
	if v.list {
		return append([]string{}, v.items...)
	}
	if len(v.items) == 0 || v.items[0] == "" {
		return []string{}
	}
	return strings.Split(v.items[0], ",")
}

// parseDuration reads a duration as spf13/cast does for viper: a Go
// duration, or a bare number of nanoseconds.
func parseDuration(s string) (time.Duration, error) {
	if !strings.ContainsAny(s, "nsuµmh") {
		s += "ns"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (such as 30m or 168h)", strings.TrimSuffix(s, "ns"))
	}
	return d, nil
}
