package certmanager_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/certmanager"
)

// The Certificates render produces are created on a real API server with
// cert-manager's real CRD installed, so its OpenAPI schema (required
// fields, types, unknown fields pruned and reported) judges them.
func TestIntegrationCertificatesMatchCertManagerCRD(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts etcd and kube-apiserver")
	}
	env := testenv.Start(t, testenv.Options{})
	testenv.InstallCRD(t, env.Config, testenv.CertificateCRD(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

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
