package testenv

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// CertManagerModule carries cert-manager's CRDs in deploy/crds; tests read
// them from the module cache, never from a committed copy.
const CertManagerModule = "github.com/cert-manager/cert-manager@v1.21.2"

// ModuleFile reads file (a path inside the module) of module@version from
// the Go module cache, downloading the module through the module proxy.
func ModuleFile(t testing.TB, module, file string) []byte {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", module, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: no directory in %s", module, out)
	}
	data, err := os.ReadFile(filepath.Join(mod.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// CertificateCRD is cert-manager's real Certificate CRD.
func CertificateCRD(t testing.TB) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(ModuleFile(t, CertManagerModule, "deploy/crds/cert-manager.io_certificates.yaml"), crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

// InstallCRD creates crd and waits, at most a minute, until the API server
// serves it.
func InstallCRD(t testing.TB, cfg *rest.Config, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ext := apiextensions.NewForConfigOrDie(cfg)
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("CRD %s not established within a minute", crd.Name)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
