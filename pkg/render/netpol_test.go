package render

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/apiproxy"
	"github.com/authstack/authstack/pkg/secrets"
)

func networkPolicies(t *testing.T, res *Result) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, o := range res.Objects {
		if o.Object.GetKind() != "NetworkPolicy" {
			continue
		}
		var np networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object.Object, &np); err != nil {
			t.Fatal(err)
		}
		out = append(out, np)
	}
	return out
}

// selecting are the policies of namespace ns whose podSelector matches podLabels.
func selecting(t *testing.T, nps []networkingv1.NetworkPolicy, ns string, podLabels map[string]string) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, np := range nps {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			t.Fatal(err)
		}
		if np.Namespace == ns && sel.Matches(labels.Set(podLabels)) {
			out = append(out, np)
		}
	}
	return out
}

// onlyFrom checks that the policies restrict ingress and let in nothing but
// the ingress controller's namespace and the given CIDRs.
func onlyFrom(t *testing.T, what string, nps []networkingv1.NetworkPolicy, namespace string, cidrs ...string) {
	t.Helper()
	if len(nps) == 0 {
		t.Errorf("%s: no NetworkPolicy selects its pods: every pod in the cluster can reach them", what)
		return
	}
	for _, np := range nps {
		if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress {
			t.Errorf("%s: NetworkPolicy %s has policyTypes %v, want [Ingress] (egress is left open on purpose)", what, np.Name, np.Spec.PolicyTypes)
		}
		for _, rule := range np.Spec.Ingress {
			if len(rule.From) == 0 {
				t.Errorf("%s: NetworkPolicy %s has a rule without from: it lets every source in", what, np.Name)
			}
			var gotCIDRs []string
			for _, peer := range rule.From {
				switch {
				case peer.IPBlock != nil:
					if len(peer.IPBlock.Except) > 0 {
						t.Errorf("%s: unexpected except in %s", what, np.Name)
					}
					gotCIDRs = append(gotCIDRs, peer.IPBlock.CIDR)
				case peer.PodSelector != nil:
					t.Errorf("%s: NetworkPolicy %s lets pods in by podSelector %v", what, np.Name, peer.PodSelector)
				case peer.NamespaceSelector != nil:
					want := map[string]string{"kubernetes.io/metadata.name": namespace}
					if len(peer.NamespaceSelector.MatchExpressions) > 0 || !labels.Equals(peer.NamespaceSelector.MatchLabels, want) {
						t.Errorf("%s: NetworkPolicy %s lets in namespaces %v, want only %v", what, np.Name, peer.NamespaceSelector, want)
					}
				}
			}
			if strings.Join(gotCIDRs, ",") != strings.Join(cidrs, ",") {
				t.Errorf("%s: NetworkPolicy %s lets in CIDRs %v, want %v", what, np.Name, gotCIDRs, cidrs)
			}
		}
	}
}

// Every pod authstack runs and every app it protects is reachable only from
// the ingress controller.
func TestNetworkPoliciesLetOnlyTheIngressControllerIn(t *testing.T) {
	exampleEnv(t)
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			res := renderExample(t, name)
			nps := networkPolicies(t, res)
			// ingress-nginx's namespace, or the edge provider's (its default
			// or the spec's networkPolicy.ingressNamespace).
			edgeNS := load(t, name).Spec.NetworkPolicy.IngressNamespace
			pods := 0
			for _, o := range res.Objects {
				tpl := podTemplate(t, o.Object)
				if tpl == nil {
					continue
				}
				pods++
				what := o.Object.GetKind() + " " + o.Object.GetNamespace() + "/" + o.Object.GetName()
				if p := load(t, name).Spec.Proxy; p != nil && o.Object.GetName() == apiproxy.Name && p.Expose != v1alpha1.ExposeIngress {
					// Behind a LoadBalancer the API proxy, like an API server,
					// is reached from the clients' addresses and authenticates
					// every request itself: open, but on its https port only.
					openOnHTTPSOnly(t, what, selecting(t, nps, o.Object.GetNamespace(), tpl.Labels))
					continue
				}
				onlyFrom(t, what, selecting(t, nps, o.Object.GetNamespace(), tpl.Labels), edgeNS)
			}
			if pods == 0 {
				t.Fatal("the example renders no pod; the test would prove nothing")
			}
			for _, app := range load(t, name).Spec.Apps {
				onlyFrom(t, "app "+app.Name, selecting(t, nps, app.Namespace, app.PodSelector), edgeNS)
			}
		})
	}
}

