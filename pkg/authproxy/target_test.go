package authproxy

import (
	"strings"
	"testing"
)

func TestParseTargetAcceptsKauthproxyAndKubectlForms(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want Target
	}{
		{"", Target{Kind: KindDashboard}},
		{"headlamp", Target{Kind: KindService, Name: "headlamp"}},
		{"svc/headlamp", Target{Kind: KindService, Name: "headlamp"}},
		{"service/headlamp", Target{Kind: KindService, Name: "headlamp"}},
		{"pod/web-0", Target{Kind: KindPod, Name: "web-0"}},
		{"https://kubernetes-dashboard.svc", Target{Kind: KindService, Name: "kubernetes-dashboard", Scheme: "https"}},
		{"http://headlamp.svc:80", Target{Kind: KindService, Name: "headlamp", Scheme: "http", Port: 80}},
		{"https://kubernetes-dashboard-57fc4fcb74-jjg77", Target{Kind: KindPod, Name: "kubernetes-dashboard-57fc4fcb74-jjg77", Scheme: "https"}},
		{"https://web-0:8443/", Target{Kind: KindPod, Name: "web-0", Scheme: "https", Port: 8443}},
	} {
		got, err := ParseTarget(tc.arg)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tc.arg, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tc.arg, got, tc.want)
		}
	}
}

func TestParseTargetRejectsWhatItCannotReach(t *testing.T) {
	for arg, want := range map[string]string{
		"deploy/web":                    `unknown kind "deploy"`,
		"pod/":                          "want SERVICE",
		"ftp://web.svc":                 `scheme "ftp"`,
		"https://web.apps.svc":          "select the namespace with -n",
		"https://web.svc/path":          "without user, path or query",
		"https://web.svc:99999":         "not a port number",
		"https://user@web.svc":          "without user",
		"https://web.svc.cluster.local": "select the namespace with -n",
	} {
		_, err := ParseTarget(arg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTarget(%q) = %v, want an error with %q", arg, err, want)
		}
	}
}
