package initspec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Preset is a well-known web app: where its Service usually is and how it
// learns who the user is.
type Preset struct {
	Name        string
	Description string
	Namespace   string
	Service     string
	Port        int32
	Protocol    string
	Identity    v1alpha1.IdentityMode
	// PodSelector is the selector of Service in the app's usual Helm chart,
	// for the NetworkPolicy that keeps other pods from bypassing the login.
	PodSelector map[string]string
}

// Presets of the apps init offers, by name.
var Presets = map[string]Preset{
	// The Dashboard's Helm chart (v7+) serves through Kong on HTTPS.
	// Kong's Pods, as the Dashboard chart's Kong subchart labels them (release kubernetes-dashboard).
	"dashboard": {Name: "dashboard", Description: "Kubernetes Dashboard (acts with the user's token)", Namespace: "kubernetes-dashboard", Service: "kubernetes-dashboard-kong-proxy", Port: 443, Protocol: "HTTPS", Identity: v1alpha1.IdentityToken,
		PodSelector: map[string]string{"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kubernetes-dashboard"}},
	"headlamp": {Name: "headlamp", Description: "Headlamp (acts with the user's token)", Namespace: "headlamp", Service: "headlamp", Port: 80, Identity: v1alpha1.IdentityToken,
		PodSelector: map[string]string{"app.kubernetes.io/name": "headlamp"}},
	// prometheus-operated is the operator's governing Service of every Prometheus.
	"prometheus": {Name: "prometheus", Description: "Prometheus (identity headers)", Namespace: "monitoring", Service: "prometheus-operated", Port: 9090, Identity: v1alpha1.IdentityHeaders,
		PodSelector: map[string]string{"app.kubernetes.io/name": "prometheus"}},
	"grafana": {Name: "grafana", Description: "Grafana (identity headers)", Namespace: "monitoring", Service: "grafana", Port: 80, Identity: v1alpha1.IdentityHeaders,
		PodSelector: map[string]string{"app.kubernetes.io/name": "grafana"}},
}

// PresetNames are the preset names in the order they are offered.
var PresetNames = []string{"dashboard", "headlamp", "prometheus", "grafana"}

// AppSyntax describes the --app value.
const AppSyntax = "NAME=HOST[:token|headers] for dashboard, headlamp, prometheus, grafana; NAME=HOST:token|headers@NAMESPACE/SERVICE:PORT for any other app"

// ParseApp reads one --app value: "dashboard=dash.example.com:token" for a
// preset, "wiki=wiki.example.com:headers@docs/wiki:8080" for any other app.
func ParseApp(s string) (v1alpha1.App, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" || rest == "" {
		return v1alpha1.App{}, fmt.Errorf("app %q: want %s", s, AppSyntax)
	}
	target, upstream, custom := strings.Cut(rest, "@")
	host, mode := target, ""
	if i := strings.LastIndex(target, ":"); i >= 0 {
		if m := target[i+1:]; m == string(v1alpha1.IdentityToken) || m == string(v1alpha1.IdentityHeaders) {
			host, mode = target[:i], m
		}
	}
	app := v1alpha1.App{Name: name, Host: host, Identity: v1alpha1.IdentityMode(mode)}
	if !custom {
		p, known := Presets[name]
		if !known {
			return v1alpha1.App{}, fmt.Errorf("app %q: %q is not a preset (%s); for another app give its Service: %s=%s:token@NAMESPACE/SERVICE:PORT", s, name, strings.Join(PresetNames, ", "), name, host)
		}
		app.Namespace = p.Namespace
		app.Upstream = v1alpha1.Upstream{Service: p.Service, Port: p.Port, Protocol: p.Protocol}
		app.PodSelector = p.PodSelector
		if mode == "" {
			app.Identity = p.Identity
		}
		return app, nil
	}
	if mode == "" {
		return v1alpha1.App{}, fmt.Errorf("app %q: say how %s learns who the user is: %s=%s:token@... (the user's id token, as Dashboard and Headlamp need) or :headers@... (X-Auth-Request-* headers)", s, name, name, host)
	}
	ns, svcPort, ok := strings.Cut(upstream, "/")
	svc, portText, ok2 := strings.Cut(svcPort, ":")
	port, err := strconv.ParseInt(portText, 10, 32)
	if !ok || !ok2 || ns == "" || svc == "" || err != nil {
		return v1alpha1.App{}, fmt.Errorf("app %q: the upstream %q must be NAMESPACE/SERVICE:PORT, such as docs/wiki:8080", s, upstream)
	}
	app.Namespace = ns
	app.Upstream = v1alpha1.Upstream{Service: svc, Port: int32(port)}
	return app, nil
}

// FormatApp is the inverse of ParseApp for a preset or custom app.
func FormatApp(a v1alpha1.App) string {
	if p, ok := Presets[a.Name]; ok && p.Namespace == a.Namespace && p.Service == a.Upstream.Service && p.Port == a.Upstream.Port {
		return fmt.Sprintf("%s=%s:%s", a.Name, a.Host, a.Identity)
	}
	return fmt.Sprintf("%s=%s:%s@%s/%s:%d", a.Name, a.Host, a.Identity, a.Namespace, a.Upstream.Service, a.Upstream.Port)
}
