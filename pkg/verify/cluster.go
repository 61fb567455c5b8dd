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
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// target is where verify asks for the user's view of the cluster: the API
// server itself, or, with apiServer.mode proxy, authstack-apiproxy in front
// of the cluster (one target per spec.clusters entry, each with the spec as
// that cluster sees it: its name is in its team groups).
type target struct {
	// cluster is spec.clusters' name, "" for the one cluster.
	cluster string
	spec    *v1alpha1.Spec
	// server and caFile are the proxy's URL and CA in proxy mode.
	server, caFile string
}

func (v *verifier) targets() []target {
	if !v.spec.ProxyMode() {
		return []target{{spec: v.spec}}
	}
	ca := ""
	if p := v.spec.Proxy; p != nil {
		ca = p.TLS.CAFile
	}
	if len(v.spec.Clusters) == 0 {
		return []target{{spec: v.spec, server: v.spec.ProxyURL(""), caFile: ca}}
	}
	var out []target
	for i := range v.spec.Clusters {
		c := &v.spec.Clusters[i]
		out = append(out, target{cluster: c.Name, spec: v.spec.ForCluster(c), server: v.spec.ProxyURL(c.Name), caFile: ca})
	}
	return out
}

// hop names a hop of t: the plain name for the one API server, with
// "through authstack-apiproxy" and the cluster in proxy mode.
func (t target) hop(name string) string {
	switch {
	case t.server == "":
		return name
	case t.cluster == "":
		return name + " (through authstack-apiproxy)"
	default:
		return name + " (cluster " + t.cluster + " through authstack-apiproxy)"
	}
}

// userConfig is a client config for t that authenticates with the user's
// id token and nothing else.
func (v *verifier) userConfig(t target) (*rest.Config, error) {
	var cfg *rest.Config
	switch {
	case t.server != "":
		if t.server == "https://" {
			return nil, fmt.Errorf("apiServer.mode proxy without spec.proxy.host: no proxy to ask")
		}
		cfg = &rest.Config{Host: t.server}
		if t.caFile != "" {
			cfg.CAFile = v.opts.Stack.Path(t.caFile)
		}
	case v.opts.Kubeconfig != "":
		admin, err := kubeclient.RESTConfig(v.opts.Kubeconfig, "")
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", v.opts.Kubeconfig, err)
		}
		cfg = rest.AnonymousClientConfig(admin)
	default:
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
	if v.opts.DialContext != nil && t.server != "" {
		cfg.Dial = v.opts.DialContext
	}
	return cfg, nil
}

// apiServer asks the API server who the token is (SelfSubjectReview) and
// compares it with the prefixed username and groups the spec promises.
func (v *verifier) apiServer(ctx context.Context, t target) (user string, groups []string, ok bool) {
	hop := t.hop(HopAPIServer)
	cfg, err := v.userConfig(t)
	if err != nil {
		v.report.fail(hop, "%v", err)
		return "", nil, false
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		v.report.fail(hop, "%v", err)
		return "", nil, false
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		hint := "check the API server's issuer, audience and CA settings against `authstack render`, and its log for \"oidc\""
		if t.server != "" {
			hint = "check authstack-apiproxy's issuer, audience and CA settings against `authstack render`, its log, and `authstack doctor --live`"
		}
		v.report.fail(hop, "%s rejected the token: %v (%s)", cfg.Host, err, hint)
		return "", nil, false
	}
	got := review.Status.UserInfo
	api := t.spec.APIServer
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
		v.report.fail(hop, "%s", strings.Join(problems, "; "))
		return "", nil, false
	}
	v.report.pass(hop, "SelfSubjectReview: user %s, groups %v", got.Username, got.Groups)
	return got.Username, got.Groups, true
}

// rbac checks, with the user's own SelfSubjectAccessReviews, that the user
// can do what the spec grants and cannot do a sample of what it does not.
func (v *verifier) rbac(ctx context.Context, t target, user string, groups []string) {
	cfg, err := v.userConfig(t)
	if err != nil {
		v.report.fail(t.hop("rbac"), "%v", err)
		return
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		v.report.fail(t.hop("rbac"), "%v", err)
		return
	}
	allow, deny, err := expectations(t.spec, user, groups)
	if err != nil {
		v.report.fail(t.hop("rbac"), "%v", err)
		return
	}
	check := func(a action, want bool) {
		name := t.hop("rbac denies " + a.String())
		if want {
			name = t.hop("rbac allows " + a.String())
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
