package apply

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// needsApply reports whether applying desired as manager would change the
// live object, and why. It never says "unchanged" when the apply would
// change a value: it checks that manager already applied the object, that
// every desired field has the desired value live, and that manager owns no
// field that desired drops (an apply would remove it). Without a schema it
// can be conservative: an odd case costs one needless, harmless apply.
func needsApply(desired, live *unstructured.Unstructured, manager string) (bool, string) {
	if live == nil {
		return true, "created"
	}
	var owned *metav1.ManagedFieldsEntry
	for i, e := range live.GetManagedFields() {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" {
			owned = &live.GetManagedFields()[i]
			break
		}
	}
	if owned == nil || owned.FieldsV1 == nil {
		return true, "not applied by " + manager + " yet"
	}
	if p, ok := contains(live.Object, desired.Object, "", ""); !ok {
		return true, "differs at " + p
	}
	var fields map[string]any
	if err := json.Unmarshal(owned.FieldsV1.Raw, &fields); err != nil {
		return true, "unreadable managed fields"
	}
	if p, ok := covers(fields, desired.Object, ""); !ok {
		return true, "drops " + p
	}
	if p, ok := owns(fields, desired.Object, ""); !ok {
		return true, "takes ownership of " + p
	}
	return false, ""
}

// identity fields are never in a managed field set.
var identity = map[string]bool{".apiVersion": true, ".kind": true, ".metadata.name": true, ".metadata.namespace": true}

// owns reports whether the managed field set holds every field of desired:
// a value that is already right but owned by someone else still needs an
// apply, so that authstack owns it (and removes it when the spec drops it).
func owns(fields map[string]any, desired any, path string) (string, bool) {
	switch d := desired.(type) {
	case map[string]any:
		for k, v := range d {
			p := path + "." + k
			if identity[p] || isEmpty(v) {
				continue
			}
			child, ok := fields["f:"+k]
			if !ok {
				return p, false
			}
			if sub, _ := child.(map[string]any); len(sub) > 0 {
				if q, ok := owns(sub, v, p); !ok {
					return q, false
				}
			}
		}
	case []any:
		for i, e := range d {
			p := path + "[" + strconv.Itoa(i) + "]"
			sub, ok := listChild(fields, e, i)
			if !ok {
				return p, false
			}
			if len(sub) > 0 {
				if q, ok := owns(sub, e, p); !ok {
					return q, false
				}
			}
		}
	}
	return "", true
}

// listChild finds the managed fields of list element e (at index i): by key
// for an associative list, by value for a set, by index otherwise.
func listChild(fields map[string]any, e any, i int) (map[string]any, bool) {
	for k, child := range fields {
		sub, _ := child.(map[string]any)
		switch {
		case strings.HasPrefix(k, "k:"):
			var keys map[string]any
			if json.Unmarshal([]byte(k[2:]), &keys) != nil {
				continue
			}
			if _, ok := findElement([]any{e}, keys); ok {
				return sub, true
			}
		case strings.HasPrefix(k, "v:"):
			var v any
			if json.Unmarshal([]byte(k[2:]), &v) == nil && scalarEqual(v, e, "") {
				return sub, true
			}
		case k == "i:"+strconv.Itoa(i):
			return sub, true
		}
	}
	return nil, false
}

// contains reports whether live holds every value of desired, returning the
// first path that differs. Empty desired values match absent live ones, as
// the server drops them.
func contains(live, desired any, path, key string) (string, bool) {
	switch d := desired.(type) {
	case nil:
		return "", true
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return path, live == nil && len(d) == 0
		}
		for k, dv := range d {
			lv, ok := l[k]
			if !ok {
				if isEmpty(dv) {
					continue
				}
				return path + "." + k, false
			}
			if p, ok := contains(lv, dv, path+"."+k, k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		l, ok := live.([]any)
		if !ok {
			return path, live == nil && len(d) == 0
		}
		if len(l) != len(d) {
			return path, false
		}
		for i := range d {
			if p, ok := contains(l[i], d[i], path+"["+strconv.Itoa(i)+"]", key); !ok {
				return p, false
			}
		}
		return "", true
	default:
		return path, scalarEqual(live, desired, path)
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func scalarEqual(live, desired any, path string) bool {
	if ln, ok := number(live); ok {
		dn, ok := number(desired)
		return ok && ln == dn
	}
	ls, lok := live.(string)
	ds, dok := desired.(string)
	if lok && dok {
		if ls == ds {
			return true
		}
		// The server canonicalizes resource quantities ("0.5" becomes "500m").
		if strings.Contains(path, ".limits.") || strings.Contains(path, ".requests.") {
			lq, err1 := resource.ParseQuantity(ls)
			dq, err2 := resource.ParseQuantity(ds)
			return err1 == nil && err2 == nil && lq.Cmp(dq) == 0
		}
		return false
	}
	return reflect.DeepEqual(live, desired)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// covers reports whether every field in the managed field set (FieldsV1
// format: "f:name", "k:{keys}", "v:value", "i:index") is still in desired.
func covers(fields map[string]any, desired any, path string) (string, bool) {
	for k, child := range fields {
		if k == "." {
			continue
		}
		sub, _ := child.(map[string]any)
		var next any
		var p string
		switch {
		case strings.HasPrefix(k, "f:"):
			name := k[2:]
			p = path + "." + name
			m, ok := desired.(map[string]any)
			if !ok {
				return p, false
			}
			v, ok := m[name]
			if !ok {
				return p, false
			}
			next = v
		case strings.HasPrefix(k, "k:"):
			p = path + "[" + k[2:] + "]"
			var keys map[string]any
			if err := json.Unmarshal([]byte(k[2:]), &keys); err != nil {
				return p, false
			}
			elem, ok := findElement(desired, keys)
			if !ok {
				return p, false
			}
			next = elem
		case strings.HasPrefix(k, "v:"):
			p = path + "[" + k[2:] + "]"
			var want any
			if err := json.Unmarshal([]byte(k[2:]), &want); err != nil {
				return p, false
			}
			if !hasValue(desired, want) {
				return p, false
			}
			continue
		case strings.HasPrefix(k, "i:"):
			p = path + "[" + k[2:] + "]"
			i, err := strconv.Atoi(k[2:])
			l, ok := desired.([]any)
			if err != nil || !ok || i >= len(l) {
				return p, false
			}
			next = l[i]
		default:
			return path + "." + k, false
		}
		if len(sub) > 0 {
			if q, ok := covers(sub, next, p); !ok {
				return q, false
			}
		}
	}
	return "", true
}

// findElement finds the element of an associative list with the given key
// fields. A key field the desired element leaves out was defaulted by the
// server (a port's protocol), so it matches.
func findElement(list any, keys map[string]any) (any, bool) {
	l, ok := list.([]any)
	if !ok {
		return nil, false
	}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for k, want := range keys {
			if got, ok := m[k]; ok && !scalarEqual(got, want, "") {
				match = false
				break
			}
		}
		if match {
			return e, true
		}
	}
	return nil, false
}

func hasValue(list any, want any) bool {
	l, ok := list.([]any)
	if !ok {
		return false
	}
	for _, e := range l {
		if scalarEqual(e, want, "") {
			return true
		}
	}
	return false
}

// objectKey identifies an object across API versions of its kind.
func objectKey(u *unstructured.Unstructured) string {
	gk := u.GroupVersionKind().GroupKind()
	return fmt.Sprintf("%s/%s/%s", gk.String(), u.GetNamespace(), u.GetName())
}
