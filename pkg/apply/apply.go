package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/render"
	rmeta "github.com/authstack/authstack/pkg/render/meta"
	"github.com/authstack/authstack/pkg/secrets"
)

// DryRun says whether and where an apply is only simulated.
type DryRun string

// Dry-run modes, as kubectl names them.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// Files are the API server's files on disk that apply patches or writes:
// the API server settings cannot be applied through the API.
type Files struct {
	// APIServerManifest is a kube-apiserver static pod manifest to edit.
	APIServerManifest string
	// KubesprayVars is kubespray's group_vars/k8s_cluster/k8s-cluster.yml.
	KubesprayVars string
	// KubeadmConfig is a kubeadm config file.
	KubeadmConfig string
	// AuthenticationConfigOut is where to write the AuthenticationConfiguration.
	AuthenticationConfigOut string
}

// Options configure an apply.
type Options struct {
	// Config reaches the cluster; its QPS and Burst are raised.
	Config *rest.Config
	DryRun DryRun
	// Diff writes what would change to Out (Secret values masked).
	Diff bool
	// Prune deletes members of the stack's ApplySet it no longer renders.
	Prune bool
	// PruneNamespaces and PruneCRDs let Prune delete Namespaces and
	// CustomResourceDefinitions: deleting one deletes everything in it (every
	// object of the namespace, every custom resource of the type), so
	// without them such members are kept and reported.
	PruneNamespaces, PruneCRDs bool
	// Adopt makes objects that exist but are not members of the stack's
	// ApplySet members: apply takes them over and Prune may delete them.
	// Without it apply refuses to touch them (Namespaces excepted, see
	// claim).
	Adopt bool
	// ForceConflicts takes over fields another field manager owns.
	ForceConflicts bool
	// Wait waits until the Deployments are available, for at most Timeout.
	Wait    bool
	Timeout time.Duration
	// SecretsFile is a local secrets file (as authstack render keeps them);
	// its values fill in generated secrets the cluster does not have yet.
	SecretsFile string
	// AllowUnprefixed applies a spec without username or groups prefix.
	AllowUnprefixed bool
	Files           Files
	// CoreDNSRewrite puts the stack's name rewrites (render.CoreDNSRewrites)
	// into the Corefile of kube-system/coredns, so that pods reach the
	// issuer and the apps through the ingress controller; the rest of the
	// Corefile stays as it is.
	CoreDNSRewrite bool
	// Workers bounds concurrent requests (default 16).
	Workers int
	// Out receives diffs; Log receives progress (stderr).
	Out, Log io.Writer
	// Progress shows a spinner while waiting (a terminal outside CI).
	Progress bool
	// ClusterConfig reaches the clusters behind the proxy (spec.clusters)
	// by their kubeconfig contexts.
	ClusterConfig ClusterConfig
}

// Summary counts what an apply did (or would do, in a dry run).
type Summary struct {
	Created, Configured, Unchanged, Pruned int
	// Kept counts members Prune did not delete (Namespaces, CRDs).
	Kept int
	// NextSteps are commands the user must run for the API server.
	NextSteps []string
}

// Changed reports whether the apply changed (or would change) the cluster.
func (s *Summary) Changed() bool { return s.Created+s.Configured+s.Pruned > 0 }

// item is one object to apply.
type item struct {
	obj     *unstructured.Unstructured
	mapping *meta.RESTMapping
	live    *unstructured.Unstructured
	reason  string
	// shared marks a Namespace that exists and is not the stack's: it is
	// left as it is, never applied (see claim).
	shared bool
}

func (it *item) namespaced() bool {
	return it.mapping != nil && it.mapping.Scope.Name() == meta.RESTScopeNameNamespace
}

type applier struct {
	opts   Options
	stack  *config.Stack
	dyn    dynamic.Interface
	meta   metadata.Interface
	kube   kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	id     string

	// clusters are the rendered objects of spec.clusters, applied after
	// this cluster's.
	clusters []render.ClusterObjects

	mu        sync.Mutex
	sum       Summary
	nsChecked map[string]bool // namespace -> missing, for server dry runs
}