func TestNetworkPolicyIngressNamespaceAndCIDRs(t *testing.T) {
	exampleEnv(t)
	s := load(t, "kind")
	s.Spec.NetworkPolicy = v1alpha1.NetworkPolicy{IngressNamespace: "edge", IngressCIDRs: []string{"172.18.0.0/16", "fd00::/64"}}
	res, err := Render(s, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	nps := networkPolicies(t, res)
	if len(nps) != 5 {
		t.Fatalf("%d NetworkPolicies, want 5 (dex, two proxies, two apps)", len(nps))
	}
	onlyFrom(t, "every policy", nps, "edge", "172.18.0.0/16", "fd00::/64")
}

func TestNetworkPolicyRefusals(t *testing.T) {
	exampleEnv(t)
	for _, c := range []struct {
		name string
		edit func(s *v1alpha1.Spec)
		want string
	}{
		{"app without podSelector", func(s *v1alpha1.Spec) { s.Apps[1].PodSelector = nil },
			"spec.apps[1].podSelector: required: the labels of the Pods behind Service apps/headers"},
		{"podSelector with a bad key", func(s *v1alpha1.Spec) { s.Apps[0].PodSelector = map[string]string{"a b": "x"} },
			`spec.apps[0].podSelector: "a b" is not a label key`},
		{"podSelector with a bad value", func(s *v1alpha1.Spec) { s.Apps[0].PodSelector = map[string]string{"app": "x y"} },
			`spec.apps[0].podSelector[app]: "x y" is not a label value`},
		{"CIDR that is no CIDR", func(s *v1alpha1.Spec) { s.NetworkPolicy.IngressCIDRs = []string{"10.0.0.1"} },
			`spec.networkPolicy.ingressCIDRs[0]: "10.0.0.1" is not a CIDR`},
		{"CIDR with host bits", func(s *v1alpha1.Spec) { s.NetworkPolicy.IngressCIDRs = []string{"10.0.0.1/24"} },
			"write the network, 10.0.0.0/24"},
		{"CIDR of everything", func(s *v1alpha1.Spec) { s.NetworkPolicy.IngressCIDRs = []string{"0.0.0.0/0"} },
			"lets every address in"},
		{"bad namespace", func(s *v1alpha1.Spec) { s.NetworkPolicy.IngressNamespace = "Ingress_Nginx" },
			"spec.networkPolicy.ingressNamespace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, "kind")
			c.edit(&s.Spec)
			_, err := Render(s, Options{Secrets: secrets.Fixed{}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestAppNetworkPolicyOptOutIsAWarning(t *testing.T) {
	exampleEnv(t)
	s := load(t, "kind")
	off := false
	s.Spec.Apps[0].NetworkPolicy = &off
	s.Spec.Apps[0].PodSelector = nil
	res, err := Render(s, Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, np := range networkPolicies(t, res) {
		if np.Name == "authstack-"+s.Spec.Apps[0].Name {
			t.Errorf("NetworkPolicy %s rendered although the app opted out", np.Name)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "spec.apps[0].networkPolicy is false") ||
		!strings.Contains(res.Warnings[0], "apps/whoami without logging in") {
		t.Errorf("warnings = %q, want one naming spec.apps[0].networkPolicy and Service apps/whoami", res.Warnings)
	}
	// Its proxy is still guarded.
	onlyFrom(t, "oauth2-proxy-whoami", selecting(t, networkPolicies(t, res), "apps",
		map[string]string{"app.kubernetes.io/name": "oauth2-proxy-whoami", "app.kubernetes.io/instance": "dev"}), "ingress-nginx")
}

// openOnHTTPSOnly checks the API proxy's policies: every rule names the
// https port and nothing else, so the probe and metrics port stays closed.
func openOnHTTPSOnly(t *testing.T, what string, nps []networkingv1.NetworkPolicy) {
	t.Helper()
	if len(nps) == 0 {
		t.Errorf("%s: no NetworkPolicy selects it", what)
	}
	for _, np := range nps {
		for _, rule := range np.Spec.Ingress {
			if len(rule.Ports) != 1 || rule.Ports[0].Port == nil || rule.Ports[0].Port.String() != "https" {
				t.Errorf("%s: NetworkPolicy %s lets in ports %v, want only https", what, np.Name, rule.Ports)
			}
		}
	}
}
