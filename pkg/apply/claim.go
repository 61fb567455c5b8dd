package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/metadata"

	rmeta "github.com/authstack/authstack/pkg/render/meta"
)

// claim makes sure apply takes over no object it does not own. An object is
// the stack's when it carries the ApplySet membership label with this
// stack's id: that label is what --prune selects on, here and in kubectl
// (KEP-3659, applyset.kubernetes.io/part-of), so it is exactly the set of
// objects a prune may delete. The field manager is no proof of ownership:
// every stack applies as "authstack", and anyone can pass that name.
//
// Every other object that already exists is refused, listed in one error,
// unless Options.Adopt is set; applying onto it would label it a member and
// a later --prune would delete what the user made. Namespaces are the
// exception: authstack renders dex's namespace and the users' namespaces,
// which may well exist already (a user namespace "monitoring") and hold
// the user's objects, so a Namespace that exists is applied as shared, without
// any label of authstack's (the membership label, Pod Security levels),
// so its own labels stay as they are and no prune of this stack deletes it.
func (a *applier) claim(ctx context.Context, lists *listCache, items []*item) error {
	groups := map[listKey][]*item{}
	for _, it := range items {
		if it != nil && it.mapping != nil && !lists.isMember(it) {
			groups[it.listKey()] = append(groups[it.listKey()], it)
		}
	}
	todo, err := a.existing(ctx, groups)
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		refused []string
	)
	err = forEach(ctx, a.opts.Workers, todo, func(ctx context.Context, it *item) error {
		live, err := a.resource(it).Get(ctx, it.obj.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("apply: read %s: %w", display(it.obj), err)
		}
		switch {
		case a.opts.Adopt:
		case isNamespace(it.obj):
			// Not applied at all: the namespace holds the user's
			// workloads, and the rendered Pod Security labels (enforce:
			// restricted) would start refusing their pods (a node exporter
			// in a privileged "monitoring"); the membership label would
			// make it prunable. Its labels stay as they are.
			it.shared = true
			if lvl := live.GetLabels()[podSecurityEnforce]; lvl != "restricted" {
				if lvl == "" {
					lvl = "unset"
				}
				mu.Lock()
				fmt.Fprintf(a.opts.Log, "%s exists and is not this stack's: left as it is, its Pod Security enforce level %s included (authstack's own pods there meet restricted)\n", display(it.obj), lvl)
				mu.Unlock()
			}
		default:
			mu.Lock()
			refused = append(refused, display(it.obj)+" ("+owner(live)+")")
			mu.Unlock()
			return nil
		}
		lists.setExisting(live)
		return nil
	})
	if err != nil {
		return err
	}
	if len(refused) == 0 {
		return nil
	}
	sort.Strings(refused)
	return fmt.Errorf("apply: %d objects the spec renders already exist and are not members of stack %q's ApplySet (label %s=%s); authstack does not take them over, as a later --prune would delete them:\n  %s\n"+
		"rename them in the spec, delete them from the cluster, or re-run with --adopt to make them members of this stack (apply then owns the fields it sets, and --prune deletes them once the spec drops them)",
		len(refused), a.stack.Metadata.Name, LabelPartOf, a.id, strings.Join(refused, "\n  "))
}

// podSecurityEnforce is the Pod Security admission label that decides which
// pods a namespace admits.
const podSecurityEnforce = "pod-security.kubernetes.io/enforce"

// namesPerGet is how many objects of one LIST claim reads one by one; for
// more, a LIST of their metadata finds those that exist (a first apply of
// 1,000 bindings: one request instead of 1,000).
const namesPerGet = 16

// existing narrows the non-members to those that may exist: small groups
// as they are (claim reads each), large ones to the names a metadata LIST
// finds.
func (a *applier) existing(ctx context.Context, groups map[listKey][]*item) ([]*item, error) {
	var todo []*item
	var large []listKey
	for k, its := range groups {
		if len(its) > namesPerGet {
			large = append(large, k)
			continue
		}
		todo = append(todo, its...)
	}
	var mu sync.Mutex
	err := forEach(ctx, a.opts.Workers, large, func(ctx context.Context, k listKey) error {
		names, err := a.listNames(ctx, k)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range groups[k] {
			if names[it.obj.GetName()] {
				todo = append(todo, it)
			}
		}
		return nil
	})
	return todo, err
}

// listNames lists the names of every object of a resource in a namespace
// (or cluster-wide), metadata only.
func (a *applier) listNames(ctx context.Context, k listKey) (map[string]bool, error) {
	r := a.meta.Resource(k.gvr)
	var ri metadata.ResourceInterface = r
	if k.namespace != "" {
		ri = r.Namespace(k.namespace)
	}
	names := map[string]bool{}
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := ri.List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("apply: list %s: %w", k.gvr.Resource, err)
		}
		for _, o := range l.Items {
			names[o.Name] = true
		}
		if l.Continue == "" {
			return names, nil
		}
		opts.Continue = l.Continue
	}
}

func isNamespace(u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Namespace"
}

// owner says who made an existing object, for the error that refuses it.
func owner(live *unstructured.Unstructured) string {
	if set := live.GetLabels()[LabelPartOf]; set != "" {
		return "member of another ApplySet, " + set
	}
	var managers []string
	for _, e := range live.GetManagedFields() {
		m := e.Manager
		if m == rmeta.FieldManager {
			m += " (another stack, or an earlier apply without the label)"
		}
		managers = append(managers, m)
	}
	if len(managers) == 0 {
		return "no field manager recorded"
	}
	return "managed by " + strings.Join(sortedUnique(managers), ", ")
}
