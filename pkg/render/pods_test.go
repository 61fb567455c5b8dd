package render

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PodTemplate finds the pod of every workload kind by group and kind, and
// none in an object of another group that happens to share a kind name.
func TestPodTemplateFindsThePodOfEachWorkloadKind(t *testing.T) {
	pod := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "img"}}}}
	tpl := map[string]any{"template": pod}
	tests := []struct {
		apiVersion, kind string
		spec             map[string]any
		runs             bool
	}{
		{"apps/v1", "Deployment", tpl, true},
		{"apps/v1", "StatefulSet", tpl, true},
		{"apps/v1", "DaemonSet", tpl, true},
		{"apps/v1", "ReplicaSet", tpl, true},
		{"batch/v1", "Job", tpl, true},
		{"batch/v1", "CronJob", map[string]any{"jobTemplate": map[string]any{"spec": tpl}}, true},
		{"v1", "Pod", pod["spec"].(map[string]any), true},
		{"example.com/v1", "Deployment", tpl, false},
		{"v1", "Service", map[string]any{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.apiVersion+"/"+tt.kind, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": tt.apiVersion, "kind": tt.kind, "metadata": map[string]any{"name": "x"}, "spec": tt.spec}}
			got := podTemplate(t, u)
			if !tt.runs {
				if got != nil {
					t.Fatalf("got a pod template %v, want none", got)
				}
				return
			}
			if got == nil || len(got.Spec.Containers) != 1 || got.Spec.Containers[0].Image != "img" {
				t.Fatalf("template = %+v, want the one container with image img", got)
			}
		})
	}
}

func TestPodTemplateNamesTheObjectItCannotRead(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "x", "namespace": "ns"}, "spec": "not a map"}}
	if _, err := PodTemplate(u); err == nil || !strings.HasPrefix(err.Error(), "Deployment ns/x: ") {
		t.Fatalf("err = %v, want one naming Deployment ns/x", err)
	}
}
