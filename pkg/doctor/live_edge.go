package doctor

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// edgeResources are the edge objects --live reads: those authstack renders
// for envoy-gateway, gateway-api and traefik (docs/edges.md).
var edgeResources = []schema.GroupVersionResource{
	{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "securitypolicies"},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"},
	{Group: "traefik.io", Version: "v1alpha1", Resource: "middlewares"},
}

// edgeObjects reads authstack's edge objects from the cluster, unless the
// spec's rendered ones are the evidence already. A provider whose CRDs are
// not installed is simply not there (404).
func (l *liveCollector) edgeObjects(ctx context.Context, dyn dynamic.Interface) {
	if len(l.m.EdgeAuths) > 0 {
		return
	}
	if dyn == nil {
		var err error
		if dyn, err = dynamic.NewForConfig(l.cfg); err != nil {
			l.add("AS-95", Info, "cannot read the edge objects: "+err.Error(), []string{"live: " + l.cfg.Host}, "")
			return
		}
	}
	for _, gvr := range edgeResources {
		list, err := dyn.Resource(gvr).Namespace("").List(ctx, metav1.ListOptions{LabelSelector: managedBy})
		if apierrors.IsNotFound(err) {
			continue
		}
		if apierrors.IsForbidden(err) {
			l.add("AS-95", Info, fmt.Sprintf("cannot read %s: %v", gvr.GroupResource(), err), []string{"live: " + l.cfg.Host}, "grant list on "+gvr.GroupResource().String()+" to check the edge")
			continue
		}
		if err != nil {
			// The cluster did not answer: the other live checks say so.
			continue
		}
		for i := range list.Items {
			u := &list.Items[i]
			l.m.addEdgeObject(fmt.Sprintf("live: %s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName()), u)
		}
	}
}
