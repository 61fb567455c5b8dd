package apiproxy

import (
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

func auditSpec(caFile string) *v1alpha1.Spec {
	spec := &v1alpha1.Spec{
		Cluster: v1alpha1.Cluster{Name: "tools", Installer: v1alpha1.InstallerManaged},
		Proxy: &v1alpha1.Proxy{
			Host: "k8s.example.com", Namespace: "authstack-proxy", Expose: v1alpha1.ExposeLoadBalancer,
			TLS:   v1alpha1.ProxyTLS{SecretName: "authstack-apiproxy-tls"},
			Audit: &v1alpha1.ProxyAudit{WebhookURL: "https://audit.internal", Format: v1alpha1.AuditRecords, CAFile: caFile},
		},
	}
	spec.APIServer.Mode = v1alpha1.ModeProxy
	return spec
}

func renderParts(t *testing.T, in Input) (*corev1.ConfigMap, *appsv1.Deployment) {
	t.Helper()
	out, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	var cm *corev1.ConfigMap
	var dep *appsv1.Deployment
	for _, o := range out.Objects {
		switch v := o.(type) {
		case *corev1.ConfigMap:
			cm = v
		case *appsv1.Deployment:
			dep = v
		}
	}
	if cm == nil || dep == nil {
		t.Fatal("no ConfigMap or Deployment rendered")
	}
	return cm, dep
}

// An audit webhook with a private CA (proxy.audit.caFile) is trusted
// through --audit-webhook-ca-file, which must name the file the config
// volume holds the CA at; without caFile the flag is absent and the
// proxy uses the image's trust store.
func TestAuditWebhookCAFile(t *testing.T) {
	const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	cm, dep := renderParts(t, Input{Spec: auditSpec("audit-ca.pem"), AuditCA: []byte(ca)})
	if cm.Data[AuditCAKey] != ca {
		t.Errorf("ConfigMap %s = %q, want the CA bundle", AuditCAKey, cm.Data[AuditCAKey])
	}
	c := dep.Spec.Template.Spec.Containers[0]
	var flag string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--audit-webhook-ca-file="); ok {
			flag = v
		}
	}
	if flag == "" {
		t.Fatalf("no --audit-webhook-ca-file in %q", c.Args)
	}
	// The flag's path is what the config volume mounts there.
	var mount string
	for _, m := range c.VolumeMounts {
		if m.Name == "config" {
			mount = m.MountPath
		}
	}
	var items []corev1.KeyToPath
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "config" && v.ConfigMap != nil {
			items = v.ConfigMap.Items
		}
	}
	if !slices.ContainsFunc(items, func(it corev1.KeyToPath) bool {
		return it.Key == AuditCAKey && path.Join(mount, it.Path) == flag
	}) {
		t.Errorf("--audit-webhook-ca-file=%s is not a file of the config volume (mount %s, items %+v)", flag, mount, items)
	}

	// Without caFile: no flag, no key.
	cm, dep = renderParts(t, Input{Spec: auditSpec("")})
	if _, ok := cm.Data[AuditCAKey]; ok {
		t.Error("ConfigMap has an audit CA without proxy.audit.caFile")
	}
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--audit-webhook-ca-file") {
			t.Errorf("%s without proxy.audit.caFile", a)
		}
	}

	// caFile set but no bundle read: refused, not rendered trusting the image's store.
	if _, err := Render(Input{Spec: auditSpec("audit-ca.pem")}); err == nil || !strings.Contains(err.Error(), "spec.proxy.audit.caFile") {
		t.Errorf("caFile without its bundle: %v, want an error naming spec.proxy.audit.caFile", err)
	}
}
