package render

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/render/rbac"
)

func TestFastConversionMatchesConverter(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		s := load(t, name)
		objs, err := rbac.Render(&s.Spec, map[string]string{"a": "b"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			got, err := toUnstructured(o)
			if err != nil {
				t.Fatal(err)
			}
			want, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
			if err != nil {
				t.Fatal(err)
			}
			md := want["metadata"].(map[string]any)
			delete(md, "creationTimestamp")
			if !equality.Semantic.DeepEqual(got, want) {
				t.Errorf("%s: fast conversion of %T differs:\n got %v\nwant %v", name, o, got, want)
			}
		}
	}
}
