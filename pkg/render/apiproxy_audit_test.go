package render

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/pkg/render/apiproxy"
	"github.com/authstack/authstack/pkg/secrets"
)

// proxy.audit.caFile is read like the other CA files: from the spec's
// directory, into the proxy's ConfigMap and the --audit-webhook-ca-file
// the args file shows; a missing file fails the render naming the field.
func TestProxyAuditCAFile(t *testing.T) {
	exampleEnv(t)
	stack := load(t, "managed-multicluster")
	stack.Spec.Proxy.Audit.CAFile = "prod-a-ca.crt" // any CA bundle of the example's directory
	res, err := Render(stack, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	var args string
	for _, f := range res.Files {
		if f.Path == ProxyArgsFile {
			args = string(f.Data)
		}
	}
	if !strings.Contains(args, "--audit-webhook-ca-file=/etc/authstack-apiproxy/config/"+apiproxy.AuditCAKey+"\n") {
		t.Errorf("%s lacks --audit-webhook-ca-file:\n%s", ProxyArgsFile, args)
	}
	found := false
	for _, o := range res.Objects {
		if o.Object.GetKind() == "ConfigMap" && o.Object.GetName() == apiproxy.Name {
			ca, _, _ := unstructured.NestedString(o.Object.Object, "data", apiproxy.AuditCAKey)
			found = strings.Contains(ca, "BEGIN CERTIFICATE")
		}
	}
	if !found {
		t.Errorf("the proxy's ConfigMap has no %s", apiproxy.AuditCAKey)
	}

	stack.Spec.Proxy.Audit.CAFile = "missing-ca.crt"
	if _, err := Render(stack, Options{Secrets: secrets.Fixed{}}); err == nil || !strings.Contains(err.Error(), "spec.proxy.audit.caFile") {
		t.Errorf("missing caFile: %v, want an error naming spec.proxy.audit.caFile", err)
	}
}
