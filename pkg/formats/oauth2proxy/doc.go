// Package oauth2proxy is the one model of oauth2-proxy's configuration:
// the options authstack renders and doctor checks, parsed from every form
// users have (the TOML config file, OAUTH2_PROXY_* environment variables,
// command-line flags, a Deployment combining them, and the alpha YAML
// config) and printed as the TOML file authstack renders.
//
// Option names, flag spellings, defaults and the precedence of the forms
// are oauth2-proxy's own (pkg/apis/options: the cfg and flag struct tags,
// the flag set defaults, and Load's viper setup).
package oauth2proxy
