//go:build e2e_kind

package kind

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// TestEdgeConfigFromRenderedIngresses translates the kind example's golden
// Ingresses and, where Debian's nginx is installed, has nginx check the result.
func TestEdgeConfigFromRenderedIngresses(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "manifests")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "render", "kind.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "all.yaml"), golden, 0o644); err != nil {
		t.Fatal(err)
	}
	ings := renderedObjects[networkingv1.Ingress](t, dir, "Ingress")
	svcs := renderedObjects[corev1.Service](t, dir, "Service")
	conf, err := edgeConfig(ings, svcs, "10.96.0.10", filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"server_name dex.127.0.0.1.nip.io;",
		`"http://dex.dex.svc.cluster.local:5556"`,
		`"http://oauth2-proxy-whoami.apps.svc.cluster.local:4180/oauth2/auth"`,
		"auth_request_set $authresp_",
		"proxy_set_header Authorization $authresp_",
		"proxy_set_header X-Auth-Request-Groups $authresp_",
		"return 302 https://whoami.127.0.0.1.nip.io/oauth2/start?rd=$scheme://$host$request_uri;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("edge config lacks %q:\n%s", want, conf)
		}
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Log("no nginx here: syntax not checked")
		return
	}
	ca := filepath.Join(dir, "tls")
	cmd := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=edge", "-keyout", ca+".key", "-out", ca+".crt", "-days", "1")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, o)
	}
	conf = strings.Replace(conf, "pid /tmp/nginx.pid;", "pid "+filepath.Join(dir, "nginx.pid")+";", 1)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := exec.Command(nginx, "-t", "-c", filepath.Join(dir, "nginx.conf"), "-e", "/dev/stderr").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, o, conf)
	}
}

// The edge refuses an Ingress the real controller would deny or treat
// differently, instead of translating part of it.
func TestEdgeConfigRefusesWhatIngressNginxRefuses(t *testing.T) {
	class := "nginx"
	for name, ann := range map[string]string{
		"nginx.ingress.kubernetes.io/auth-response-headers": "Authorization X-User",
		"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_input_headers X-User: admin;",
	} {
		ing := networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: &class}}
		ing.Name, ing.Namespace = "app", "apps"
		ing.Annotations = map[string]string{"nginx.ingress.kubernetes.io/auth-url": "http://oauth2-proxy-app.apps.svc.cluster.local:4180/oauth2/auth", name: ann}
		if _, err := edgeConfig([]networkingv1.Ingress{ing}, nil, "10.96.0.10", "tls.crt", "tls.key"); err == nil || !strings.Contains(err.Error(), "apps/app") {
			t.Errorf("%s: err = %v, want the Ingress refused", name, err)
		}
	}
}
