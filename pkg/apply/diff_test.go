package apply

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"strings"
	"testing"
)

// A Secret applied once with kubectl apply (client-side) keeps all its
// values, base64 or plain, in the last-applied annotation.
const liveSecretWithLastApplied = `
apiVersion: v1
kind: Secret
metadata:
  name: s
  namespace: ns1
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Secret","data":{"a":"b2xkc2VjcmV0"},"stringData":{"p":"plain-old-password"}}'
    note: visible
data: {a: b2xkc2VjcmV0, b: c2FtZQ==, gone: Z29uZXNlY3JldA==}
`

func TestDiffNeverShowsSecretValues(t *testing.T) {
	secretValues := []string{"b2xkc2VjcmV0", "c2FtZQ==", "Z29uZXNlY3JldA==", "plain-old-password", "c2VjcmV0MQ==", "new-plain-value"}
	cases := []struct {
		name          string
		desired, live string
		want          []string
	}{{
		name:    "update",
		desired: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns1, annotations: {note: visible, kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{\"p\":\"new-plain-value\"}}'}}\ndata: {a: c2VjcmV0MQ==, b: c2FtZQ==}\nstringData: {p: new-plain-value}\n",
		live:    liveSecretWithLastApplied,
		want:    []string{"-  a: '*** (before)'", "+  a: '*** (after)'", "   b: '***'", "+  p: '***'", "kubectl.kubernetes.io/last-applied-configuration: '*** (before)'"},
	}, {
		name:    "create",
		desired: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns1}\ndata: {a: c2VjcmV0MQ==}\nstringData: {p: new-plain-value}\n",
		want:    []string{"+  a: '***'", "+  p: '***'"},
	}, {
		// What --prune --diff prints for a Secret it deletes: the whole
		// live object, annotations included.
		name: "prune",
		live: liveSecretWithLastApplied,
		want: []string{"-    kubectl.kubernetes.io/last-applied-configuration: '***'", "-    note: visible", "-  gone: '***'"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := objectDiff(optObj(t, c.desired), optObj(t, c.live))
			for _, v := range secretValues {
				if strings.Contains(d, v) {
					t.Errorf("diff shows secret value %q:\n%s", v, d)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(d, w) {
					t.Errorf("diff lacks %q:\n%s", w, d)
				}
			}
		})
	}
}

func optObj(t *testing.T, s string) *unstructured.Unstructured {
	if s == "" {
		return nil
	}
	return obj(t, s)
}
