package oauth2proxy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// configTest runs the real oauth2-proxy (hack/e2e-binaries.sh, v7.15.6)
// with --config-test on files, as the Deployment runs it: the files in
// one directory, the secrets in the environment.
func configTest(t *testing.T, bin string, files Files) (string, error) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--config=" + filepath.Join(dir, format.ConfigKey), "--config-test"}
	if err := os.WriteFile(args[0][len("--config="):], []byte(files.Config), 0o600); err != nil {
		t.Fatal(err)
	}
	if files.Alpha != "" {
		p := filepath.Join(dir, format.AlphaConfigKey)
		if err := os.WriteFile(p, []byte(files.Alpha), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--alpha-config="+p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"OAUTH2_PROXY_CLIENT_SECRET=client-secret", "OAUTH2_PROXY_COOKIE_SECRET=0123456789abcdef0123456789abcdef"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The real oauth2-proxy accepts every config pair render writes: each
// userHeaderClaim, a token app, the variants of a shared sign-in host.
// The control shows the check can fail: a legacy option left in the
// config file beside --alpha-config stops oauth2-proxy.
func TestIntegrationRealOAuth2ProxyAcceptsRenderedConfigs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real oauth2-proxy")
	}
	bin := testenv.Bin(t, "oauth2-proxy")
	var cases []struct {
		name  string
		files Files
	}
	add := func(spec *v1alpha1.Spec) {
		for _, p := range Proxies(spec) {
			files, err := ProxyConfig(spec, p, false)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, struct {
				name  string
				files Files
			}{p.Name + " (" + string(p.Identity) + " " + string(p.UserClaim) + ")", files})
		}
	}
	for _, claim := range v1alpha1.UserHeaderClaims {
		spec := sharedSpec(t)
		spec.Auth = v1alpha1.Auth{}
		spec.Apps[0].UserHeaderClaim = claim
		add(spec)
	}
	shared := sharedSpec(t)
	shared.Apps[1].UserHeaderClaim = v1alpha1.UserHeaderSub
	add(shared)
	for _, c := range cases {
		out, err := configTest(t, bin, c.files)
		if err != nil || !strings.Contains(out, "configuration is valid") {
			t.Errorf("%s: oauth2-proxy refuses the rendered config (%v):\n%s\n%s\n%s", c.name, err, out, c.files.Config, c.files.Alpha)
		}
	}
	bad := cases[0].files
	if bad.Alpha == "" {
		t.Fatal("the first case has no alpha config")
	}
	bad.Config += "set_xauthrequest = true\n"
	if out, err := configTest(t, bin, bad); err == nil || !strings.Contains(out, "invalid keys: set_xauthrequest") {
		t.Errorf("control: oauth2-proxy took set_xauthrequest beside --alpha-config (%v):\n%s", err, out)
	}
}
