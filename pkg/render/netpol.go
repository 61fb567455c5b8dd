package render

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/chart"
)

// ingressFrom is who the NetworkPolicies let in: the ingress controller's
// namespace and the node CIDRs of a controller on the host network.
func (r *renderer) ingressFrom() (chart.IngressFrom, error) {
	np := r.spec.NetworkPolicy
	p := field.NewPath("spec", "networkPolicy")
	ns := np.IngressNamespace
	if ns == "" {
		ns = v1alpha1.DefaultIngressNamespace
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return chart.IngressFrom{}, fmt.Errorf("%s: %q is not a namespace name: %s", p.Child("ingressNamespace"), ns, strings.Join(errs, "; "))
	}
	from := chart.IngressFrom{Namespace: ns}
	for i, c := range np.IngressCIDRs {
		cp := p.Child("ingressCIDRs").Index(i)
		pfx, err := netip.ParsePrefix(c)
		if err != nil {
			return chart.IngressFrom{}, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/24: %w", cp, c, err)
		}
		if pfx.Masked() != pfx {
			return chart.IngressFrom{}, fmt.Errorf("%s: %q has host bits set; write the network, %s", cp, c, pfx.Masked())
		}
		// A prefix of length 0 lets every address in, pods included: that is
		// no policy, and must be said with apps[].networkPolicy: false.
		if pfx.Bits() == 0 {
			return chart.IngressFrom{}, fmt.Errorf("%s: %q lets every address in, every pod included; list the nodes' CIDRs", cp, c)
		}
		from.CIDRs = append(from.CIDRs, pfx.String())
	}
	return from, nil
}

// appPodSelector is the selector of the app's Pods for the NetworkPolicy
// that keeps other pods from reaching the app without logging in; nil when
// the spec opts out, which is reported as a warning. authstack does not own
// the app's Pods and renders without a cluster, so the selector must come
// from the spec: without it, render refuses rather than guess.
func (r *renderer) appPodSelector(i int, app *v1alpha1.App) (map[string]string, error) {
	p := field.NewPath("spec", "apps").Index(i)
	svc := app.Namespace + "/" + app.Upstream.Service
	if app.NetworkPolicy != nil && !*app.NetworkPolicy {
		r.warnings = append(r.warnings, fmt.Sprintf("%s is false: no NetworkPolicy guards the Pods of app %s, so any pod in the cluster can reach Service %s without logging in",
			p.Child("networkPolicy"), app.Name, svc))
		return nil, nil
	}
	if len(app.PodSelector) == 0 {
		return nil, fmt.Errorf("%s: required: the labels of the Pods behind Service %s (its spec.selector: kubectl -n %s get service %s -o jsonpath='{.spec.selector}'), so that a NetworkPolicy lets only the ingress controller reach them; or set %s: false to leave the app open to every pod in the cluster",
			p.Child("podSelector"), svc, app.Namespace, app.Upstream.Service, p.Child("networkPolicy"))
	}
	keys := make([]string, 0, len(app.PodSelector))
	for k := range app.PodSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := app.PodSelector[k]
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("%s: %q is not a label key: %s", p.Child("podSelector"), k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("%s: %q is not a label value: %s", p.Child("podSelector").Key(k), v, strings.Join(errs, "; "))
		}
	}
	return app.PodSelector, nil
}
