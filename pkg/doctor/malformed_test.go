package doctor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/safefile"
)

// doctor never stops on a user artifact: whichever flag names it and
// whatever is wrong with it, the file becomes an AS-00 error finding with
// the file, the line when one is known and the likely cause, and the other
// artifacts are still checked.
func TestMalformedArtifactsAreFindings(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.Mkdir(filepath.Join(dir, "a-directory"), 0o700); err != nil {
		t.Fatal(err)
	}
	big := write("big.yaml", bytes.Repeat([]byte("# padding\n"), safefile.MaxSize/10+1))
	type malformation struct {
		path  string
		cause string
		// line is the line the finding must name; 0 when none is known.
		line int
	}
	malformations := map[string]malformation{
		"missing":     {filepath.Join(dir, "missing.yaml"), "no such file", 0},
		"directory":   {filepath.Join(dir, "a-directory"), "is a directory", 0},
		"too big":     {big, "larger than", 0},
		"not UTF-8":   {write("latin1.yaml", []byte("issuer: https://dex.example.com\nname: caf\xe9\n")), "not UTF-8", 2},
		"UTF-16":      {write("utf16.yaml", []byte("\xff\xfek\x00i\x00n\x00d\x00:\x00")), "UTF-16", 1},
		"empty":       {write("empty.yaml", []byte("# nothing here\n---\n")), "empty", 0},
		"invalid":     {write("invalid.yaml", []byte("apiVersion: v1\nkind: x\n  bad: indent\n")), "syntax error", 3},
		"wrong kind":  {write("configmap.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n")), "ConfigMap", 2},
		"not a token": {write("garbage.jwt", []byte("hello world\n")), "JWT", 0},
	}
	flags := map[string]func(p string) Inputs{
		"--authentication-config": func(p string) Inputs { return Inputs{AuthenticationConfig: p} },
		"--apiserver-manifest":    func(p string) Inputs { return Inputs{APIServerManifest: p} },
		"--kubespray-vars":        func(p string) Inputs { return Inputs{KubesprayVars: p} },
		"--kubeadm-config":        func(p string) Inputs { return Inputs{KubeadmConfig: p} },
		"--dex-config":            func(p string) Inputs { return Inputs{DexConfig: p} },
		"--oauth2-proxy-config":   func(p string) Inputs { return Inputs{OAuth2ProxyConfigs: []string{p}} },
		"--ingress":               func(p string) Inputs { return Inputs{Ingress: []string{p}} },
		"--rbac":                  func(p string) Inputs { return Inputs{RBAC: []string{p}} },
		"--manifests":             func(p string) Inputs { return Inputs{Manifests: []string{p}} },
		"--kubeconfig":            func(p string) Inputs { return Inputs{Kubeconfig: p} },
		"--jwks":                  func(p string) Inputs { return Inputs{JWKS: p} },
		"--token":                 func(p string) Inputs { return Inputs{Token: p} },
		"-f":                      func(p string) Inputs { return Inputs{Spec: p} },
	}
	for flag, in := range flags {
		for name, mal := range malformations {
			line := mal.line
			cause := mal.cause
			sev := Error
			switch {
			case name == "wrong kind" && flag == "--manifests":
				// --manifests takes any objects: other kinds are likely.
				sev, cause = Warning, "ConfigMap"
			case name == "not a token" && flag != "--token":
				continue // a token-shaped malformation; other flags get "invalid"
			case name == "invalid" && flag == "--oauth2-proxy-config":
				line, cause = 1, "expected '.' or '='" // oauth2_proxy.cfg is TOML
			case name == "invalid" && flag == "--token":
				line, cause = 0, "JWT"
			case name == "wrong kind" && (flag == "--token"):
				line, cause = 0, "JWT"
			case name == "wrong kind" && (flag == "--jwks"):
				line, cause = 0, "no keys"
			case name == "wrong kind" && flag == "-f":
				line, cause = 1, "ConfigMap" // pkg/config names the line of apiVersion
			case name == "invalid" && flag == "-f":
				cause = "not valid YAML"
			}
			t.Run(flag+" "+name, func(t *testing.T) {
				i := in(mal.path)
				// Evidence for the other checks: a healthy dex config, or
				// (for --dex-config itself) a healthy RBAC file.
				other, otherCode := "AS-44", "dex"
				if flag == "--dex-config" {
					i.RBAC = append(i.RBAC, filepath.Join(healthyDir, "rbac.yaml"))
					other, otherCode = "AS-30", "rbac"
					i.AuthenticationConfig = filepath.Join(healthyDir, "authentication-config.yaml")
				} else {
					i.DexConfig = filepath.Join(healthyDir, "dex.yaml")
				}
				i.Now = testNow
				m, err := Load(i)
				if err != nil {
					t.Fatalf("doctor stopped: %v", err)
				}
				r := Diagnose(m)
				var got []Finding
				for _, f := range r.Findings {
					if f.Code == "AS-00" {
						got = append(got, f)
					}
				}
				if len(got) != 1 {
					t.Fatalf("%d AS-00 findings, want 1: %+v", len(got), got)
				}
				f := got[0]
				where := mal.path
				if line > 0 {
					where = fmt.Sprintf("%s:%d", mal.path, line)
				}
				if f.Severity != sev || len(f.Evidence) != 1 || f.Evidence[0] != where {
					t.Errorf("finding %s %v, want %s with evidence %q", f.Severity, f.Evidence, sev, where)
				}
				if !strings.Contains(f.Message, cause) || !strings.Contains(f.Message, where) {
					t.Errorf("message %q does not name %q and the cause %q", f.Message, where, cause)
				}
				if f.Fix == "" {
					t.Error("no fix")
				}
				if !contains(r.Ran, other) {
					t.Errorf("the %s checks did not run on the valid artifact (ran %v)", otherCode, r.Ran)
				}
				if sev == Error && r.Errors() == 0 {
					t.Error("no error: the exit code would be 0")
				}
			})
		}
	}
}

