package apply

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/apiproxy"
	rmeta "github.com/authstack/authstack/pkg/render/meta"
)

// ClusterConfig returns the REST config of a kubeconfig context, for the
// clusters behind the proxy (spec.clusters[].context).
type ClusterConfig func(context string) (*rest.Config, error)

// ClusterFieldManager is the server-side apply field manager of the objects
// authstack applies to one of spec.clusters. It is not the field manager of
// the stack's own objects: the cluster the proxy runs in may be one of
// spec.clusters too, and applying a cluster's objects (which carry no
// ApplySet label: that cluster has no parent) as the same manager would
// take the ApplySet label off the stack's identical objects there, and the
// next apply would refuse them as not members. As another manager it
// shares the fields both set to the same value, and an object the stack
// and the cluster want different (RBAC of a cluster named unlike
// spec.cluster.name) is a conflict instead of a silent overwrite.
func ClusterFieldManager(cluster string) string { return rmeta.FieldManager + "-cluster-" + cluster }

// tokenWait bounds the wait for a cluster's token controller to fill the
// proxy's token Secret.
const tokenWait = time.Minute

// applyClusters applies, for each of spec.clusters, its objects through its
// own context (the proxy's impersonator RBAC and the users' RBAC), then
// copies the token of the proxy's ServiceAccount there into the
// credentialSecret in the proxy's namespace of this cluster. The token is
// never printed.
func (a *applier) applyClusters(ctx context.Context, clusters []render.ClusterObjects) error {
	if len(clusters) == 0 {
		return nil
	}
	if a.opts.ClusterConfig == nil {
		return errors.New("apply: spec.clusters needs the kubeconfig contexts of the clusters (no ClusterConfig given)")
	}
	spec := &a.stack.Spec
	for i, c := range clusters {
		cfg, err := a.opts.ClusterConfig(c.Context)
		if err != nil {
			return fmt.Errorf("apply spec.clusters[%d] (%s): kubeconfig context %q: %w", i, c.Name, c.Context, err)
		}
		fmt.Fprintf(a.opts.Log, "cluster %s (context %s):\n", c.Name, c.Context)
		if err := a.applyTo(ctx, cfg, c); err != nil {
			return fmt.Errorf("apply spec.clusters[%d] (%s): %w", i, c.Name, err)
		}
		if a.opts.DryRun != DryRunNone {
			continue
		}
		ref := spec.Clusters[i].CredentialSecret
		if err := a.copyToken(ctx, cfg, spec.Proxy.Namespace, ref.Name, ref.Key); err != nil {
			return fmt.Errorf("apply spec.clusters[%d] (%s): %w", i, c.Name, err)
		}
	}
	return nil
}

// applyTo server-side applies a cluster's objects in render order
// (Namespaces and ServiceAccounts before what names them).
func (a *applier) applyTo(ctx context.Context, cfg *rest.Config, c render.ClusterObjects) error {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "authstack"
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	opts := metav1.ApplyOptions{FieldManager: ClusterFieldManager(c.Name), Force: a.opts.ForceConflicts}
	switch a.opts.DryRun {
	case DryRunClient:
		for _, o := range c.Objects {
			fmt.Fprintf(a.opts.Log, "  %s (dry run)\n", display(o.Object))
		}
		return nil
	case DryRunServer:
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for _, o := range c.Objects {
		u := o.Object.DeepCopy()
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", display(u), err)
		}
		var r dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if u.GetNamespace() != "" {
			r = dyn.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		// The live object's resourceVersion tells created, configured and
		// unchanged apart: an apply that changes nothing keeps it.
		before := ""
		if live, err := r.Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
			before = live.GetResourceVersion()
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: %w", display(u), err)
		}
		got, err := r.Apply(ctx, u.GetName(), u, opts)
		if err != nil {
			// A server dry run cannot create in a namespace that is only
			// about to be created.
			if a.opts.DryRun == DryRunServer && apierrors.IsNotFound(err) {
				continue
			}
			if apierrors.IsConflict(err) {
				return fmt.Errorf("%s: %w; another manager set these fields differently: if the context %q reaches the cluster authstack applies the proxy to, name the cluster in spec.clusters as spec.cluster.name, so that both want the same objects (or --force-conflicts to take the fields over)", display(u), err, c.Context)
			}
			return fmt.Errorf("%s: %w", display(u), err)
		}
		verb := "configured"
		switch {
		case before == "":
			verb = "created"
		case got.GetResourceVersion() == before:
			verb = "unchanged"
		}
		if a.opts.DryRun == DryRunServer {
			verb += " (server dry run)"
		}
		fmt.Fprintf(a.opts.Log, "  %s %s\n", display(u), verb)
	}
	return nil
}

// copyToken waits for the token controller of the remote cluster to fill
// the proxy's token Secret there, then applies it into this cluster's
// credential Secret, where the proxy's Deployment mounts it.
func (a *applier) copyToken(ctx context.Context, cfg *rest.Config, ns, name, key string) error {
	remote, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var token []byte
	err = poll(ctx, tokenWait, time.Second, func() (bool, error) {
		s, err := remote.CoreV1().Secrets(ns).Get(ctx, apiproxy.TokenSecret, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		token = s.Data[corev1.ServiceAccountTokenKey]
		return len(token) > 0, nil
	}, "the token of ServiceAccount "+ns+"/"+apiproxy.Name)
	if err != nil {
		return err
	}
	s := &unstructured.Unstructured{}
	s.SetAPIVersion("v1")
	s.SetKind("Secret")
	s.SetName(name)
	s.SetNamespace(ns)
	s.SetLabels(rmeta.Labels(a.stack.Metadata.Name, apiproxy.Name))
	if err := unstructured.SetNestedField(s.Object, string(corev1.SecretTypeOpaque), "type"); err != nil {
		return err
	}
	if err := unstructured.SetNestedStringMap(s.Object, map[string]string{key: base64.StdEncoding.EncodeToString(token)}, "data"); err != nil {
		return err
	}
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	if _, err := a.dyn.Resource(secrets).Namespace(ns).Apply(ctx, name, s, metav1.ApplyOptions{FieldManager: rmeta.FieldManager, Force: a.opts.ForceConflicts}); err != nil {
		return fmt.Errorf("Secret %s/%s: %w", ns, name, err)
	}
	fmt.Fprintf(a.opts.Log, "  Secret %s/%s holds the proxy's token for this cluster\n", ns, name)
	return nil
}
