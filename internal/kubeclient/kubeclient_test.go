package kubeclient

import (
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeKubeconfig(t *testing.T) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	for _, n := range []string{"a", "b"} {
		cfg.Clusters[n] = &clientcmdapi.Cluster{Server: "https://" + n + ".example.com"}
		cfg.AuthInfos[n] = &clientcmdapi.AuthInfo{Token: "t"}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: n}
	}
	cfg.CurrentContext = "a"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRESTConfigReadsTheKubeconfigAsKubectlDoes(t *testing.T) {
	path := writeKubeconfig(t)
	for _, tt := range []struct{ name, path, context, env, want string }{
		{"explicit path, current context", path, "", "", "https://a.example.com"},
		{"explicit path and context", path, "b", "", "https://b.example.com"},
		{"$KUBECONFIG without a path", "", "b", path, "https://b.example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			if tt.env == "" {
				// No ~/.kube/config of the machine running the test.
				t.Setenv("HOME", t.TempDir())
			}
			cfg, err := RESTConfig(tt.path, tt.context)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tt.want {
				t.Errorf("host = %q, want %q", cfg.Host, tt.want)
			}
		})
	}
}

func TestRESTConfigRefusesAnUnknownContext(t *testing.T) {
	if _, err := RESTConfig(writeKubeconfig(t), "c"); err == nil {
		t.Error("an unknown context was accepted")
	}
	if _, err := RESTConfig(filepath.Join(t.TempDir(), "missing"), ""); err == nil {
		t.Error("a missing kubeconfig was accepted")
	}
}
