package apply

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listKey is one LIST request: a resource in a namespace ("" for all of a
// cluster-scoped resource).
type listKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

// listKey is the LIST that holds it.
func (it *item) listKey() listKey {
	k := listKey{gvr: it.mapping.Resource}
	if it.namespaced() {
		k.namespace = it.obj.GetNamespace()
	}
	return k
}

// listCache holds the live members of the ApplySet, read with one LIST per
// resource and namespace instead of one GET per object.
type listCache struct {
	a    *applier
	mu   sync.Mutex
	done map[listKey]bool
	live map[string]*unstructured.Unstructured // by objectKey
	// existing are objects that exist but are not members (see claim).
	existing map[string]*unstructured.Unstructured
}

func newListCache(a *applier) *listCache {
	return &listCache{a: a, done: map[listKey]bool{}, live: map[string]*unstructured.Unstructured{}, existing: map[string]*unstructured.Unstructured{}}
}

// load lists, concurrently, every resource and namespace the items live in.
func (c *listCache) load(ctx context.Context, items []*item) error {
	var keys []listKey
	seen := map[listKey]bool{}
	for _, it := range items {
		if it == nil || it.mapping == nil {
			continue
		}
		k := it.listKey()
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return c.loadKeys(ctx, keys)
}

func (c *listCache) loadKeys(ctx context.Context, keys []listKey) error {
	var todo []listKey
	c.mu.Lock()
	for _, k := range keys {
		if !c.done[k] {
			todo = append(todo, k)
		}
	}
	c.mu.Unlock()
	return forEach(ctx, c.a.opts.Workers, todo, func(ctx context.Context, k listKey) error {
		objs, err := c.list(ctx, k)
		if err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, o := range objs {
			c.live[objectKey(o)] = o
		}
		c.done[k] = true
		return nil
	})
}

func (c *listCache) list(ctx context.Context, k listKey) ([]*unstructured.Unstructured, error) {
	r := c.a.dyn.Resource(k.gvr)
	var ri interface {
		List(context.Context, metav1.ListOptions) (*unstructured.UnstructuredList, error)
	} = r
	if k.namespace != "" {
		ri = r.Namespace(k.namespace)
	}
	var out []*unstructured.Unstructured
	opts := metav1.ListOptions{LabelSelector: LabelPartOf + "=" + c.a.id, Limit: 500}
	for {
		l, err := ri.List(ctx, opts)
		if err != nil {
			where := k.gvr.Resource
			if k.namespace != "" {
				where += " in namespace " + k.namespace
			}
			return nil, fmt.Errorf("apply: list %s: %w", where, err)
		}
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
		if l.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = l.GetContinue()
	}
}

// setLive fills in the live object of it and whether it needs an apply.
func (c *listCache) setLive(it *item) {
	if it.mapping == nil {
		it.reason = "created"
		return
	}
	c.mu.Lock()
	it.live = c.live[objectKey(it.obj)]
	if it.live == nil {
		it.live = c.existing[objectKey(it.obj)]
	}
	c.mu.Unlock()
	it.reason = changeReason(it.obj, it.live)
}

// isMember reports whether the listed members include it.
func (c *listCache) isMember(it *item) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live[objectKey(it.obj)] != nil
}

// setExisting records an object that exists without being a member.
func (c *listCache) setExisting(o *unstructured.Unstructured) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.existing[objectKey(o)] = o
}

// members returns every listed member.
func (c *listCache) members() []*unstructured.Unstructured {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*unstructured.Unstructured, 0, len(c.live))
	for _, o := range c.live {
		out = append(out, o)
	}
	return out
}
