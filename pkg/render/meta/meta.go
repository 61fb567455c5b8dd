// Package meta holds the labels and conventions that every rendered object
// shares, so that all renderers name and label things the same way.
package meta

// FieldManager is the server-side apply field manager of authstack.
const FieldManager = "authstack"

// RestrictedPodSecurity labels a namespace to enforce the restricted Pod
// Security Standard.
var RestrictedPodSecurity = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
}

// Labels returns the labels of every object of the stack named instance.
func Labels(instance, component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       component,
		"app.kubernetes.io/instance":   instance,
		"app.kubernetes.io/part-of":    "authstack",
		"app.kubernetes.io/managed-by": "authstack",
	}
}

// Copy returns a copy of a label map, so objects never share one.
func Copy(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