// Apply renders stack and installs it into the cluster.
func Apply(ctx context.Context, stack *config.Stack, opts Options) (*Summary, error) {
	if err := checkPrefixes(stack, opts.AllowUnprefixed); err != nil {
		return nil, err
	}
	if opts.DryRun == "" {
		opts.DryRun = DryRunNone
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Config == nil {
		return nil, errors.New("apply: no cluster configuration")
	}
	cfg := rest.CopyConfig(opts.Config)
	// client-go's default of 5 requests/s makes a 1,000-object apply take
	// minutes; the API server's own priority and fairness protects it.
	if cfg.QPS < 500 {
		cfg.QPS, cfg.Burst = 500, 1000
	}
	cfg.UserAgent = "authstack"
	a := &applier{opts: opts, stack: stack, id: parentID(stack.Metadata.Name)}
	var err error
	if a.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if a.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if a.meta, err = metadata.NewForConfig(cfg); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	a.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	if err := a.run(ctx); err != nil {
		return &a.sum, err
	}
	if err := a.applyClusters(ctx, a.clusters); err != nil {
		return &a.sum, err
	}
	s := &a.sum
	suffix := ""
	if opts.DryRun != DryRunNone {
		suffix = " (dry run)"
	}
	if !s.Changed() {
		fmt.Fprintf(opts.Log, "no changes%s\n", suffix)
	} else {
		fmt.Fprintf(opts.Log, "%d created, %d configured, %d unchanged, %d pruned%s\n", s.Created, s.Configured, s.Unchanged, s.Pruned, suffix)
	}
	if s.Kept > 0 {
		fmt.Fprintf(opts.Log, "%d kept that the spec no longer renders (see above)\n", s.Kept)
	}
	return s, nil
}

func (a *applier) run(ctx context.Context) error {
	store, err := secrets.LoadCluster(ctx, a.kube.CoreV1(), secrets.ClusterNamespace(&a.stack.Spec), a.stack.Dir)
	if err != nil {
		return fmt.Errorf("apply: %w; check the cluster is reachable and your kubeconfig allows reading Secrets", err)
	}
	if err := a.checkPodSelectors(ctx); err != nil {
		return err
	}
	if a.opts.SecretsFile != "" {
		n, err := store.SeedFromFile(a.opts.SecretsFile)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if n > 0 {
			fmt.Fprintf(a.opts.Log, "kept %d generated secrets from %s\n", n, a.opts.SecretsFile)
		}
	}
	res, err := render.Render(a.stack, render.Options{Secrets: store})
	if err != nil {
		return err
	}
	a.clusters = res.Clusters
	// The same warnings render prints: apply is how most stacks reach a
	// cluster, and an app left open on purpose must be said out loud there.
	for _, w := range res.Warnings {
		fmt.Fprintf(a.opts.Log, "warning: %s\n", w)
	}
	generated, err := toUnstructured(store.Secret(rmeta.Labels(a.stack.Metadata.Name, "generated-secrets")))
	if err != nil {
		return err
	}

	// Members, each labeled as part of the stack's ApplySet.
	var phase0, phase1 []*item
	var genItem *item
	for _, o := range append(res.Objects, render.Object{Object: generated}) {
		u := o.Object.DeepCopy()
		// Apply ignores status on the main resource; typed structs render
		// an empty one that would never match the live object.
		delete(u.Object, "status")
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelPartOf] = a.id
		u.SetLabels(labels)
		it := &item{obj: u}
		switch {
		case o.Object == generated:
			genItem = it
		case render.ApplyPhase(u) == 0:
			phase0 = append(phase0, it)
		default:
			phase1 = append(phase1, it)
		}
	}
	all := append(append(append([]*item{}, phase0...), genItem), phase1...)
	// Kinds defined by CRDs of this stack map only once phase 0 applied them.
	if err := a.mapAll(phase0...); err != nil {
		return err
	}
	unmapped := a.tryMap(append([]*item{genItem}, phase1...)...)
	for _, it := range all {
		if it.namespaced() && it.obj.GetNamespace() == "" {
			return fmt.Errorf("apply %s: the object is namespaced but has no metadata.namespace; set one (for kustomize output: namespace: in the kustomization)", display(it.obj))
		}
	}

	// Nothing is written before every object is known to be this stack's
	// or free to create.
	lists := newListCache(a)
	if err := lists.load(ctx, all); err != nil {
		return err
	}
	if err := a.claim(ctx, lists, all); err != nil {
		return err
	}
	var coreDNS *coreDNSEdit
	if a.opts.CoreDNSRewrite {
		if coreDNS, err = a.planCoreDNS(ctx); err != nil {
			return err
		}
	}

	// The parent's type: every member points at the parent.
	crd := &item{obj: parentCRD()}
	if err := a.mapAll(crd); err != nil {
		return err
	}
	if err := a.getLive(ctx, crd); err != nil {
		return err
	}
	if err := a.applyItems(ctx, []*item{crd}); err != nil {
		return err
	}
	if crd.reason != "" && a.opts.DryRun == DryRunNone {
		if err := a.waitEstablished(ctx, parentCRDName); err != nil {
			return err
		}
	}

	parent, prevGKs, prevNS, err := a.parentState(ctx)
	if err != nil {
		return err
	}
	curGKs, curNS := membership(all)
	desiredParent := &item{obj: parentObject(a.stack.Metadata.Name, unionGK(curGKs, prevGKs), union(curNS, prevNS))}
	desiredParent.mapping = parent.mapping
	desiredParent.live = parent.live
	if desiredParent.mapping != nil {
		desiredParent.reason = changeReason(desiredParent.obj, desiredParent.live)
	} else {
		desiredParent.reason = "created"
	}
	if err := a.applyItems(ctx, []*item{desiredParent}); err != nil {
		return err
	}

	for _, it := range phase0 {
		lists.setLive(it)
	}
	if err := a.applyItems(ctx, phase0); err != nil {
		return err
	}
	for _, it := range phase0 {
		if it.obj.GetKind() == "CustomResourceDefinition" && it.reason != "" && a.opts.DryRun == DryRunNone {
			if err := a.waitEstablished(ctx, it.obj.GetName()); err != nil {
				return err
			}
		}
	}
	if len(unmapped) > 0 {
		a.mapper.Reset()
		if err := a.mapAll(unmapped...); err != nil {
			return err
		}
		if err := lists.load(ctx, unmapped); err != nil {
			return err
		}
		if err := a.claim(ctx, lists, unmapped); err != nil {
			return err
		}
	}
	lists.setLive(genItem)
	// Generated values reach the cluster before anything that uses them, so a
	// failure half-way cannot rotate them on the next run.
	if err := a.applyItems(ctx, []*item{genItem}); err != nil {
		return err
	}
	for _, it := range phase1 {
		lists.setLive(it)
	}
	if err := a.applyItems(ctx, phase1); err != nil {
		return err
	}
	if a.opts.CoreDNSRewrite {
		if err := a.writeCoreDNS(ctx, coreDNS); err != nil {
			return err
		}
	}

	if a.opts.Prune {
		keptGKs, err := a.prune(ctx, lists, all, prevGKs, prevNS)
		if err != nil {
			return err
		}
		// Kept members stay members: a later --prune-namespaces or
		// --prune-crds finds them through the parent.
		final := &item{obj: parentObject(a.stack.Metadata.Name, unionGK(curGKs, keptGKs), curNS), mapping: desiredParent.mapping}
		if final.mapping != nil {
			if err := a.getLive(ctx, final); err != nil {
				return err
			}
			if err := a.applyItems(ctx, []*item{final}); err != nil {
				return err
			}
		}
	}

	if err := a.files(res); err != nil {
		return err
	}
	if a.opts.Wait && a.opts.DryRun == DryRunNone {
		if err := a.waitDeployments(ctx, all); err != nil {
			return err
		}
	}
	return nil
}

