package doctor

import (
	"context"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// apiProxy reads authstack-apiproxy as deployed: its Deployment's flags
// and its ConfigMap's AuthenticationConfiguration (an API server view, as
// the proxy authenticates with kube-apiserver's code), asks the API server
// whether the proxy's ServiceAccount may impersonate (SubjectAccessReview,
// the check the impersonation filter makes for each Impersonate-* header),
// and whether any replica is available.
func (l *liveCollector) apiProxy(ctx context.Context) {
	deps, err := l.client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + apiproxy.Name})
	if err != nil || len(deps.Items) == 0 {
		return
	}
	d := &deps.Items[0]
	src := fmt.Sprintf("live: Deployment %s/%s", d.Namespace, d.Name)
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err == nil {
		u := &unstructured.Unstructured{Object: m}
		u.SetKind("Deployment")
		_ = l.m.addAPIProxy("live", []*unstructured.Unstructured{u})
	}
	if cm, err := l.client.CoreV1().ConfigMaps(d.Namespace).Get(ctx, apiproxy.Name, metav1.GetOptions{}); err == nil {
		if data := cm.Data[apiproxy.AuthConfigKey]; data != "" {
			_ = l.m.AddAuthenticationConfig(fmt.Sprintf("live: ConfigMap %s/%s %s", d.Namespace, cm.Name, apiproxy.AuthConfigKey), []byte(data))
		}
	}
	if d.Status.AvailableReplicas == 0 {
		l.add("AP-91", Error, fmt.Sprintf("no replica of the API proxy is available (%d of %d ready)", d.Status.ReadyReplicas, d.Status.Replicas), []string{src},
			"kubectl -n "+d.Namespace+" describe deployment "+d.Name+"; kubectl -n "+d.Namespace+" logs deployment/"+d.Name+" (its /readyz waits for the issuer's keys and each cluster's /readyz)")
	} else {
		l.m.Live.Passed["AP-91"] = true
	}
	sa := "system:serviceaccount:" + d.Namespace + ":" + apiproxy.Name
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + d.Namespace, "system:authenticated"}
	var denied []string
	// Each permission the rendered ClusterRole grants, asked the way the
	// impersonation filter asks it (resource and subresource apart).
	var wants []authorizationv1.ResourceAttributes
	for _, r := range apiproxy.ImpersonatorRules() {
		for _, res := range r.Resources {
			resource, sub, _ := strings.Cut(res, "/")
			wants = append(wants, authorizationv1.ResourceAttributes{Verb: "impersonate", Group: r.APIGroups[0], Resource: resource, Subresource: sub})
		}
	}
	for _, a := range wants {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: sa, Groups: groups, ResourceAttributes: &a}}
		got, err := l.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			l.add("AP-90", Warning, "cannot ask the API server what the proxy may do: "+err.Error(), []string{"live: SubjectAccessReview at " + l.cfg.Host}, "")
			return
		}
		if !got.Status.Allowed {
			denied = append(denied, a.Resource+subresource(a.Subresource))
		}
	}
	if len(denied) > 0 {
		l.add("AP-90", Error, fmt.Sprintf("the API server does not let %s impersonate %v: requests through the proxy get 403", sa, denied),
			[]string{"live: SubjectAccessReview at " + l.cfg.Host}, "authstack apply (it binds the proxy's ServiceAccount to ClusterRole "+apiproxy.ImpersonatorRole+")")
		return
	}
	l.m.Live.Passed["AP-90"] = true
}

func subresource(s string) string {
	if s == "" {
		return ""
	}
	return "/" + s
}
