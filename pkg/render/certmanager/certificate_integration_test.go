package certmanager_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/certmanager"
)

// certManagerModule carries cert-manager's CRDs in deploy/crds. They are
// read from the module cache at test time, never committed.
const certManagerModule = "github.com/cert-manager/cert-manager@v1.21.2"

// certificateCRD returns the real Certificate CRD of cert-manager.
func certificateCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", certManagerModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", certManagerModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: no directory in %s", certManagerModule, out)
	}
	data, err := os.ReadFile(filepath.Join(mod.Dir, "deploy", "crds", "cert-manager.io_certificates.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

// The Certificates render produces are created on a real API server with
// cert-manager's real CRD installed, so its OpenAPI schema (required
// fields, types, unknown fields pruned and reported) judges them.
func TestIntegrationCertificatesMatchCertManagerCRD(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts etcd and kube-apiserver")
	}
	crd := certificateCRD(t)
	env := testenv.Start(t, testenv.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ext := apiextensions.NewForConfigOrDie(env.Config)
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for established := false; !established; {
		got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got.Status.Conditions {
			established = established || (c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue)
		}
		select {
		case <-ctx.Done():
			t.Fatal("CRD not established")
		case <-time.After(100 * time.Millisecond):
		}
	}

	spec := &v1alpha1.AuthStack{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Spec: v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: v1alpha1.InstallerKubeadm},
		Issuer: v1alpha1.Issuer{Dex: &v1alpha1.Dex{Host: "dex.example.com", Connectors: []v1alpha1.Connector{{LDAP: &v1alpha1.LDAPConnector{
			Host: "ldap.example.com:636", UserSearch: v1alpha1.LDAPUserSearch{BaseDN: "dc=example", Username: "mail"}}}}}},
		TLS: v1alpha1.TLS{CertManager: &v1alpha1.CertManager{Issuer: "letsencrypt"}},
		Apps: []v1alpha1.App{{Name: "grafana", Host: "grafana.example.com:8443", Namespace: "monitoring", Identity: v1alpha1.IdentityHeaders,
			Upstream: v1alpha1.Upstream{Service: "grafana", Port: 80}, AppNetworkPolicy: v1alpha1.AppNetworkPolicy{PodSelector: map[string]string{"a": "b"}}}},
	}}
	v1alpha1.SetDefaults(spec)
	if errs := v1alpha1.Validate(spec); len(errs) > 0 {
		t.Fatal(errs)
	}
	certs := certmanager.Certificates(&spec.Spec, map[string]string{"app.kubernetes.io/managed-by": "authstack"})
	if len(certs) != 2 {
		t.Fatalf("%d Certificates, want dex's and grafana's", len(certs))
	}
	kube := kubernetes.NewForConfigOrDie(env.Config)
	dyn := dynamic.NewForConfigOrDie(env.Config)
	for _, c := range certs {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		// Strict field validation: a field the CRD does not know fails the create.
		got, err := dyn.Resource(certmanager.GVR).Namespace(c.Namespace).Create(ctx, u, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("Certificate %s/%s refused by cert-manager's CRD: %v", c.Namespace, c.Name, err)
		}
		names, _, _ := unstructured.NestedStringSlice(got.Object, "spec", "dnsNames")
		if strings.Contains(strings.Join(names, ","), ":") {
			t.Errorf("dnsNames %q carry a port", names)
		}
	}
	// The control: the same schema refuses a Certificate without its issuer.
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": certmanager.APIVersion, "kind": certmanager.Kind,
		"metadata": map[string]any{"name": "bad", "namespace": "monitoring"},
		"spec":     map[string]any{"secretName": "bad", "dnsNames": []any{"bad.example.com"}},
	}}
	if _, err := dyn.Resource(certmanager.GVR).Namespace("monitoring").Create(ctx, bad, metav1.CreateOptions{FieldValidation: "Strict"}); err == nil || !strings.Contains(err.Error(), "issuerRef") {
		t.Fatalf("a Certificate without issuerRef was not refused by the CRD: %v", err)
	}
}
