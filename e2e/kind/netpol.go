//go:build e2e_kind

package kind

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// outsiderNamespace holds probe pods that stand for any other workload.
const outsiderNamespace = "authstack-e2e-outsider"

// networkPolicyBypass probes the whoami app, its oauth2-proxy and dex
// directly (their cluster Service addresses, plain HTTP) from a pod in the
// ingress controller's namespace, which must get through, and from pods in
// the app's namespace and in an unrelated one, which must not. Then it
// deletes the app's NetworkPolicy and expects the outsider to get through,
// so a refusal above was the policy's and not a broken probe; reapply puts
// the rendered policy back.
//
// Something must enforce NetworkPolicy: on the stock node image kind's
// kindnetd (kind v0.24 and later, through sigs.k8s.io/kube-network-policies;
// kubernetes-sigs/kind#842), on the local one kube-network-policies itself
// (deployEnforcer). Only AUTHSTACK_E2E_KIND_NETPOL=off skips. The edge is a
// pod in the ingress namespace (host ports, not the host network), so the
// logins through it in the other subtests go the way the policies allow.
func networkPolicyBypass(t *testing.T, cs *kubernetes.Clientset, e env, dexNamespace string, reapply func() (string, error)) {
	ctx := context.Background()
	enforcer := "kube-network-policies"
	switch {
	case e.netpolOff:
		t.Skip("AUTHSTACK_E2E_KIND_NETPOL=off: no NetworkPolicy enforcer was deployed, so a bypass cannot be refused here")
	case e.mode == "stock":
		enforcer = "kindnet"
	}
	if _, err := cs.AppsV1().DaemonSets("kube-system").Get(ctx, enforcer, metav1.GetOptions{}); err != nil {
		t.Fatalf("no NetworkPolicy enforcer (DaemonSet kube-system/%s: %v)", enforcer, err)
	}
	// What the enforcer said, for any failure below.
	defer func() {
		if t.Failed() {
			t.Logf("logs of the NetworkPolicy enforcer:\n%s", enforcerLogs(cs, enforcer))
		}
	}()
	create(t, "namespace "+outsiderNamespace, cs.CoreV1().Namespaces().Create, restrictedNamespace(outsiderNamespace))
	targets := []struct{ what, url string }{
		{"the whoami app", "http://whoami." + appsNamespace + ".svc.cluster.local:8080/healthz"},
		{"whoami's oauth2-proxy", "http://oauth2-proxy-whoami." + appsNamespace + ".svc.cluster.local:4180/ping"},
		{"dex", "http://dex." + dexNamespace + ".svc.cluster.local:5556/.well-known/openid-configuration"},
	}
	for _, tg := range targets {
		// The control: the same probe from the ingress controller's
		// namespace gets an answer, so a refusal below is the policy's.
		var logs string
		err := poll(time.Minute, 2*time.Second, func() error {
			var err error
			logs, err = probe(t, cs, edgeNamespace, tg.url, nil)
			return err
		})
		if err != nil {
			t.Errorf("%s from the ingress controller's namespace %s: %v\n%s", tg.what, edgeNamespace, err, logs)
			continue
		}
		for _, ns := range []string{appsNamespace, outsiderNamespace} {
			if tg.what != "the whoami app" && ns == appsNamespace {
				continue // one namespace is enough for the stack's own pods
			}
			// A policy takes effect within seconds of being applied; poll
			// until the probe is refused, bounded.
			err := poll(time.Minute, 2*time.Second, func() error {
				var err error
				// Dropped packets leave the probe waiting: a short
				// timeout, as a Service in the cluster answers at once.
				logs, err = probe(t, cs, ns, tg.url, nil, "-timeout=3s")
				if err == nil {
					return errReached
				}
				return nil
			})
			if err != nil {
				t.Errorf("a pod in namespace %s reached %s at %s directly, bypassing the login:\n%s", ns, tg.what, tg.url, logs)
				continue
			}
			// Refused by the network (dropped or reset), not answered with an error.
			if strings.HasPrefix(strings.TrimSpace(logs), "status ") {
				t.Errorf("a pod in namespace %s got an HTTP answer from %s (want no connection):\n%s", ns, tg.what, logs)
			}
		}
	}
	if t.Failed() {
		return
	}

	// The counter-check: without the app's NetworkPolicy the same probe
	// gets through.
	whoami := targets[0]
	pols, err := cs.NetworkingV1().NetworkPolicies(appsNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, p := range pols.Items {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set{"app.kubernetes.io/name": "whoami"}) {
			continue
		}
		if err := cs.NetworkingV1().NetworkPolicies(appsNamespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, p.Name)
	}
	if len(deleted) == 0 {
		t.Fatalf("no NetworkPolicy in %s selects the whoami pods", appsNamespace)
	}
	var logs string
	err = poll(time.Minute, 2*time.Second, func() error {
		var err error
		logs, err = probe(t, cs, outsiderNamespace, whoami.url, nil)
		return err
	})
	if err != nil {
		t.Errorf("with NetworkPolicy %v deleted, a pod in namespace %s still cannot reach %s (%v): the refusals above prove nothing\n%s",
			deleted, outsiderNamespace, whoami.what, err, logs)
	}
	if o, err := reapply(); err != nil {
		t.Fatalf("authstack apply to restore NetworkPolicy %v: %v\n%s", deleted, err, o)
	}
}

// enforcerLogs returns the last lines of the enforcer's pods' logs.
func enforcerLogs(cs *kubernetes.Clientset, app string) string {
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range pods.Items {
		raw, err := cs.CoreV1().Pods("kube-system").GetLogs(p.Name, &corev1.PodLogOptions{TailLines: ptr.To[int64](40)}).Do(ctx).Raw()
		fmt.Fprintf(&b, "--- %s (%v)\n%s\n", p.Name, err, raw)
	}
	return b.String()
}

var errReached = reachedError{}

type reachedError struct{}

func (reachedError) Error() string { return "the probe got through" }
