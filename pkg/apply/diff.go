package apply

import (
	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/pkg/patch"
)

const hidden = "(hidden)"

// objectDiff is a unified diff from the live object, limited to the fields
// authstack sets, to the desired one. Secret values never appear: they show
// as hidden, marked when they change.
func objectDiff(desired, live *unstructured.Unstructured) string {
	var before, after map[string]any
	name := ""
	if desired != nil {
		after = desired.DeepCopy().Object
		name = display(desired)
	}
	if live != nil {
		l := live.DeepCopy().Object
		if desired != nil {
			before, _ = project(l, after).(map[string]any)
		} else {
			before = l
			unstructured.RemoveNestedField(before, "metadata", "managedFields")
			name = display(live)
		}
	}
	kind := ""
	if desired != nil {
		kind = desired.GetKind()
	} else if live != nil {
		kind = live.GetKind()
	}
	if kind == "Secret" {
		maskSecret(before, after)
	}
	return patch.UnifiedDiff(name, toYAML(before), toYAML(after))
}

func toYAML(m map[string]any) []byte {
	if m == nil {
		return nil
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return []byte(err.Error())
	}
	return b
}

// project keeps of live only the fields desired has, so a diff shows what
// authstack changes and not what the server or others added.
func project(live, desired any) any {
	switch d := desired.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return live
		}
		out := map[string]any{}
		for k, dv := range d {
			if lv, ok := l[k]; ok {
				out[k] = project(lv, dv)
			}
		}
		return out
	case []any:
		l, ok := live.([]any)
		if !ok {
			return live
		}
		out := make([]any, len(l))
		for i := range l {
			if i < len(d) {
				out[i] = project(l[i], d[i])
			} else {
				out[i] = l[i]
			}
		}
		return out
	}
	return live
}

// maskSecret replaces Secret values with markers, in place.
func maskSecret(before, after map[string]any) {
	for _, field := range []string{"data", "stringData"} {
		b, _ := before[field].(map[string]any)
		a, _ := after[field].(map[string]any)
		for k, av := range a {
			if bv, ok := b[k]; ok && bv != av {
				a[k] = hidden + " changed"
			} else {
				a[k] = hidden
			}
		}
		for k := range b {
			b[k] = hidden
		}
	}
}
