package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkPodSelectors compares each app's podSelector with the selector of its
// upstream Service in the cluster. The rendered NetworkPolicy guards the
// Pods the podSelector matches; a selector with a typo or a label the
// Service's Pods lack guards nothing, and the app stays reachable from every
// pod without logging in, with no error anywhere. Every Pod the Service sends
// traffic to carries all of the Service's selector labels, so the policy
// covers them exactly when each podSelector label is in the Service's
// selector with the same value. A Service that does not exist yet (the app
// is installed after the stack) cannot be checked and is said so.
func (a *applier) checkPodSelectors(ctx context.Context) error {
	var wrong []string
	for i, app := range a.stack.Spec.Apps {
		if len(app.PodSelector) == 0 || (app.NetworkPolicy != nil && !*app.NetworkPolicy) {
			continue
		}
		svc, err := a.kube.CoreV1().Services(app.Namespace).Get(ctx, app.Upstream.Service, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			fmt.Fprintf(a.opts.Log, "warning: Service %s/%s of app %s does not exist yet: cannot check that spec.apps[%d].podSelector selects its Pods; re-run apply once it does\n", app.Namespace, app.Upstream.Service, app.Name, i)
			continue
		case err != nil:
			return fmt.Errorf("apply: read Service %s/%s of app %s: %w", app.Namespace, app.Upstream.Service, app.Name, err)
		}
		if missing := notIn(app.PodSelector, svc.Spec.Selector); len(missing) > 0 {
			wrong = append(wrong, fmt.Sprintf("%s: %s not in the selector %s of Service %s/%s",
				field.NewPath("spec", "apps").Index(i).Child("podSelector"), strings.Join(missing, ", "), labelString(svc.Spec.Selector), app.Namespace, app.Upstream.Service))
		}
	}
	if len(wrong) == 0 {
		return nil
	}
	return fmt.Errorf("apply: the NetworkPolicy of an app would not guard the Pods its Service sends traffic to, leaving them reachable without logging in:\n  %s\nset podSelector to (a part of) the Service's selector", strings.Join(wrong, "\n  "))
}

// notIn lists the labels of sel that want lacks or gives another value.
func notIn(sel, want map[string]string) []string {
	var out []string
	for k, v := range sel {
		if w, ok := want[k]; !ok || w != v {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

func labelString(m map[string]string) string {
	if len(m) == 0 {
		return "{} (a Service without a selector: its endpoints are managed by hand)"
	}
	return "{" + labels.Set(m).String() + "}"
}