// A file of objects doctor uses only in part (the dex Deployment, for its
// replicas) is no finding.
func TestManifestsWithOnlyTheDexDeployment(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dex-deploy.yaml")
	data := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dex\n  namespace: dex\n  labels:\n    app.kubernetes.io/name: dex\nspec:\n  replicas: 2\n"
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(Inputs{Manifests: []string{p}, DexConfig: filepath.Join(healthyDir, "dex.yaml"), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Invalid) != 0 || m.Dex.Replicas != 2 {
		t.Errorf("invalid %v, replicas %d", m.Invalid, m.Dex.Replicas)
	}
}

// A finding about a malformed line never shows a secret the parser quotes,
// and a decoding error that names a field gets that field's line.
func TestMalformedFindingsHideSecretsAndNameTheField(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "proxy.cfg")
	dex := filepath.Join(dir, "dex.yaml")
	if err := os.WriteFile(cfg, []byte("client_id = \"x\"\nclient_secret = \"hunter2-secret\nscope = \"openid\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dex, []byte("issuer: https://dex.example.com\nstaticClients:\n- id: a\n  secret: s\n  redirectURIs: https://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(Inputs{OAuth2ProxyConfigs: []string{cfg}, DexConfig: dex, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range m.Invalid {
		all = append(all, f.Message+" "+strings.Join(f.Evidence, " ")+" "+f.Fix)
	}
	out := strings.Join(all, "\n")
	if strings.Contains(out, "hunter2") {
		t.Errorf("a secret is shown:\n%s", out)
	}
	for _, want := range []string{cfg + ":2", dex + ":5", "redirectURIs"} {
		if !strings.Contains(out, want) {
			t.Errorf("findings lack %q:\n%s", want, out)
		}
	}
}
