//go:build e2e

package local

import (
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// proxyArgs writes an oauth2-proxy's applied config files (its ConfigMap's
// data) under dir and returns the arguments that run it on addr with the
// issuer CA at a local path. Beside a legacy config these are flags; beside
// an alpha config (a headers-mode proxy) oauth2-proxy knows neither flag
// (main.go loadOptions parses with options.NewFlagSet), so the alpha
// config's server.bindAddress and caFiles are rewritten instead, and
// nothing else of it.
func proxyArgs(t testing.TB, dir string, data map[string]string, addr string) []string {
	t.Helper()
	args := []string{"--config=" + writeFile(t, filepath.Join(dir, format.ConfigKey), []byte(data[format.ConfigKey]))}
	ca := ""
	if c, ok := data["issuer-ca.crt"]; ok {
		ca = writeFile(t, filepath.Join(dir, "issuer-ca.crt"), []byte(c))
	}
	alpha, ok := data[format.AlphaConfigKey]
	if !ok {
		args = append(args, "--http-address="+addr)
		if ca != "" {
			args = append(args, "--provider-ca-file="+ca)
		}
		return args
	}
	var a format.AlphaConfig
	// Strict: every field render writes is modelled, so none is lost here.
	if err := yaml.UnmarshalStrict([]byte(alpha), &a); err != nil {
		t.Fatalf("the applied alpha config: %v\n%s", err, alpha)
	}
	if len(a.Providers) != 1 {
		t.Fatalf("the applied alpha config has %d providers:\n%s", len(a.Providers), alpha)
	}
	a.Server.BindAddress = addr
	if ca != "" {
		a.Providers[0].CAFiles = []string{ca}
	}
	out, err := yaml.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	return append(args, "--alpha-config="+writeFile(t, filepath.Join(dir, format.AlphaConfigKey), out))
}
