package render

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/secrets"
)

// allFeatures is the kind example with every option that changes what
// runs: several dex replicas, a confidential kubectl client, node CIDRs,
// pinned images, an app without a NetworkPolicy.
func allFeatures(t *testing.T) *config.Stack {
	t.Helper()
	s := load(t, "kind")
	three := int32(3)
	s.Spec.Issuer.Dex.Replicas = &three
	f := false
	s.Spec.Kubectl.Public = &f
	s.Spec.NetworkPolicy.IngressCIDRs = []string{"172.18.0.0/16"}
	s.Spec.Images.PinDigests = true
	s.Spec.Images.Dex += "@sha256:" + strings.Repeat("a", 64)
	s.Spec.Images.OAuth2Proxy += "@sha256:" + strings.Repeat("b", 64)
	s.Spec.Apps = append(s.Spec.Apps, v1alpha1.App{
		Name: "open", Host: "open.127.0.0.1.nip.io", Namespace: "open", Identity: v1alpha1.IdentityHeaders,
		Upstream:         v1alpha1.Upstream{Service: "open", Port: 80},
		AppNetworkPolicy: v1alpha1.AppNetworkPolicy{NetworkPolicy: &f},
	})
	v1alpha1.SetDefaults(s.AuthStack)
	if errs := v1alpha1.Validate(s.AuthStack); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return s
}

// renderedStacks are the examples and the all-features spec, rendered.
func renderedStacks(t *testing.T) map[string]*Result {
	t.Helper()
	exampleEnv(t)
	out := map[string]*Result{}
	stacks := map[string]*config.Stack{"all-features": allFeatures(t)}
	for _, name := range examples {
		stacks[name] = load(t, name)
	}
	for name, s := range stacks {
		res, err := Render(s, Options{Secrets: secrets.Fixed{}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = res
	}
	return out
}

var restrictedLatest = api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}

// restrictedViolations checks the pod an object runs with the upstream Pod
// Security admission library, as the API server does for a namespace
// labelled pod-security.kubernetes.io/enforce: restricted.
func restrictedViolations(t *testing.T, u *unstructured.Unstructured) (violations []string, isPod bool) {
	t.Helper()
	tpl := podTemplate(t, u)
	if tpl == nil {
		return nil, false
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range eval.EvaluatePod(restrictedLatest, &tpl.ObjectMeta, &tpl.Spec) {
		if !r.Allowed {
			violations = append(violations, fmt.Sprintf("%s (%s)", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	return violations, true
}

// Every pod authstack renders passes the restricted Pod Security Standard
// (latest), which the namespaces it creates enforce.
func TestEveryPodIsRestricted(t *testing.T) {
	for name, res := range renderedStacks(t) {
		t.Run(name, func(t *testing.T) {
			pods := 0
			for _, o := range res.Objects {
				v, isPod := restrictedViolations(t, o.Object)
				if !isPod {
					continue
				}
				pods++
				for _, msg := range v {
					t.Errorf("%s %s/%s violates restricted: %s", o.Object.GetKind(), o.Object.GetNamespace(), o.Object.GetName(), msg)
				}
			}
			if pods == 0 {
				t.Fatal("no pod rendered; the test would prove nothing")
			}
		})
	}
}

// The check above can fail: a pod that runs as root with privilege
// escalation is reported.
func TestRestrictedCheckReportsViolations(t *testing.T) {
	res := renderedStacks(t)["kind"]
	for _, o := range res.Objects {
		if o.Object.GetKind() != "Deployment" {
			continue
		}
		u := o.Object.DeepCopy()
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		c := cs[0].(map[string]any)
		c["securityContext"] = map[string]any{"allowPrivilegeEscalation": true, "runAsUser": int64(0)}
		if err := unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers"); err != nil {
			t.Fatal(err)
		}
		v, _ := restrictedViolations(t, u)
		joined := strings.Join(v, "\n")
		for _, want := range []string{"allowPrivilegeEscalation != false", "runAsUser=0", "unrestricted capabilities"} {
			if !strings.Contains(joined, want) {
				t.Errorf("violations of a root pod lack %q:\n%s", want, joined)
			}
		}
		return
	}
	t.Fatal("no Deployment in the kind example")
}