func toUnstructured(o runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

// changeReason says why applying desired would change live, or "" when it
// would not.
func changeReason(desired, live *unstructured.Unstructured) string {
	if change, reason := needsApply(desired, live, rmeta.FieldManager); change {
		return reason
	}
	return ""
}

// mapAll resolves the REST mapping of every item or fails.
func (a *applier) mapAll(items ...*item) error {
	for _, it := range items {
		if it.mapping != nil {
			continue
		}
		gvk := it.obj.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			if a.opts.DryRun != DryRunNone && meta.IsNoMatchError(err) {
				continue // its CRD is not installed yet
			}
			return fmt.Errorf("apply %s: the cluster does not serve this kind (%w); is its CustomResourceDefinition installed?", display(it.obj), err)
		}
		it.mapping = m
	}
	return nil
}

// tryMap maps what it can and returns the items whose kind is not served yet.
func (a *applier) tryMap(items ...*item) []*item {
	var missing []*item
	for _, it := range items {
		gvk := it.obj.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			missing = append(missing, it)
			continue
		}
		it.mapping = m
	}
	return missing
}

func (a *applier) resource(it *item) dynamic.ResourceInterface {
	r := a.dyn.Resource(it.mapping.Resource)
	if it.namespaced() {
		return r.Namespace(it.obj.GetNamespace())
	}
	return r
}

