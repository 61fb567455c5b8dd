package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// complete runs cobra's hidden __complete command, as the shell scripts do,
// and returns the offered values and the directive line (":4" and so on).
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	stdout, stderr, code := run(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != ExitOK {
		t.Fatalf("__complete %v: exit %d: %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func testKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: prod
  context: {cluster: c, user: u}
- name: kind-dev
  context: {cluster: c, user: u}
current-context: prod
`, server)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// --context lists the contexts of the kubeconfig the command would read, in
// every command that has the flag, including one named by --kubeconfig on
// the same line.
func TestCompletionOfContexts(t *testing.T) {
	kubeconfig := testKubeconfig(t, "https://127.0.0.1:1")
	t.Setenv("KUBECONFIG", kubeconfig)
	for _, args := range [][]string{
		{"apply"}, {"diff"}, {"proxy"}, {"import"}, {"doctor", "--live"},
	} {
		got, directive := complete(t, append(args, "--context", "")...)
		if strings.Join(got, ",") != "kind-dev,prod" || directive != ":4" {
			t.Errorf("%v: %q %s, want kind-dev,prod :4 (no files)", args, got, directive)
		}
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	for _, args := range [][]string{
		{"apply", "--kubeconfig", kubeconfig, "--context", ""},
		{"doctor", "--live-kubeconfig", kubeconfig, "--context", ""},
	} {
		got, directive := complete(t, args...)
		if strings.Join(got, ",") != "kind-dev,prod" || directive != ":4" {
			t.Errorf("%v: %q %s, want kind-dev,prod :4 (no files)", args, got, directive)
		}
	}
}

// -n lists the namespaces of the cluster of the chosen context, proxy's
// target the Services of the namespace; an API server that does not answer
// offers nothing instead of hanging the shell.
func TestCompletionOfNamespaces(t *testing.T) {
	// TLS: clientcmd sends credentials only over TLS.
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","items":[{"metadata":{"name":"default"}},{"metadata":{"name":"kubernetes-dashboard"}}]}`)
		case "/api/v1/namespaces/kubernetes-dashboard/services":
			fmt.Fprint(w, `{"kind":"ServiceList","apiVersion":"v1","items":[{"metadata":{"name":"kubernetes-dashboard-kong-proxy"}},{"metadata":{"name":"kubernetes-dashboard-web"}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	kubeconfig := testKubeconfig(t, api.URL)
	got, directive := complete(t, "proxy", "--kubeconfig", kubeconfig, "--context", "kind-dev", "-n", "")
	if strings.Join(got, ",") != "default,kubernetes-dashboard" || directive != ":4" {
		t.Errorf("got %q %s", got, directive)
	}
	// proxy's target: the Services of the namespace -n names.
	got, directive = complete(t, "proxy", "--kubeconfig", kubeconfig, "-n", "kubernetes-dashboard", "")
	if strings.Join(got, ",") != "kubernetes-dashboard-kong-proxy,kubernetes-dashboard-web" || directive != ":4" {
		t.Errorf("proxy target: got %q %s", got, directive)
	}

	hung := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hung.Close()
	defer hung.CloseClientConnections()
	got, directive = complete(t, "proxy", "--kubeconfig", testKubeconfig(t, hung.URL), "-n", "")
	if len(got) != 0 || directive != ":4" {
		t.Errorf("a hung API server: got %q %s, want nothing", got, directive)
	}
}

// File flags offer YAML files (directive 8 with the extensions), directory
// flags directories (16), value flags their values.
func TestCompletionOfFilesAndValues(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want      string
		directive string
	}{
		{[]string{"render", "-f", ""}, "yaml,yml", ":8"},
		{[]string{"validate", "--file", ""}, "yaml,yml", ":8"},
		{[]string{"doctor", "--dex-config", ""}, "yaml,yml", ":8"},
		{[]string{"doctor", "--jwks", ""}, "json", ":8"},
		{[]string{"init", "-o", ""}, "yaml,yml", ":8"},
		{[]string{"render", "-o", ""}, "", ":16"},
		{[]string{"render", "--format", ""}, "yaml,kustomize,kustomize-external", ":4"},
		{[]string{"apply", "--dry-run", ""}, "none,client,server", ":4"},
		{[]string{"version", "-o", ""}, "text,json", ":4"},
		{[]string{"import", "--cluster-name", ""}, "", ":4"},
	} {
		got, directive := complete(t, c.args...)
		if strings.Join(got, ",") != c.want || directive != c.directive {
			t.Errorf("%v: %q %s, want %q %s", c.args, got, directive, c.want, c.directive)
		}
	}
}

// --user offers the users the spec at -f names.
func TestCompletionOfSpecUsers(t *testing.T) {
	spec := filepath.Join("..", "..", "examples", "kind", "authstack.yaml")
	got, directive := complete(t, "kubeconfig", "-f", spec, "--user", "")
	if directive != ":4" || len(got) == 0 {
		t.Fatalf("got %q %s", got, directive)
	}
	for _, u := range got {
		if !strings.Contains(u, "@") {
			t.Errorf("%q is not a user of the spec", u)
		}
	}
}

// Every flag that takes a value says how to complete it: by its name in
// flagCompletions, a list next to the flag, or as free text. A new flag
// without one would fall back to offering every file in the directory.
func TestEveryValueFlagCompletes(t *testing.T) {
	root := NewRoot(IO{})
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Name() == "init" || cmd.Name() == "help" || cmd.Name() == "completion" {
			// init's answer flags are pkg/initspec's, completed there.
			return
		}
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" || f.Name == "help" {
				return
			}
			if _, ok := cmd.GetFlagCompletionFunc(f.Name); !ok {
				t.Errorf("%s --%s has no completion", cmd.CommandPath(), f.Name)
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}
