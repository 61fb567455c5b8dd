package doctor

import (
	"context"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// The proxy's RBAC check fails for what the API server would refuse (no
// impersonate on groups) and warns for more than impersonation.
func TestAPIProxyImpersonateRBAC(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  []string
	}{
		{"as rendered", apiproxy.ImpersonatorRules(), nil},
		{"no groups", []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"users", "serviceaccounts"}, Verbs: []string{"impersonate"}}},
			[]string{"error: the proxy's ServiceAccount may not impersonate groups"}},
		{"wildcard", []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
			[]string{"warning: the proxy's ServiceAccount holds more than impersonation"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &Model{APIProxy: &APIProxy{Source: "test", RulesKnown: true, Rules: c.rules,
				Args: []string{"--authentication-config=/a", "--tls-cert-file=/c", "--tls-private-key-file=/k"}}}
			var got []string
			for _, f := range Diagnose(m).Findings {
				if f.Code == "AP-01" || f.Code == "AP-02" {
					got = append(got, string(f.Severity)+": "+f.Message)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("findings %q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("finding %q, want %q", got[i], c.want[i])
				}
			}
		})
	}
}

func TestAPIProxyFlags(t *testing.T) {
	m := &Model{APIProxy: &APIProxy{Source: "test", Args: []string{"--authentication-config=/a"}}}
	var got []string
	for _, f := range Diagnose(m).Findings {
		if f.Code == "AP-02" {
			got = append(got, f.Message)
		}
	}
	if strings.Join(got, ";") != "the proxy has no --tls-cert-file;the proxy has no --tls-private-key-file" {
		t.Errorf("findings %q", got)
	}
}

// --live asks the API server, as the proxy's ServiceAccount, whether it may
// impersonate; a denial is an error naming the resources, an unavailable
// Deployment another.
func TestCollectLiveAPIProxy(t *testing.T) {
	zero := int32(0)
	client := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: apiproxy.Name, Namespace: "authstack-proxy", Labels: map[string]string{"app.kubernetes.io/name": apiproxy.Name}},
		Spec: appsv1.DeploymentSpec{Replicas: &zero, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "apiproxy", Args: []string{"--authentication-config=/a", "--tls-cert-file=/c", "--tls-private-key-file=/k"},
		}}}}},
	})
	var asked []string
	client.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		ra := sar.Spec.ResourceAttributes
		asked = append(asked, sar.Spec.User+" "+ra.Verb+" "+ra.Resource+subresource(ra.Subresource))
		sar.Status.Allowed = sar.Spec.ResourceAttributes.Resource != "groups"
		return true, sar, nil
	})
	m := &Model{Now: testNow}
	if err := CollectLive(context.Background(), m, LiveOptions{Config: &rest.Config{Host: "https://cluster.invalid"}, Client: client}); err != nil {
		t.Fatal(err)
	}
	// Exactly what the rendered ClusterRole grants, the credential-id extra
	// of tokens with a jti included.
	if len(asked) != 5 || asked[0] != "system:serviceaccount:authstack-proxy:authstack-apiproxy impersonate users" ||
		!slices.Contains(asked, "system:serviceaccount:authstack-proxy:authstack-apiproxy impersonate userextras/authentication.kubernetes.io/credential-id") {
		t.Errorf("reviews asked: %q", asked)
	}
	got := map[string]string{}
	for _, f := range Diagnose(m).Findings {
		got[f.Code] = string(f.Severity) + ": " + f.Message
	}
	if !strings.Contains(got["AP-90"], "error: ") || !strings.Contains(got["AP-90"], "[groups]") {
		t.Errorf("AP-90: %q", got["AP-90"])
	}
	if !strings.HasPrefix(got["AP-91"], "error: no replica") {
		t.Errorf("AP-91: %q", got["AP-91"])
	}
	if m.APIProxy == nil || len(m.APIProxy.Args) != 3 {
		t.Errorf("the live Deployment's args are not in the model: %+v", m.APIProxy)
	}
}
