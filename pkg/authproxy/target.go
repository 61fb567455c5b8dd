package authproxy

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Kind says what a Target names.
type Kind string

// Target kinds.
const (
	// KindDashboard asks Resolve to find the Kubernetes Dashboard or Headlamp.
	KindDashboard Kind = "dashboard"
	KindService   Kind = "service"
	KindPod       Kind = "pod"
)

// Target is what the user asked to reach, parsed from the command line.
type Target struct {
	Kind Kind
	Name string
	// Scheme is "http" or "https" when the user said so (kauthproxy's URL
	// form); empty lets Resolve infer it from the Service port.
	Scheme string
	// Port is the Service or container port the URL named; 0 picks one.
	Port int
}

func (t Target) String() string {
	if t.Kind == KindDashboard {
		return "the dashboard"
	}
	return string(t.Kind) + "/" + t.Name
}

// ParseTarget reads the positional argument of authstack proxy: empty (find
// the dashboard), SERVICE, svc/SERVICE, service/SERVICE, pod/NAME, or
// kauthproxy's URL form SCHEME://SERVICE.svc[:PORT] and SCHEME://POD[:PORT],
// so that kauthproxy users can switch without relearning.
func ParseTarget(arg string) (Target, error) {
	if arg == "" {
		return Target{Kind: KindDashboard}, nil
	}
	if strings.Contains(arg, "://") {
		return parseURLTarget(arg)
	}
	kind, name, found := strings.Cut(arg, "/")
	if !found {
		return Target{Kind: KindService, Name: arg}, nil
	}
	if name == "" || strings.Contains(name, "/") {
		return Target{}, fmt.Errorf("target %q: want SERVICE, pod/NAME, svc/NAME or https://SERVICE.svc", arg)
	}
	switch strings.ToLower(kind) {
	case "svc", "service", "services":
		return Target{Kind: KindService, Name: name}, nil
	case "po", "pod", "pods":
		return Target{Kind: KindPod, Name: name}, nil
	}
	return Target{}, fmt.Errorf("target %q: unknown kind %q, want pod/NAME or svc/NAME", arg, kind)
}

func parseURLTarget(arg string) (Target, error) {
	u, err := url.Parse(arg)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", arg, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Target{}, fmt.Errorf("target %q: scheme %q, want http or https", arg, u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return Target{}, fmt.Errorf("target %q: only SCHEME://NAME[:PORT] is understood, without user, path or query", arg)
	}
	t := Target{Kind: KindPod, Name: u.Hostname(), Scheme: u.Scheme}
	// kauthproxy's rule: a host ending in .svc names a Service, any other a Pod.
	if name, ok := strings.CutSuffix(t.Name, ".svc"); ok {
		t.Kind, t.Name = KindService, name
	}
	if strings.Contains(t.Name, ".") || t.Name == "" {
		return Target{}, fmt.Errorf("target %q: want SCHEME://SERVICE.svc or SCHEME://POD; select the namespace with -n, not in the host name", arg)
	}
	if p := u.Port(); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil || t.Port < 1 || t.Port > 65535 {
			return Target{}, fmt.Errorf("target %q: port %q is not a port number", arg, p)
		}
	}
	return t, nil
}
