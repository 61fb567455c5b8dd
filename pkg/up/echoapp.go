package up

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// The demo app of `authstack up` is stock nginx (the edge's image: nothing
// more to pull, build or load) with a configuration that answers every
// request with the identity it carries, as text: the bearer token in token
// mode, the X-Auth-Request-* headers oauth2-proxy sets in headers mode.
//
// Why not a ready-made echo server: traefik/whoami's module is not served
// by the Go module proxy (403), so the locally built images could not run
// the same program; agnhost netexec (registry.k8s.io/e2e-test-images)
// answers /shell, /upload and /exit to anyone who reaches it, i.e. to every
// logged-in user, and its --http-override drops the request's headers
// (k8s.io/kubernetes test/images/agnhost/netexec/netexec.go builds a new
// request without them).

// echoIdentityHeaders are the request headers each mode shows: those the
// rendered Ingress takes from oauth2-proxy's answer
// (nginx.ingress.kubernetes.io/auth-response-headers).
var echoIdentityHeaders = map[string][]string{
	"token":   {"Authorization"},
	"headers": oauth2proxy.IdentityHeaders,
}

// EchoConfig is the nginx.conf of a demo app in mode (token or headers)
// listening on port: unprivileged (temporary files and pid in /tmp, an
// emptyDir), no access log (it would hold nothing identifying, but a token
// app's requests are nobody's business), text/plain with nosniff so a
// header value is never rendered as HTML.
func EchoConfig(mode string, port int32) (string, error) {
	headers, ok := echoIdentityHeaders[mode]
	if !ok {
		return "", fmt.Errorf("demo app mode %q: want token or headers", mode)
	}
	var body strings.Builder
	fmt.Fprintf(&body, "authstack demo app (identity: %s): what this request carried\\n\\n", mode)
	for _, h := range headers {
		// nginx's $http_NAME is request header NAME, lower case, - as _.
		fmt.Fprintf(&body, "%s: $http_%s\\n", h, strings.ReplaceAll(strings.ToLower(h), "-", "_"))
	}
	return fmt.Sprintf(`worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path /tmp/client_body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  server {
    listen %d;
    default_type text/plain;
    add_header X-Content-Type-Options nosniff always;
    add_header Cache-Control no-store always;
    location = /healthz { return 200 "ok\n"; }
    location / { return 200 "%s"; }
  }
}
`, port, body.String()), nil
}

// DeployEchoApps runs image (an nginx image) as each demo app, configured by
// EchoConfig, behind a Service named like the app's upstream.
func DeployEchoApps(ctx context.Context, cs kubernetes.Interface, image string, apps []DemoApp) error {
	for _, app := range apps {
		conf, err := EchoConfig(app.Mode, app.Port)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", app.Namespace, app.Service, err)
		}
		if err := create(ctx, "namespace "+app.Namespace, cs.CoreV1().Namespaces().Create, RestrictedNamespace(app.Namespace)); err != nil {
			return err
		}
		cmName := app.Service + "-demo-nginx"
		if err := create(ctx, "ConfigMap "+app.Namespace+"/"+cmName, cs.CoreV1().ConfigMaps(app.Namespace).Create, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: cmName, Labels: app.Labels}, Data: map[string]string{"nginx.conf": conf}}); err != nil {
			return err
		}
		dep := demoDeployment(app, corev1.Container{
			Image: image,
			// -e stderr: nginx opens its compiled-in error log before it
			// reads -c, and the root filesystem is read-only.
			Command: []string{"nginx", "-e", "stderr", "-c", "/etc/demo-app/nginx.conf", "-g", "daemon off;"},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "conf", MountPath: "/etc/demo-app", ReadOnly: true},
				{Name: "tmp", MountPath: "/tmp"},
			},
		}, []corev1.Volume{
			{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: cmName}}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		})
		if err := create(ctx, "Deployment "+app.Namespace+"/"+app.Service, cs.AppsV1().Deployments(app.Namespace).Create, dep); err != nil {
			return err
		}
		if err := createAppService(ctx, cs, app); err != nil {
			return err
		}
	}
	return nil
}
