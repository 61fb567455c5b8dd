package apply

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

const desiredDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: p, namespace: apps, labels: {a: b}}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: proxy
        image: proxy:1
        args: [--x=1]
        ports: [{containerPort: 4180, name: http}]
        resources: {limits: {cpu: "0.5"}}
`

// The live object as the API server returns it: defaults added, quantities
// canonical, and the fields authstack applied recorded in managedFields.
const liveDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: p
  namespace: apps
  labels: {a: b}
  resourceVersion: "7"
  managedFields:
  - manager: authstack
    operation: Apply
    apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata: {f:labels: {f:a: {}}}
      f:spec:
        f:replicas: {}
        f:template:
          f:spec:
            f:containers:
              k:{"name":"proxy"}:
                .: {}
                f:name: {}
                f:image: {}
                f:args: {}
                f:ports:
                  k:{"containerPort":4180,"protocol":"TCP"}:
                    .: {}
                    f:containerPort: {}
                    f:name: {}
                f:resources: {f:limits: {f:cpu: {}}}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  template:
    spec:
      restartPolicy: Always
      containers:
      - name: proxy
        image: proxy:1
        args: [--x=1]
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 4180, name: http, protocol: TCP}]
        resources: {limits: {cpu: 500m}}
status: {replicas: 1}
`

func TestNeedsApply(t *testing.T) {
	tests := []struct {
		name    string
		desired string
		live    string
		edit    func(live *unstructured.Unstructured)
		want    bool
		reason  string
	}{
		{name: "identical apart from server defaults", desired: desiredDeployment, live: liveDeployment, want: false},
		{name: "missing object", desired: desiredDeployment, want: true, reason: "created"},
		{name: "a changed value", desired: strings.Replace(desiredDeployment, "proxy:1", "proxy:2", 1), live: liveDeployment, want: true, reason: "image"},
		{name: "a new field", desired: strings.Replace(desiredDeployment, "labels: {a: b}", "labels: {a: b, c: d}", 1), live: liveDeployment, want: true, reason: "labels.c"},
		{name: "a dropped field authstack owned", desired: strings.Replace(desiredDeployment, "        args: [--x=1]\n", "", 1), live: liveDeployment, want: true, reason: "args"},
		{name: "a dropped list element", desired: strings.Replace(desiredDeployment, "ports: [{containerPort: 4180, name: http}]", "ports: []", 1), live: liveDeployment, want: true},
		{name: "changed list length", desired: strings.Replace(desiredDeployment, "args: [--x=1]", "args: [--x=1, --y=2]", 1), live: liveDeployment, want: true},
		{name: "never applied by authstack", desired: desiredDeployment, live: liveDeployment, edit: func(l *unstructured.Unstructured) {
			m := l.GetManagedFields()
			m[0].Manager = "kubectl"
			l.SetManagedFields(m)
		}, want: true, reason: "not applied"},
		{name: "someone else changed a value", desired: desiredDeployment, live: liveDeployment, edit: func(l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(l.Object, int64(3), "spec", "replicas")
		}, want: true, reason: "replicas"},
		{name: "a right value someone else owns", desired: strings.Replace(desiredDeployment, "labels: {a: b}", "labels: {a: b, c: d}", 1), live: liveDeployment, edit: func(l *unstructured.Unstructured) {
			l.SetLabels(map[string]string{"a": "b", "c": "d"})
		}, want: true, reason: "takes ownership of .metadata.labels.c"},
		{name: "someone else added a field", desired: desiredDeployment, live: liveDeployment, edit: func(l *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(l.Object, "x", "metadata", "annotations", "other")
		}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var live *unstructured.Unstructured
			if tt.live != "" {
				live = obj(t, tt.live)
				if tt.edit != nil {
					tt.edit(live)
				}
			}
			got, reason := needsApply(obj(t, tt.desired), live, "authstack")
			if got != tt.want || !strings.Contains(reason, tt.reason) {
				t.Fatalf("needsApply = %v (%q), want %v (reason containing %q)", got, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestNeedsApplyIgnoresOtherSubresources(t *testing.T) {
	live := obj(t, liveDeployment)
	m := live.GetManagedFields()
	m[0].Subresource = "status"
	live.SetManagedFields(m)
	if got, _ := needsApply(obj(t, desiredDeployment), live, "authstack"); !got {
		t.Fatal("an Apply entry for the status subresource counted as the object's")
	}
}

func TestApplySetID(t *testing.T) {
	// kubectl's parent Secret "authstack-bench" in namespace "apps-k" (the
	// integration benchmark also checks this against a real kubectl).
	id := applySetID("authstack-bench", "apps-k", "Secret", "")
	if !strings.HasPrefix(id, "applyset-") || !strings.HasSuffix(id, "-v1") || len(id) != len("applyset-")+43+len("-v1") {
		t.Fatalf("id %q is not applyset-<43 base64url chars>-v1", id)
	}
	if parentID("a") == parentID("b") {
		t.Fatal("two stacks share an ApplySet id")
	}
}

func TestGroupKindsRoundTrip(t *testing.T) {
	in := "ClusterRoleBinding.rbac.authorization.k8s.io,Deployment.apps,Namespace,Secret"
	if got := joinGroupKinds(parseGroupKinds(in)); got != in {
		t.Fatalf("round trip = %q, want %q", got, in)
	}
}

func TestDiffHidesSecretValues(t *testing.T) {
	desired := obj(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\ndata: {a: c2VjcmV0MQ==, b: c2FtZQ==}\n")
	live := obj(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n, resourceVersion: '3'}\ndata: {a: b2xkc2VjcmV0, b: c2FtZQ==}\n")
	d := objectDiff(desired, live)
	for _, v := range []string{"c2VjcmV0MQ==", "b2xkc2VjcmV0", "c2FtZQ=="} {
		if strings.Contains(d, v) {
			t.Fatalf("diff shows a secret value:\n%s", d)
		}
	}
	if !strings.Contains(d, "+  a: '*** (after)'") || strings.Contains(d, "resourceVersion") {
		t.Fatalf("diff does not mark the changed value, or shows server fields:\n%s", d)
	}
}
