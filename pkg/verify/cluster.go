package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/kubeclient"
)

// userConfig is a client config for the API server that authenticates with
// the user's id token and nothing else.
func (v *verifier) userConfig() (*rest.Config, error) {
	var cfg *rest.Config
	if v.opts.Kubeconfig != "" {
		admin, err := kubeclient.RESTConfig(v.opts.Kubeconfig, "")
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", v.opts.Kubeconfig, err)
		}
		cfg = rest.AnonymousClientConfig(admin)
	} else {
		c := v.spec.Cluster
		if c.Server == "" {
			return nil, fmt.Errorf("no API server to ask: set spec.cluster.server or pass --kubeconfig")
		}
		cfg = &rest.Config{Host: c.Server}
		if c.CertificateAuthority != "" {
			cfg.CAFile = v.opts.Stack.Path(c.CertificateAuthority)
		}
	}
	cfg.BearerToken = v.rawToken
	cfg.Timeout = v.opts.Timeout
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// apiServer asks the API server who the token is (SelfSubjectReview) and
// compares it with the prefixed username and groups the spec promises.
func (v *verifier) apiServer(ctx context.Context) (user string, groups []string, ok bool) {
	cfg, err := v.userConfig()
	if err != nil {
		v.report.fail(HopAPIServer, "%v", err)
		return "", nil, false
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		v.report.fail(HopAPIServer, "%v", err)
		return "", nil, false
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		v.report.fail(HopAPIServer, "%s rejected the token: %v (check the API server's issuer, audience and CA settings against `authstack render`, and its log for \"oidc\")", cfg.Host, err)
		return "", nil, false
	}
	got := review.Status.UserInfo
	api := v.spec.APIServer
	claimUser, _ := v.claims[api.UsernameClaim].(string)
	wantUser := prefixed(api.UsernamePrefix, claimUser)
	var wantGroups []string
	for _, g := range stringList(v.claims[api.GroupsClaim]) {
		wantGroups = append(wantGroups, prefixed(api.GroupsPrefix, g))
	}
	var problems []string
	if got.Username != wantUser {
		problems = append(problems, fmt.Sprintf("the API server sees user %q, the spec expects %q", got.Username, wantUser))
	}
	for _, g := range wantGroups {
		if !slices.Contains(got.Groups, g) {
			problems = append(problems, fmt.Sprintf("group %q is missing from the API server's view %v", g, got.Groups))
		}
	}
	if len(problems) > 0 {
		v.report.fail(HopAPIServer, "%s", strings.Join(problems, "; "))
		return "", nil, false
	}
	v.report.pass(HopAPIServer, "SelfSubjectReview: user %s, groups %v", got.Username, got.Groups)
	return got.Username, got.Groups, true
}

// rbac checks, with the user's own SelfSubjectAccessReviews, that the user
// can do what the spec grants and cannot do a sample of what it does not.
func (v *verifier) rbac(ctx context.Context, user string, groups []string) {
	cfg, err := v.userConfig()
	if err != nil {
		v.report.fail("rbac", "%v", err)
		return
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		v.report.fail("rbac", "%v", err)
		return
	}
	allow, deny, err := expectations(v.spec, user, groups)
	if err != nil {
		v.report.fail("rbac", "%v", err)
		return
	}
	check := func(a action, want bool) {
		name := "rbac denies " + a.String()
		if want {
			name = "rbac allows " + a.String()
		}
		review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: a.Namespace, Verb: a.Verb, Group: a.Group, Resource: a.Resource,
			}},
		}, metav1.CreateOptions{})
		switch {
		case err != nil:
			v.report.fail(name, "SelfSubjectAccessReview: %v", err)
		case review.Status.Allowed != want:
			why := review.Status.Reason
			if why == "" {
				why = "no rule matches"
			}
			v.report.fail(name, "the API server answers allowed=%t for %s (%s); expected from %s", review.Status.Allowed, user, why, a.from)
		default:
			v.report.pass(name, "as %s (%s)", user, a.from)
		}
	}
	for _, a := range allow {
		check(a, true)
	}
	for _, a := range deny {
		check(a, false)
	}
}
