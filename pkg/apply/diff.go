package apply

import (
	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/authstack/authstack/pkg/patch"
)

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

// The markers kubectl diff prints for Secret values (Masker in
// k8s.io/kubectl/pkg/cmd/diff): a value that differs between the two sides
// is marked before and after, so a diff still shows that it changes.
const (
	maskDefault = "***"
	maskBefore  = "*** (before)"
	maskAfter   = "*** (after)"
)

// lastApplied is where kubectl apply (client-side) keeps a copy of what it
// applied: for a Secret, every value.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// maskSecret replaces a Secret's values with kubectl's markers, in place.
// kubectl masks only data; stringData holds the same values in plain text,
// and the last-applied annotation holds both, so they are masked too.
func maskSecret(before, after map[string]any) {
	for _, field := range []string{"data", "stringData"} {
		maskValues(nestedMap(before, field), nestedMap(after, field), nil)
	}
	only := map[string]bool{lastApplied: true}
	maskValues(nestedMap(before, "metadata", "annotations"), nestedMap(after, "metadata", "annotations"), only)
}

// maskValues masks the values of before and after (those of the keys in
// only, when it is not nil).
func maskValues(before, after map[string]any, only map[string]bool) {
	for k, bv := range before {
		if only != nil && !only[k] {
			continue
		}
		if av, ok := after[k]; ok && av != bv {
			before[k], after[k] = maskBefore, maskAfter
			continue
		}
		before[k] = maskDefault
		if _, ok := after[k]; ok {
			after[k] = maskDefault
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok && (only == nil || only[k]) {
			after[k] = maskDefault
		}
	}
}

func nestedMap(m map[string]any, fields ...string) map[string]any {
	for _, f := range fields {
		m, _ = m[f].(map[string]any)
	}
	return m
}
