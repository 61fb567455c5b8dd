//go:build e2e_kind

package kind

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// outsiderNamespace holds probe pods that stand for any other workload.
const outsiderNamespace = "authstack-e2e-outsider"

// networkPolicyBypass probes the whoami app, its oauth2-proxy and dex
// directly (their cluster Service addresses, plain HTTP) from a pod in the
// ingress controller's namespace, which must get through, and from pods in
// the app's namespace and in an unrelated one, which must not.
//
// Only kind's kindnetd enforces NetworkPolicy (kind v0.24 and later, through
// sigs.k8s.io/kube-network-policies; kubernetes-sigs/kind#842); the local
// node image's static bridge CNI does not, so there the test skips, saying
// why. The edge runs on the host network: its connections come from the
// node, which NetworkPolicy always lets in (kube-network-policies#65), so the
// way in through the edge keeps working.
func networkPolicyBypass(t *testing.T, cs *kubernetes.Clientset, e env, dexNamespace string) {
	if e.mode != "stock" {
		t.Skipf("image source %q: the local node image's static bridge CNI enforces no NetworkPolicy, so a bypass cannot be refused here; run with AUTHSTACK_E2E_KIND_IMAGES=stock (kind's kindnetd enforces NetworkPolicy)", e.mode)
	}
	ctx := context.Background()
	if _, err := cs.AppsV1().DaemonSets("kube-system").Get(ctx, "kindnet", metav1.GetOptions{}); err != nil {
		t.Fatalf("kind's stock node image runs without kindnetd (%v): nothing enforces NetworkPolicy", err)
	}
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
				logs, err = probe(t, cs, ns, tg.url, nil)
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
}

var errReached = reachedError{}

type reachedError struct{}

func (reachedError) Error() string { return "the probe got through" }
