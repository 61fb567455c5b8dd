// Package meta holds the labels and conventions that every rendered object
// shares, so that all renderers name and label things the same way.
package meta

// FieldManager is the server-side apply field manager of authstack.
const FieldManager = "authstack"

// RestrictedPodSecurity labels a namespace to enforce the restricted Pod
// Security Standard.
var RestrictedPodSecurity = PodSecurity("restricted")

// PodSecurity labels a namespace to enforce, warn about and audit one Pod
// Security Standard level (privileged, baseline or restricted), with the
// labels Pod Security admission reads
// (kubernetes.io/docs/concepts/security/pod-security-admission).
func PodSecurity(level string) map[string]string {
	return map[string]string{
		"pod-security.kubernetes.io/enforce": level,
		"pod-security.kubernetes.io/warn":    level,
		"pod-security.kubernetes.io/audit":   level,
	}
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
