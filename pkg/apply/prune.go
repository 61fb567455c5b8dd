package apply

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/authstack/authstack/pkg/render"
)

// prune deletes the members of the ApplySet that the stack no longer
// renders: it looks at every kind and namespace the parent listed before
// and now, and only at objects labeled as part of this ApplySet. Namespaces
// and CustomResourceDefinitions are kept unless their own option allows
// deleting them; it returns the group kinds of the members it kept.
func (a *applier) prune(ctx context.Context, lists *listCache, desired []*item, prevGKs []schema.GroupKind, prevNS []string) ([]schema.GroupKind, error) {
	curGKs, curNS := membership(desired)
	namespaces := union(curNS, prevNS)
	var keys []listKey
	for _, gk := range unionGK(curGKs, prevGKs) {
		m, err := a.mapper.RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue // its CRD is gone, and with it its objects
		}
		if err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			keys = append(keys, listKey{gvr: m.Resource})
			continue
		}
		for _, ns := range namespaces {
			keys = append(keys, listKey{gvr: m.Resource, namespace: ns})
		}
	}
	if err := lists.loadKeys(ctx, keys); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	want := map[string]bool{}
	for _, it := range desired {
		want[objectKey(it.obj)] = true
	}
	var gone, kept []*item
	for _, o := range lists.members() {
		// The LIST selected on the label; check again: never delete an
		// object that is not a member of this very ApplySet.
		if o.GetLabels()[LabelPartOf] != a.id || want[objectKey(o)] {
			continue
		}
		gk := o.GroupVersionKind().GroupKind()
		m, err := a.mapper.RESTMapping(gk, o.GroupVersionKind().Version)
		if err != nil {
			return nil, fmt.Errorf("prune %s: %w", display(o), err)
		}
		it := &item{obj: o, mapping: m, live: o}
		if a.keeps(o) {
			kept = append(kept, it)
			continue
		}
		gone = append(gone, it)
	}
	sort.Slice(kept, func(i, j int) bool { return objectKey(kept[i].obj) < objectKey(kept[j].obj) })
	var keptGKs []schema.GroupKind
	for _, it := range kept {
		keptGKs = append(keptGKs, it.obj.GroupVersionKind().GroupKind())
		a.count(func(s *Summary) { s.Kept++ })
		flag := "--prune-namespaces"
		if !isNamespace(it.obj) {
			flag = "--prune-crds"
		}
		fmt.Fprintf(a.opts.Log, "%s kept: the spec no longer renders it, but deleting it deletes everything in it; pass %s to delete it\n", display(it.obj), flag)
	}
	// Reverse apply order: dependents first, namespaces and CRDs last.
	sort.Slice(gone, func(i, j int) bool {
		pi, pj := render.ApplyPhase(gone[i].obj), render.ApplyPhase(gone[j].obj)
		if pi != pj {
			return pi > pj
		}
		return objectKey(gone[i].obj) < objectKey(gone[j].obj)
	})
	var last, first []*item
	for _, it := range gone {
		if render.ApplyPhase(it.obj) == 0 {
			last = append(last, it)
		} else {
			first = append(first, it)
		}
	}
	for _, batch := range [][]*item{first, last} {
		if err := forEach(ctx, a.opts.Workers, batch, a.deleteItem); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
	}
	return keptGKs, nil
}

// keeps reports whether prune keeps a member whose deletion cascades: a
// Namespace takes every object in it along, a CustomResourceDefinition
// every custom resource of its type, whoever made them.
func (a *applier) keeps(o *unstructured.Unstructured) bool {
	gk := o.GroupVersionKind().GroupKind()
	switch {
	case isNamespace(o):
		return !a.opts.PruneNamespaces
	case gk.Group == "apiextensions.k8s.io" && gk.Kind == "CustomResourceDefinition":
		return !a.opts.PruneCRDs
	}
	return false
}

func (a *applier) deleteItem(ctx context.Context, it *item) error {
	suffix := ""
	if a.opts.Diff {
		d := objectDiff(nil, it.live)
		a.mu.Lock()
		fmt.Fprint(a.opts.Out, d)
		a.mu.Unlock()
	}
	if a.opts.DryRun != DryRunClient {
		opts := metav1.DeleteOptions{
			PropagationPolicy: ptr(metav1.DeletePropagationBackground),
			Preconditions:     &metav1.Preconditions{UID: ptr(it.live.GetUID())},
		}
		if a.opts.DryRun == DryRunServer {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		err := a.resource(it).Delete(ctx, it.obj.GetName(), opts)
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s: %w", display(it.obj), err)
		}
	}
	if a.opts.DryRun != DryRunNone {
		suffix = " (dry run)"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sum.Pruned++
	fmt.Fprintf(a.opts.Log, "%s pruned%s\n", display(it.obj), suffix)
	return nil
}

func ptr[T any](v T) *T { return &v }