// getLive reads one object (for the few that are not ApplySet members).
func (a *applier) getLive(ctx context.Context, it *item) error {
	if it.mapping == nil {
		it.reason = "created"
		return nil
	}
	live, err := a.resource(it).Get(ctx, it.obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return fmt.Errorf("apply: read %s: %w", display(it.obj), err)
	}
	it.live = live
	it.reason = changeReason(it.obj, live)
	return nil
}

// parentState reads the stack's ApplySet parent and what it listed before.
func (a *applier) parentState(ctx context.Context) (*item, []schema.GroupKind, []string, error) {
	it := &item{obj: parentObject(a.stack.Metadata.Name, nil, nil)}
	a.tryMap(it)
	if it.mapping == nil {
		if a.opts.DryRun == DryRunNone {
			return nil, nil, nil, fmt.Errorf("apply: the ApplySet parent type %s is not served after creating its CustomResourceDefinition", parentCRDName)
		}
		return it, nil, nil, nil
	}
	live, err := a.resource(it).Get(ctx, it.obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return it, nil, nil, nil
	case err != nil:
		return nil, nil, nil, fmt.Errorf("apply: read the ApplySet parent %s: %w", it.obj.GetName(), err)
	}
	it.live = live
	if got := live.GetLabels()[LabelID]; got != a.id {
		return nil, nil, nil, fmt.Errorf("apply: ApplySet parent %s has id %q, want %q; it was not created by authstack for this stack: delete it or rename the stack", live.GetName(), got, a.id)
	}
	ann := live.GetAnnotations()
	if tool := ann[AnnotationTooling]; tool != "" && !strings.HasPrefix(tool, toolingName+"/") {
		return nil, nil, nil, fmt.Errorf("apply: ApplySet parent %s is managed by %q, not authstack", live.GetName(), tool)
	}
	return it, parseGroupKinds(ann[AnnotationGroupKinds]), parseList(ann[AnnotationNamespaces]), nil
}

func membership(items []*item) ([]schema.GroupKind, []string) {
	var gks []schema.GroupKind
	var ns []string
	seen := map[schema.GroupKind]bool{}
	for _, it := range items {
		gk := it.obj.GroupVersionKind().GroupKind()
		if !seen[gk] {
			seen[gk] = true
			gks = append(gks, gk)
		}
		if n := it.obj.GetNamespace(); n != "" {
			ns = append(ns, n)
		}
	}
	return gks, sortedUnique(ns)
}

