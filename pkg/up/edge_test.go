package up

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// goldenObjects reads a golden render of testdata/render.
func goldenObjects(t *testing.T, name string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "render", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// TestEdgeConfigFromRenderedIngresses translates the kind example's golden
// Ingresses and, where Debian's nginx is installed, has nginx check the result.
func TestEdgeConfigFromRenderedIngresses(t *testing.T) {
	dir := t.TempDir()
	objs := goldenObjects(t, "kind.yaml")
	ings, err := objectsOfKind[networkingv1.Ingress](objs, "Ingress")
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := objectsOfKind[corev1.Service](objs, "Service")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := EdgeConfig(ings, svcs, "10.96.0.10", filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
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

// TestEdgeRefusesAnnotationsItCannotHonour: an access rule the edge dropped
// would let in whom the Ingress keeps out, so it is an error naming the
// Ingress and the annotation.
func TestEdgeRefusesAnnotationsItCannotHonour(t *testing.T) {
	objs := goldenObjects(t, "kind.yaml")
	base, err := objectsOfKind[networkingv1.Ingress](objs, "Ingress")
	if err != nil || len(base) == 0 {
		t.Fatalf("ingresses: %v (%d)", err, len(base))
	}
	svcs, _ := objectsOfKind[corev1.Service](objs, "Service")
	for _, c := range []struct{ key, value, want string }{
		{"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8", "cannot honour nginx.ingress.kubernetes.io/whitelist-source-range"},
		{"nginx.ingress.kubernetes.io/auth-snippet", "return 200;", "cannot honour nginx.ingress.kubernetes.io/auth-snippet"},
		{"nginx.ingress.kubernetes.io/backend-protocol", "HTTPS", "over HTTP only"},
	} {
		ings := []networkingv1.Ingress{*base[0].DeepCopy()}
		if ings[0].Annotations == nil {
			ings[0].Annotations = map[string]string{}
		}
		ings[0].Annotations[c.key] = c.value
		_, err := EdgeConfig(ings, svcs, "10.96.0.10", "c", "k")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ings[0].Namespace+"/"+ings[0].Name) {
			t.Errorf("%s=%s: got %v, want an error naming the Ingress and %q", c.key, c.value, err, c.want)
		}
	}
}

// The edge refuses an Ingress the real controller would deny, instead of
// translating part of it.
func TestEdgeConfigRefusesWhatIngressNginxRefuses(t *testing.T) {
	class := "nginx"
	for name, ann := range map[string]string{
		"nginx.ingress.kubernetes.io/auth-response-headers": "Authorization X-User",
		"nginx.ingress.kubernetes.io/auth-url":              "oauth2-proxy-app/oauth2/auth",
	} {
		ing := networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: &class}}
		ing.Name, ing.Namespace = "app", "apps"
		ing.Annotations = map[string]string{"nginx.ingress.kubernetes.io/auth-url": "http://oauth2-proxy-app.apps.svc.cluster.local:4180/oauth2/auth", name: ann}
		if _, err := EdgeConfig([]networkingv1.Ingress{ing}, nil, "10.96.0.10", "tls.crt", "tls.key"); err == nil || !strings.Contains(err.Error(), "apps/app") {
			t.Errorf("%s: err = %v, want the Ingress refused", name, err)
		}
	}
}
