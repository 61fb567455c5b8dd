//go:build e2e

package local

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	"github.com/authstack/authstack/pkg/render/oauth2proxy"
)

// nginxConfig translates the applied Ingresses into an nginx configuration
// the way ingress-nginx does for the annotations authstack uses: auth-url
// becomes an internal auth_request location, auth-signin the redirect of a
// 401, auth-response-headers auth_request_set + proxy_set_header. backends
// maps "namespace/service" to the local address standing in for the
// Service; the port each host listens on comes from the spec.
func nginxConfig(prefix string, stack *config.Stack, ingresses []networkingv1.Ingress, backends map[string]string, cert, key string) (string, error) {
	listenOf := map[string]string{}
	for _, a := range stack.Spec.Apps {
		_, port, err := net.SplitHostPort(a.Host)
		if err != nil {
			return "", fmt.Errorf("app %s: host %q has no port; the local tier needs one per app", a.Name, a.Host)
		}
		listenOf[a.Namespace+"/"+a.Name] = "127.0.0.1:" + port
		listenOf[a.Namespace+"/oauth2-proxy-"+a.Name] = "127.0.0.1:" + port
	}
	// The shared sign-in host's Ingress (spec.auth.host).
	if au := stack.Spec.Auth; au.Host != "" {
		_, port, err := net.SplitHostPort(au.Host)
		if err != nil {
			return "", fmt.Errorf("spec.auth.host %q has no port; the local tier needs one", au.Host)
		}
		listenOf[au.Namespace+"/"+oauth2proxy.SharedName] = "127.0.0.1:" + port
	}
	// Ingresses of one host share a server block.
	locations := map[string][]string{}
	sort.Slice(ingresses, func(i, j int) bool { return ingresses[i].Name < ingresses[j].Name })
	for n, ing := range ingresses {
		listen, ok := listenOf[ing.Namespace+"/"+ing.Name]
		if !ok {
			return "", fmt.Errorf("Ingress %s/%s belongs to no app of the spec", ing.Namespace, ing.Name)
		}
		// The translator reads the annotations as doctor and render do, and
		// refuses what ingress-nginx refuses or what it does not translate,
		// so a test never passes on an Ingress the real controller treats
		// differently.
		ann, err := ingressnginx.Parse(ing.Annotations)
		if err != nil {
			return "", fmt.Errorf("Ingress %s/%s: %w", ing.Namespace, ing.Name, err)
		}
		if len(ann.Snippets) > 0 {
			return "", fmt.Errorf("Ingress %s/%s: snippet annotations are not translated", ing.Namespace, ing.Name)
		}
		var common []string
		if v := ann.ProxyBufferSize; v != "" {
			common = append(common, "proxy_buffer_size "+v+";", "proxy_buffers 4 "+v+";")
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, path := range rule.HTTP.Paths {
				svc := path.Backend.Service
				if svc == nil {
					return "", fmt.Errorf("Ingress %s/%s: only Service backends are supported", ing.Namespace, ing.Name)
				}
				backend, ok := backends[ing.Namespace+"/"+svc.Name]
				if !ok {
					return "", fmt.Errorf("Ingress %s/%s: no local process for Service %s", ing.Namespace, ing.Name, svc.Name)
				}
				var loc []string
				loc = append(loc, common...)
				authName := fmt.Sprintf("/_external_auth_%d", n)
				signinName := fmt.Sprintf("@signin_%d", n)
				if authURL := ann.URL; authURL != "" {
					target, err := localAuthURL(authURL, backends)
					if err != nil {
						return "", fmt.Errorf("Ingress %s/%s: %w", ing.Namespace, ing.Name, err)
					}
					locations[listen] = append(locations[listen], fmt.Sprintf(`location = %s {
        internal;
        proxy_pass %s;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        proxy_set_header X-Original-Method $request_method;
        proxy_set_header X-Auth-Request-Redirect $request_uri;
        proxy_buffer_size 16k;
        proxy_buffers 4 16k;
    }`, authName, target))
					loc = append(loc, "auth_request "+authName+";", "auth_request_set $auth_cookie $upstream_http_set_cookie;", "add_header Set-Cookie $auth_cookie;")
					for i, h := range ann.ResponseHeaders {
						v := fmt.Sprintf("$authHeader%d_%d", n, i)
						variable := "$upstream_http_" + strings.ToLower(strings.ReplaceAll(h, "-", "_"))
						loc = append(loc, fmt.Sprintf("auth_request_set %s %s;", v, variable), fmt.Sprintf("proxy_set_header %s %s;", h, v))
					}
					if signin := ann.Signin; signin != "" {
						loc = append(loc, "error_page 401 = "+signinName+";")
						// ingress-nginx sets $escaped_request_uri with the
						// set-misc module, which Debian's nginx lacks; the
						// tier's paths need no escaping.
						locations[listen] = append(locations[listen], fmt.Sprintf(`location %s {
        internal;
        set $escaped_request_uri $request_uri;
        add_header Set-Cookie $auth_cookie;
        return 302 %s;
    }`, signinName, signin))
					}
				}
				loc = append(loc,
					"proxy_set_header Host $http_host;",
					"proxy_set_header X-Forwarded-Proto $scheme;",
					"proxy_set_header X-Forwarded-Host $http_host;",
					"proxy_set_header X-Real-IP $remote_addr;",
					"proxy_pass http://"+backend+";")
				op := ""
				if path.PathType != nil && *path.PathType == networkingv1.PathTypeExact {
					op = "= "
				}
				locations[listen] = append(locations[listen], fmt.Sprintf("location %s%s {\n        %s\n    }", op, path.Path, strings.Join(loc, "\n        ")))
			}
		}
	}
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, `worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    ssl_certificate %[2]s;
    ssl_certificate_key %[3]s;
    proxy_http_version 1.1;
`, prefix, cert, key)
	listens := make([]string, 0, len(locations))
	for l := range locations {
		listens = append(listens, l)
	}
	sort.Strings(listens)
	for _, l := range listens {
		fmt.Fprintf(&b, "    server {\n        listen %s ssl;\n        server_name 127.0.0.1;\n    %s\n    }\n", l, strings.Join(locations[l], "\n    "))
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// localAuthURL points an auth-url at the local process of its Service
// (http://NAME.NAMESPACE.svc.cluster.local:PORT/PATH).
func localAuthURL(raw string, backends map[string]string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("auth-url %q: %w", raw, err)
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) < 2 {
		return "", fmt.Errorf("auth-url %q does not name a Service", raw)
	}
	addr, ok := backends[parts[1]+"/"+parts[0]]
	if !ok {
		return "", fmt.Errorf("auth-url %q: no local process for Service %s/%s", raw, parts[1], parts[0])
	}
	u.Host = addr
	return u.String(), nil
}

// startNginx writes the translated configuration and runs Debian's nginx
// with its own prefix, pid and temp dirs.
func startNginx(t testing.TB, dir string, stack *config.Stack, ingresses []networkingv1.Ingress, backends map[string]string, cert, key string) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Fatal("/usr/sbin/nginx is missing: run hack/e2e-deps.sh")
	}
	for _, d := range []string{"tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf, err := nginxConfig(dir, stack, ingresses, backends, cert, key)
	if err != nil {
		t.Fatalf("translate the Ingresses for nginx: %v", err)
	}
	file := writeFile(t, filepath.Join(dir, "nginx.conf"), []byte(conf))
	p := testenv.StartProcess(t, dir, "nginx", nil, "/usr/sbin/nginx", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", file, "-g", "daemon off; master_process on;")
	for _, a := range stack.Spec.Apps {
		testenv.WaitFor(t, p, "nginx on "+a.Host, func() error { return tcpOpen(a.Host) })
	}
	if h := stack.Spec.Auth.Host; h != "" {
		testenv.WaitFor(t, p, "nginx on "+h, func() error { return tcpOpen(h) })
	}
}
