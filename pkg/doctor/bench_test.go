package doctor

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fullInputs writes the token and key set next to the healthy artifacts
// and names every artifact doctor reads.
func fullInputs(b testing.TB) Inputs {
	a := healthy(b)
	dir := b.TempDir()
	tok := filepath.Join(dir, "token.jwt")
	jwks := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(tok, []byte(signJWT(b, a.header, a.claims)), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(jwks, []byte(a.jwks), 0o600); err != nil {
		b.Fatal(err)
	}
	h := func(n string) string { return filepath.Join(healthyDir, n) }
	return Inputs{
		AuthenticationConfig: h("authentication-config.yaml"), APIServerManifest: h("kube-apiserver.yaml"),
		KubesprayVars: h("kubespray-vars.yaml"), KubeadmConfig: h("kubeadm-config.yaml"), DexConfig: h("dex.yaml"),
		OAuth2ProxyConfigs: []string{h("oauth2_proxy.cfg")}, Ingress: []string{h("ingress.yaml")}, RBAC: []string{h("rbac.yaml")},
		Kubeconfig: h("kubeconfig.yaml"), Token: tok, JWKS: jwks, Now: testNow,
	}
}

// The whole offline run on the full artifact set must stay under 50 ms.
func BenchmarkOfflineFullArtifacts(b *testing.B) {
	in := fullInputs(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := Load(in)
		if err != nil {
			b.Fatal(err)
		}
		r := Diagnose(m)
		if r.Errors() != 0 {
			b.Fatalf("healthy artifacts gave %d errors", r.Errors())
		}
		if err := WriteText(io.Discard, r, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOfflineSpec(b *testing.B) {
	for i := 0; i < b.N; i++ {
		m, err := Load(Inputs{Spec: "../../examples/dashboard-token/authstack.yaml", Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		Diagnose(m)
	}
}

func TestFullArtifactsLoad(t *testing.T) {
	m, err := Load(fullInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	r := Diagnose(m)
	for _, f := range r.Findings {
		if f.Severity != Info {
			t.Errorf("%s %s: %s", f.Code, f.Name, f.Message)
		}
	}
	if m.Token == nil || m.JWKS == nil || m.Kubespray == nil || m.Kubeadm == nil || len(m.APIServers) != 4 {
		t.Fatalf("not every artifact was read: %d API server views", len(m.APIServers))
	}
}
