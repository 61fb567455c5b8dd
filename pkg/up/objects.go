package up

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// objectsOfKind converts the rendered objects of one kind to their typed
// struct, so the edge reads Ingresses the way the API server would.
func objectsOfKind[T any](objs []*unstructured.Unstructured, kind string) ([]T, error) {
	var out []T
	for _, u := range objs {
		if u.GetKind() != kind {
			continue
		}
		var obj T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &obj); err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", kind, u.GetNamespace(), u.GetName(), err)
		}
		out = append(out, obj)
	}
	return out, nil
}
