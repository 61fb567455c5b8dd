package apply

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/authstack/authstack/internal/version"
)

// ApplySet labels and annotations, as kubectl apply --prune --applyset
// writes and reads them (KEP-3659).
const (
	LabelPartOf          = "applyset.kubernetes.io/part-of"
	LabelID              = "applyset.kubernetes.io/id"
	LabelIsParentType    = "applyset.kubernetes.io/is-parent-type"
	AnnotationTooling    = "applyset.kubernetes.io/tooling"
	AnnotationGroupKinds = "applyset.kubernetes.io/contains-group-kinds"
	AnnotationNamespaces = "applyset.kubernetes.io/additional-namespaces"
	applySetIDFormat     = "applyset-%s-v1"
	parentGroup          = "authstack.dev"
	parentVersion        = "v1alpha1"
	parentKind           = "ApplySet"
	parentResource       = "applysets"
	parentCRDName        = parentResource + "." + parentGroup
	toolingName          = "authstack"
)

// ParentGVR is the resource of authstack's ApplySet parents.
var ParentGVR = schema.GroupVersionResource{Group: parentGroup, Version: parentVersion, Resource: parentResource}

// kubectl's default parent, a Secret, is namespaced and cannot hold a set
// spanning namespaces and cluster-scoped objects; the KEP allows a custom
// cluster-scoped parent type whose CRD carries the is-parent-type label.
func parentCRD() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata": map[string]any{
			"name":   parentCRDName,
			"labels": map[string]any{LabelIsParentType: "true", "app.kubernetes.io/managed-by": toolingName},
		},
		"spec": map[string]any{
			"group": parentGroup,
			"scope": "Cluster",
			"names": map[string]any{
				"kind":     parentKind,
				"listKind": parentKind + "List",
				"plural":   parentResource,
				"singular": strings.ToLower(parentKind),
			},
			"versions": []any{map[string]any{
				"name":    parentVersion,
				"served":  true,
				"storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type":        "object",
					"description": "ApplySet is the parent of the objects authstack applied for one stack; authstack prunes through it.",
				}},
			}},
		},
	}}
}

// applySetID is the id of a parent, computed as kubectl does:
// base64url(sha256(name.namespace.kind.group)).
func applySetID(name, namespace, kind, group string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, namespace, kind, group}, ".")))
	return fmt.Sprintf(applySetIDFormat, base64.RawURLEncoding.EncodeToString(sum[:]))
}

// parentID is the ApplySet id of the stack named name.
func parentID(name string) string { return applySetID(name, "", parentKind, parentGroup) }

func tooling() string {
	v := version.Get()
	if !strings.HasPrefix(v, "v") {
		v = "v0.0.0-" + v
	}
	return toolingName + "/" + v
}

// parentObject is the desired parent of stack name, listing the group kinds
// and namespaces its members live in.
func parentObject(name string, gks []schema.GroupKind, namespaces []string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": parentGroup + "/" + parentVersion,
		"kind":       parentKind,
		"metadata": map[string]any{
			"name":   name,
			"labels": map[string]any{LabelID: parentID(name), "app.kubernetes.io/managed-by": toolingName},
			"annotations": map[string]any{
				AnnotationTooling:    tooling(),
				AnnotationGroupKinds: joinGroupKinds(gks),
				AnnotationNamespaces: strings.Join(sortedUnique(namespaces), ","),
			},
		},
	}}
	return u
}

func joinGroupKinds(gks []schema.GroupKind) string {
	s := make([]string, 0, len(gks))
	for _, gk := range gks {
		s = append(s, gk.String())
	}
	return strings.Join(sortedUnique(s), ",")
}

// parseGroupKinds reads the contains-group-kinds annotation ("Kind.group"
// entries, "Kind" for the core group).
func parseGroupKinds(s string) []schema.GroupKind {
	var gks []schema.GroupKind
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			gks = append(gks, schema.ParseGroupKind(e))
		}
	}
	return gks
}

func parseList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