func unionGK(a, b []schema.GroupKind) []schema.GroupKind {
	seen := map[schema.GroupKind]bool{}
	var out []schema.GroupKind
	for _, gk := range append(append([]schema.GroupKind{}, a...), b...) {
		if !seen[gk] {
			seen[gk] = true
			out = append(out, gk)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func union(a, b []string) []string { return sortedUnique(append(append([]string{}, a...), b...)) }

// applyItems applies the items that would change, concurrently.
func (a *applier) applyItems(ctx context.Context, items []*item) error {
	var todo []*item
	for _, it := range items {
		if it.reason == "" || it.shared {
			a.count(func(s *Summary) { s.Unchanged++ })
			continue
		}
		todo = append(todo, it)
	}
	if a.opts.Diff {
		for _, it := range todo {
			fmt.Fprint(a.opts.Out, objectDiff(it.obj, it.live))
		}
	}
	// Lines print in apply order once the batch is done, not in the random
	// order of the workers.
	lines := make(map[*item]string, len(todo))
	defer func() {
		for _, it := range todo {
			if l, ok := lines[it]; ok {
				fmt.Fprintln(a.opts.Log, l)
			}
		}
	}()
	return forEach(ctx, a.opts.Workers, todo, func(ctx context.Context, it *item) error {
		created := it.live == nil
		if a.opts.DryRun == DryRunServer && it.mapping != nil && !a.nsMissing(it) {
			force := a.opts.ForceConflicts
			if _, err := a.resource(it).Apply(ctx, it.obj.GetName(), it.obj, metav1.ApplyOptions{FieldManager: rmeta.FieldManager, Force: force, DryRun: []string{metav1.DryRunAll}}); err != nil {
				return a.applyError(it, err)
			}
		}
		if a.opts.DryRun == DryRunNone {
			got, err := a.resource(it).Apply(ctx, it.obj.GetName(), it.obj, metav1.ApplyOptions{FieldManager: rmeta.FieldManager, Force: a.opts.ForceConflicts})
			if err != nil {
				return a.applyError(it, err)
			}
			// Not a member yet is not the same as new: others' fields show
			// that the object existed.
			for _, e := range got.GetManagedFields() {
				if e.Manager != rmeta.FieldManager {
					created = false
				}
			}
		}
		a.count(func(s *Summary) {
			if created {
				s.Created++
			} else {
				s.Configured++
			}
		})
		verb := "configured (" + it.reason + ")"
		if created {
			verb = "created"
		}
		if a.opts.DryRun != DryRunNone {
			verb += " (dry run)"
		}
		a.mu.Lock()
		lines[it] = display(it.obj) + " " + verb
		a.mu.Unlock()
		return nil
	})
}

// nsMissing reports whether a namespaced object's namespace is only about to
// be created; a server-side dry run cannot check objects in it.
func (a *applier) nsMissing(it *item) bool {
	if !it.namespaced() {
		return false
	}
	ns := it.obj.GetNamespace()
	a.mu.Lock()
	defer a.mu.Unlock()
	if missing, ok := a.nsChecked[ns]; ok {
		return missing
	}
	_, err := a.kube.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if a.nsChecked == nil {
		a.nsChecked = map[string]bool{}
	}
	a.nsChecked[ns] = apierrors.IsNotFound(err)
	return a.nsChecked[ns]
}

func (a *applier) applyError(it *item, err error) error {
	if apierrors.IsConflict(err) {
		return fmt.Errorf("apply %s: another field manager owns fields authstack sets (%w); re-run with --force-conflicts to take them over", display(it.obj), err)
	}
	return fmt.Errorf("apply %s: %w", display(it.obj), err)
}

func (a *applier) count(f func(*Summary)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(&a.sum)
}

// forEach runs fn on items with at most workers at once and returns every
// error: one failed object does not stop the others, and a re-run converges.
func forEach[T any](ctx context.Context, workers int, items []T, fn func(context.Context, T) error) error {
	if len(items) == 0 {
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	ch := make(chan T)
	for w := 0; w < min(workers, len(items)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				if err := fn(ctx, it); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// display names an object the way kubectl prints it.
func display(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	s := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		s += "." + gvk.Group
	}
	s += "/" + u.GetName()
	if ns := u.GetNamespace(); ns != "" {
		s += " -n " + ns
	}
	return s
}

// waitEstablished waits until the API server serves a new CRD: Established,
// and visible in discovery, which the API server updates a little later.
func (a *applier) waitEstablished(ctx context.Context, name string) error {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	return poll(ctx, 30*time.Second, 100*time.Millisecond, func() (bool, error) {
		u, err := a.dyn.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		established := false
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				established = true
			}
		}
		if !established {
			return false, nil
		}
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		a.mapper.Reset()
		_, err = a.mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind})
		return err == nil, nil
	}, "CustomResourceDefinition "+name+" to be served")
}

// poll calls check every interval until it is done, fails, or timeout.
func poll(ctx context.Context, timeout, interval time.Duration, check func() (bool, error), what string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		case <-t.C:
		}
	}
}
