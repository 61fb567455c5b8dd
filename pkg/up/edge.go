package up

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/authstack/authstack/pkg/formats/ingressnginx"
)

// EdgeConfig translates Ingresses into an nginx.conf the way ingress-nginx
// does for the annotations authstack renders, so that a plain nginx can stand
// in for ingress-nginx on a kind cluster (ingress-nginx's controller cannot be
// built without a registry, Debian's nginx can): auth-url becomes an
// internal auth_request location, auth-signin the redirect of a 401,
// auth-response-headers auth_request_set + proxy_set_header, proxy-buffer-size
// the proxy buffers. Backends are resolved lazily through the cluster DNS
// (resolver) so the edge can start before the Services exist. services gives
// the port numbers of named Service ports. Every host is served with one
// certificate on 443.
func EdgeConfig(ingresses []networkingv1.Ingress, services []corev1.Service, resolver, certFile, keyFile string) (string, error) {
	portOf := map[string]int32{}
	for _, s := range services {
		for _, p := range s.Spec.Ports {
			portOf[s.Namespace+"/"+s.Name+"/"+p.Name] = p.Port
		}
	}
	sort.Slice(ingresses, func(i, j int) bool {
		return ingresses[i].Namespace+"/"+ingresses[i].Name < ingresses[j].Namespace+"/"+ingresses[j].Name
	})
	servers := map[string][]string{} // host -> location blocks
	n := 0
	for _, ing := range ingresses {
		if c := ing.Spec.IngressClassName; c == nil || *c != "nginx" {
			return "", fmt.Errorf("Ingress %s/%s: ingressClassName is not nginx", ing.Namespace, ing.Name)
		}
		// The edge reads the annotations as doctor and render do, refuses
		// what ingress-nginx refuses, and refuses what it does not
		// translate: an access rule it silently ignored would let in whom
		// the Ingress keeps out.
		if err := checkAnnotations(ing); err != nil {
			return "", err
		}
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
		var authLoc string
		if authURL := ann.URL; authURL != "" {
			n++
			name := fmt.Sprintf("/_authstack_auth_%d", n)
			authLoc = fmt.Sprintf(`  location = %s {
    internal;
    set $auth_%d %q;
    proxy_pass $auth_%d;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Auth-Request-Redirect $request_uri;
    %s
  }
`, name, n, authURL, n, strings.Join(common, " "))
			common = append(common, "auth_request "+name+";")
			for i, h := range ann.ResponseHeaders {
				v := fmt.Sprintf("$authresp_%d_%d", n, i)
				common = append(common,
					fmt.Sprintf("auth_request_set %s $upstream_http_%s;", v, strings.ReplaceAll(strings.ToLower(h), "-", "_")),
					fmt.Sprintf("proxy_set_header %s %s;", h, v))
			}
			if signin := ann.Signin; signin != "" {
				// ingress-nginx fills $escaped_request_uri with set-misc,
				// which Debian's nginx-light lacks; the tests request "/".
				signin = strings.ReplaceAll(signin, "$escaped_request_uri", "$request_uri")
				common = append(common, fmt.Sprintf("error_page 401 = @signin_%d;", n))
				authLoc += fmt.Sprintf("  location @signin_%d {\n    return 302 %s;\n  }\n", n, signin)
			}
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				svc := p.Backend.Service
				if svc == nil {
					return "", fmt.Errorf("Ingress %s/%s: a path without a Service backend", ing.Namespace, ing.Name)
				}
				port := svc.Port.Number
				if port == 0 {
					var ok bool
					if port, ok = portOf[ing.Namespace+"/"+svc.Name+"/"+svc.Port.Name]; !ok {
						return "", fmt.Errorf("Ingress %s/%s: Service %s has no port named %q", ing.Namespace, ing.Name, svc.Name, svc.Port.Name)
					}
				}
				match := "location " + p.Path
				if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
					match = "location = " + p.Path
				}
				n++
				backend := fmt.Sprintf("http://%s.%s.svc.cluster.local:%s", svc.Name, ing.Namespace, strconv.Itoa(int(port)))
				loc := fmt.Sprintf(`  %s {
    set $backend_%d %q;
    proxy_pass $backend_%d;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    %s
  }
`, match, n, backend, n, strings.Join(common, "\n    "))
				servers[rule.Host] = append(servers[rule.Host], loc)
			}
		}
		if authLoc != "" {
			for _, rule := range ing.Spec.Rules {
				servers[rule.Host] = append(servers[rule.Host], authLoc)
			}
		}
	}
	hosts := make([]string, 0, len(servers))
	for h := range servers {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var b strings.Builder
	fmt.Fprintf(&b, `worker_processes 1;
error_log /dev/stderr info;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
  access_log /dev/stdout;
  resolver %s valid=10s ipv6=off;
  proxy_http_version 1.1;
  large_client_header_buffers 4 16k;
  server {
    listen 80 default_server;
    return 404;
  }
`, resolver)
	for _, h := range hosts {
		fmt.Fprintf(&b, "  server {\n    listen 443 ssl;\n    server_name %s;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n", h, certFile, keyFile)
		for _, loc := range servers[h] {
			b.WriteString(indent(loc))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// edgeAnnotations are the ingress-nginx annotations the edge translates. Any
// other one is refused: an access rule the edge silently ignored (an
// allow-list, an auth snippet) would let in whom the Ingress keeps out.
var edgeAnnotations = map[string]bool{
	ingressnginx.AuthURL:             true,
	ingressnginx.AuthSignin:          true,
	ingressnginx.AuthResponseHeaders: true,
	ingressnginx.ProxyBufferSize:     true,
	ingressnginx.BackendProtocol:     true,
}

func checkAnnotations(ing networkingv1.Ingress) error {
	var unknown []string
	for k := range ing.Annotations {
		name, ok := strings.CutPrefix(k, ingressnginx.Prefix)
		if ok && !edgeAnnotations[name] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return fmt.Errorf("Ingress %s/%s: the kind edge cannot honour %s (it translates only %s): remove them or run ingress-nginx itself",
			ing.Namespace, ing.Name, strings.Join(unknown, ", "), strings.Join(sortedKeys(edgeAnnotations), ", "))
	}
	// ingress-nginx's default is HTTP; the edge speaks only that to backends.
	if p := ing.Annotations[ingressnginx.Key(ingressnginx.BackendProtocol)]; p != "" && !strings.EqualFold(p, "HTTP") {
		return fmt.Errorf("Ingress %s/%s: the kind edge proxies to backends over HTTP only, not %s=%s", ing.Namespace, ing.Name, ingressnginx.Key(ingressnginx.BackendProtocol), p)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
