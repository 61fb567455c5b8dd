package initspec_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/initspec"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// goldenCases are non-interactive init lines, one or more per installer,
// kept as testdata/init/NAME.args (one argument a line) next to the spec
// they must produce, NAME.yaml. The CLI test runs one of them end to end.
func goldenCases(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "init", "*.args"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/init/*.args: %v", err)
	}
	cases := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[strings.TrimSuffix(filepath.Base(f), ".args")] = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	return cases
}

func answersFrom(t *testing.T, args []string) initspec.Answers {
	t.Helper()
	var a initspec.Answers
	fs := pflag.NewFlagSet("init", pflag.ContinueOnError)
	initspec.BindFlags(fs, &a)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return a
}

func goldenPath(name string) string {
	return filepath.Join("..", "..", "testdata", "init", name+".yaml")
}

func TestNonInteractiveGolden(t *testing.T) {
	installers := map[v1alpha1.Installer]bool{}
	for name, args := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			spec, err := initspec.Spec(answersFrom(t, args))
			if err != nil {
				t.Fatal(err)
			}
			installers[spec.Spec.Cluster.Installer] = true
			got, err := initspec.Marshal(spec)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, goldenPath(name), got)
		})
	}
	for _, i := range initspec.Installers {
		if !installers[i] {
			t.Errorf("no golden case for installer %s", i)
		}
	}
}

// Every spec init writes loads like authstack validate loads it, means the
// same as what was built, and renders.
func TestSpecsLoadAndRender(t *testing.T) {
	for name, args := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			built, err := initspec.Spec(answersFrom(t, args))
			if err != nil {
				t.Fatal(err)
			}
			data, err := initspec.Marshal(built)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := config.Parse(name, data)
			if err != nil {
				t.Fatalf("written spec does not load: %v\n%s", err, data)
			}
			v1alpha1.SetDefaults(built)
			if !reflect.DeepEqual(parsed, built) {
				t.Errorf("the written spec loads differently from the answers:\nloaded %+v\nbuilt  %+v", parsed.Spec, built.Spec)
			}
			// init cannot know the Pods of an app it has no preset for:
			// render refuses until the user names them.
			for i := range parsed.Spec.Apps {
				a := &parsed.Spec.Apps[i]
				if len(a.PodSelector) > 0 {
					continue
				}
				if _, err := render.Render(&config.Stack{AuthStack: parsed, Dir: t.TempDir(), File: name}, render.Options{Secrets: secrets.Fixed{}}); err == nil || !strings.Contains(err.Error(), "podSelector: required") {
					t.Fatalf("render of app %s without podSelector: err = %v, want podSelector: required", a.Name, err)
				}
				a.PodSelector = map[string]string{"app": a.Name}
			}
			res, err := render.Render(&config.Stack{AuthStack: parsed, Dir: t.TempDir(), File: name}, render.Options{Secrets: secrets.Fixed{}})
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if len(res.Objects) == 0 {
				t.Error("rendered no objects")
			}
		})
	}
}

func TestMissingAnswersNameEveryFlag(t *testing.T) {
	a := answersFrom(t, []string{"--connector", "ldap", "--app", "dashboard=dash.example.com"})
	_, err := initspec.Spec(a)
	if err == nil {
		t.Fatal("no error for missing answers")
	}
	for _, flag := range []string{"--cluster-name", "--installer", "--kubernetes-version", "--issuer-host", "--ldap-host", "--ldap-user-base-dn"} {
		if !strings.Contains(err.Error(), flag+":") {
			t.Errorf("error does not name %s:\n%v", flag, err)
		}
	}
	if strings.Contains(err.Error(), "--app") {
		t.Errorf("a valid --app is reported:\n%v", err)
	}
}

func TestBothIssuersIsAnError(t *testing.T) {
	a := answersFrom(t, []string{"--issuer-host", "dex.example.com", "--issuer-url", "https://login.example.com"})
	if err := initspec.Check(a, initspec.FlagIssuerURL); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("got %v, want an error about giving both", err)
	}
}

func TestCheckReportsOnlyTheAskedQuestion(t *testing.T) {
	a := initspec.Answers{ClusterName: "Prod_1"}
	if err := initspec.Check(a, initspec.FlagClusterName); err == nil || !strings.Contains(err.Error(), "DNS label") {
		t.Errorf("cluster name Prod_1: got %v, want a DNS label error", err)
	}
	a.ClusterName = "prod"
	if err := initspec.Check(a, initspec.FlagClusterName); err != nil {
		t.Errorf("cluster name prod: %v", err)
	}
	// Unanswered questions elsewhere do not make this one fail.
	if err := initspec.Check(initspec.Answers{KubernetesVersion: "1.33"}, initspec.FlagKubernetesVersion); err != nil {
		t.Errorf("version 1.33: %v", err)
	}
	if err := initspec.Check(initspec.Answers{KubernetesVersion: "1.20"}, initspec.FlagKubernetesVersion); err == nil {
		t.Error("version 1.20 accepted")
	}
	a = initspec.Answers{IssuerHost: "dex.example.com", Apps: []string{"dashboard=dex.example.com"}}
	if err := initspec.Check(a, initspec.FlagApp); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("app on dex's host: got %v, want a duplicate host error", err)
	}
}

func TestParseApp(t *testing.T) {
	tests := []struct {
		in      string
		want    v1alpha1.App
		wantErr string
	}{
		{in: "dashboard=dash.example.com:token", want: v1alpha1.App{Name: "dashboard", Host: "dash.example.com", Namespace: "kubernetes-dashboard", Identity: "token",
			Upstream:         v1alpha1.Upstream{Service: "kubernetes-dashboard-kong-proxy", Port: 443, Protocol: "HTTPS"},
			AppNetworkPolicy: v1alpha1.AppNetworkPolicy{PodSelector: map[string]string{"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kubernetes-dashboard"}}}},
		{in: "headlamp=hl.example.com", want: v1alpha1.App{Name: "headlamp", Host: "hl.example.com", Namespace: "headlamp", Identity: "token",
			Upstream:         v1alpha1.Upstream{Service: "headlamp", Port: 80},
			AppNetworkPolicy: v1alpha1.AppNetworkPolicy{PodSelector: map[string]string{"app.kubernetes.io/name": "headlamp"}}}},
		{in: "prometheus=prom.local:8443:headers", want: v1alpha1.App{Name: "prometheus", Host: "prom.local:8443", Namespace: "monitoring", Identity: "headers",
			Upstream:         v1alpha1.Upstream{Service: "prometheus-operated", Port: 9090},
			AppNetworkPolicy: v1alpha1.AppNetworkPolicy{PodSelector: map[string]string{"app.kubernetes.io/name": "prometheus"}}}},
		{in: "grafana=g.example.com", want: v1alpha1.App{Name: "grafana", Host: "g.example.com", Namespace: "monitoring", Identity: "headers",
			Upstream:         v1alpha1.Upstream{Service: "grafana", Port: 80},
			AppNetworkPolicy: v1alpha1.AppNetworkPolicy{PodSelector: map[string]string{"app.kubernetes.io/name": "grafana"}}}},
		{in: "wiki=wiki.example.com:headers@docs/wiki:8080", want: v1alpha1.App{Name: "wiki", Host: "wiki.example.com", Namespace: "docs", Identity: "headers",
			Upstream: v1alpha1.Upstream{Service: "wiki", Port: 8080}}},
		{in: "wiki=wiki.example.com", wantErr: "not a preset"},
		{in: "wiki=wiki.example.com@docs/wiki:8080", wantErr: "learns who the user is"},
		{in: "wiki=wiki.example.com:token@docs/wiki", wantErr: "NAMESPACE/SERVICE:PORT"},
		{in: "dashboard", wantErr: "want NAME=HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := initspec.ParseApp(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFromEnvFillsUnsetFlags(t *testing.T) {
	var a initspec.Answers
	fs := pflag.NewFlagSet("init", pflag.ContinueOnError)
	initspec.BindFlags(fs, &a)
	if err := fs.Parse([]string{"--cluster-name", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AUTHSTACK_CLUSTER_NAME":   "from-env",
		"AUTHSTACK_INSTALLER":      "kind",
		"AUTHSTACK_APP":            "dashboard=dash.example.com,grafana=grafana.example.com",
		"AUTHSTACK_LDAP_START_TLS": "true",
	}
	if err := initspec.FromEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if a.ClusterName != "from-flag" || a.Installer != "kind" || !a.LDAP.StartTLS || len(a.Apps) != 2 {
		t.Errorf("got %+v", a)
	}
	fs = pflag.NewFlagSet("init", pflag.ContinueOnError)
	initspec.BindFlags(fs, &initspec.Answers{})
	env = map[string]string{"AUTHSTACK_LDAP_START_TLS": "maybe"}
	if err := initspec.FromEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), "AUTHSTACK_LDAP_START_TLS") {
		t.Errorf("bad boolean: got %v, want an error naming the variable", err)
	}
}

func TestMarshalDropsEmptyAndKeepsOrder(t *testing.T) {
	spec, err := initspec.Spec(answersFrom(t, goldenCases(t)["kubeadm-github"]))
	if err != nil {
		t.Fatal(err)
	}
	data, err := initspec.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, bad := range []string{"{}", "[]", "null"} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %s:\n%s", bad, s)
		}
	}
	if strings.Index(s, "apiVersion:") > strings.Index(s, "kind:") || strings.Index(s, "cluster:") > strings.Index(s, "issuer:") {
		t.Errorf("fields are not in the order of the types:\n%s", s)
	}
}
