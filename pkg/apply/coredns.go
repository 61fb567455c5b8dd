package apply

import (
	"context"
	"fmt"
	"io"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/formats/corefile"
	"github.com/authstack/authstack/pkg/render"
	rmeta "github.com/authstack/authstack/pkg/render/meta"
)

// The CoreDNS configuration kubeadm (and so kind) installs: ConfigMap
// kube-system/coredns, key Corefile.
const (
	coreDNSNamespace = "kube-system"
	coreDNSConfigMap = "coredns"
	corefileKey      = "Corefile"
)

// coreDNSEdit is the Corefile change --coredns-rewrite makes, worked out
// before apply writes anything so that a Corefile authstack cannot edit
// safely stops the apply with nothing changed.
type coreDNSEdit struct {
	cm     *corev1.ConfigMap
	after  string
	reload bool
}

// planCoreDNS reads the Corefile and puts the stack's rewrite block into
// it. The ConfigMap is the cluster's, not the stack's: only that block is
// authstack's, and the ConfigMap never becomes a member (no prune touches it).
func (a *applier) planCoreDNS(ctx context.Context) (*coreDNSEdit, error) {
	cm, err := a.kube.CoreV1().ConfigMaps(coreDNSNamespace).Get(ctx, coreDNSConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("--coredns-rewrite: the cluster has no ConfigMap %s/%s (CoreDNS as kubeadm installs it); add the rewrites of %s to its DNS yourself and drop the flag", coreDNSNamespace, coreDNSConfigMap, render.CoreDNSFile)
	}
	if err != nil {
		return nil, fmt.Errorf("--coredns-rewrite: read ConfigMap %s/%s: %w", coreDNSNamespace, coreDNSConfigMap, err)
	}
	before, ok := cm.Data[corefileKey]
	if !ok {
		return nil, fmt.Errorf("--coredns-rewrite: ConfigMap %s/%s has no key %s; nothing changed", coreDNSNamespace, coreDNSConfigMap, corefileKey)
	}
	after, err := corefile.EditRewrites([]byte(before), a.stack.Metadata.Name, render.CoreDNSRewrites(&a.stack.Spec))
	if err != nil {
		return nil, fmt.Errorf("--coredns-rewrite: ConfigMap %s/%s, key %s: %w; nothing changed", coreDNSNamespace, coreDNSConfigMap, corefileKey, err)
	}
	if string(after) == before {
		return nil, nil
	}
	edit := &coreDNSEdit{cm: cm, after: string(after)}
	if cf, err := corefile.Parse(after); err == nil {
		if root, err := cf.Root(); err == nil {
			edit.reload = slices.ContainsFunc(root.Plugins, func(p corefile.Plugin) bool { return p.Name == "reload" })
		}
	}
	return edit, nil
}

// writeCoreDNS updates the Corefile read by planCoreDNS; the read's
// resourceVersion makes a concurrent change fail rather than be lost.
func (a *applier) writeCoreDNS(ctx context.Context, e *coreDNSEdit) error {
	if e == nil {
		a.count(func(s *Summary) { s.Unchanged++ })
		return nil
	}
	suffix := ""
	if a.opts.DryRun != DryRunClient {
		cm := e.cm.DeepCopy()
		cm.Data[corefileKey] = e.after
		opts := metav1.UpdateOptions{FieldManager: rmeta.FieldManager}
		if a.opts.DryRun == DryRunServer {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := a.kube.CoreV1().ConfigMaps(coreDNSNamespace).Update(ctx, cm, opts); err != nil {
			return fmt.Errorf("--coredns-rewrite: update ConfigMap %s/%s: %w", coreDNSNamespace, coreDNSConfigMap, err)
		}
	}
	if a.opts.DryRun != DryRunNone {
		suffix = " (dry run)"
	}
	a.count(func(s *Summary) { s.Configured++ })
	fmt.Fprintf(a.opts.Log, "configmap/%s -n %s: Corefile rewrites of stack %s configured%s\n", coreDNSConfigMap, coreDNSNamespace, a.stack.Metadata.Name, suffix)
	if !e.reload {
		// Without the reload plugin CoreDNS reads its Corefile only at start.
		fmt.Fprintf(a.opts.Log, "the Corefile has no reload plugin: run kubectl -n %s rollout restart deployment coredns\n", coreDNSNamespace)
	}
	return nil
}

// RewriteCoreDNS makes the Corefile change of --coredns-rewrite on its own,
// with the same code: for `authstack up` and the kind tier, which need pods
// to resolve the stack's hosts before they apply the stack. It reports
// whether the Corefile changed and whether CoreDNS reloads it by itself
// (the reload plugin; otherwise CoreDNS must be restarted to read it).
func RewriteCoreDNS(ctx context.Context, kube kubernetes.Interface, stack *config.Stack, log io.Writer) (changed, reloads bool, err error) {
	if log == nil {
		log = io.Discard
	}
	a := &applier{kube: kube, stack: stack, opts: Options{DryRun: DryRunNone, Log: log}}
	edit, err := a.planCoreDNS(ctx)
	if err != nil {
		return false, false, err
	}
	if err := a.writeCoreDNS(ctx, edit); err != nil {
		return false, false, err
	}
	return edit != nil, edit != nil && edit.reload, nil
}
