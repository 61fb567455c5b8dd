package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/authstack/authstack/internal/testenv"
)

func TestProxyRefusesUnsafeOrUnclearInvocations(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--address", "0.0.0.0"}, "not a loopback address"},
		{[]string{"proxy", "--address", "0.0.0.0:18000"}, `--address "0.0.0.0" is not a loopback address`},
		{[]string{"proxy", "--address", "127.0.0.1:18001", "--port", "18002"}, "name different ports"},
		{[]string{"proxy", "a", "b"}, "at most one target"},
		{[]string{"proxy", "deploy/web"}, `unknown kind "deploy"`},
	} {
		_, stderr, code := run(t, tc.args...)
		if code != ExitInvalid || !strings.Contains(stderr, tc.want) {
			t.Errorf("authstack %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, ExitInvalid, tc.want)
		}
	}
}

func TestProxyRefusesAClientCertificateCredentialBeforeConnecting(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	// Nothing listens on this server: the credential is refused first.
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	dir := t.TempDir()
	cert, key := testenv.NewCA(t, dir, "ca").Issue(t, dir, "alice", "alice", nil, nil, false, true)
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "c"
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", "")
	// kauthproxy's flags too: --address HOST:PORT and --skip-open-browser.
	for _, flags := range [][]string{{"--no-browser", "--port", "0"}, {"--skip-open-browser", "--address", "127.0.0.1:0"}} {
		_, stderr, code := run(t, append([]string{"proxy", "--kubeconfig", path}, flags...)...)
		if code != ExitFailure || !strings.Contains(stderr, "client certificate") {
			t.Fatalf("%v: exit %d, stderr %q; want a failure naming the client certificate", flags, code, stderr)
		}
	}
}
