//go:build e2e

package local

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/apiproxy"
)

// TestLocalAPIProxy is a managed cluster's login: two API servers started
// with no OIDC settings (clusters a and b of spec.clusters), the proxy
// rendered by authstack from installer managed, spec.proxy and
// spec.clusters and run from the applied Deployment, the impersonator and
// team RBAC applied by `authstack apply` to each cluster through its
// kubeconfig context, and users who log in at dex with kubelogin and use
// the rendered kubeconfig.
func TestLocalAPIProxy(t *testing.T) {
	began := time.Now()
	s := Start(t, Options{Mode: ModeProxy})
	tm := &timings{Mode: ModeProxy, StackUpSeconds: time.Since(began).Seconds(), FirstApplySeconds: s.FirstApply.Seconds()}
	defer func() {
		tm.TestSeconds = time.Since(began).Seconds()
		tm.SinceApplyStart = s.Marks
		saveTimings(t, "apiproxy", tm)
	}()

	// The directory's groups are the team groups of the spec's pattern:
	// alice develops in shop on a and watches shop on b; bob is shop's
	// devops on a and has nothing on b.
	members := map[string][]ldapUser{
		s.TeamGroup(t, "a", v1alpha1.TeamDeveloper, "shop"): {alice},
		s.TeamGroup(t, "b", v1alpha1.TeamWatcher, "shop"):   {alice},
		s.TeamGroup(t, "a", v1alpha1.TeamDevops, "shop"):    {bob},
	}
	var ldif strings.Builder
	for g, users := range members {
		fmt.Fprintf(&ldif, "dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: %s\n", groupDN(g), g)
		for _, u := range users {
			fmt.Fprintf(&ldif, "member: %s\n", userDN(u))
		}
		ldif.WriteString("\n")
	}
	s.LDAPModify(t, ldif.String())

	s.CreateProxyTLSSecret(t)
	p := s.StartAPIProxy(t)
	s.Mark("apiproxy ready")
	t.Logf("stack and proxy up in %s; proxy args: %q", time.Since(began).Round(time.Millisecond), p.Args)

	h := &proxyHarness{s: s, p: p}
	t.Run("the proxy runs the rendered configuration", h.renderedConfig)
	t.Run("kubectl through kubelogin gets exactly the team roles", h.teamRoles)
	t.Run("tokens from another issuer, for another audience and expired get 401 with the reason", h.refusedTokens)
	t.Run("client-sent impersonation is refused", h.clientImpersonation)
	t.Run("two clusters route to their own API server", h.routing)
	t.Run("an unchanged re-apply changes nothing in any cluster", h.reapply)
	// Last: it waits for the events of the subtests above.
	t.Run("audit events reach the webhook", h.audit)
}

// reapply runs `authstack apply` again: the objects of every cluster, and
// the proxy's credential Secrets, keep their resourceVersions.
func (h *proxyHarness) reapply(t *testing.T) {
	ctx := context.Background()
	versions := func() map[string]string {
		out := map[string]string{}
		for name, env := range h.s.Clusters {
			cs := kubernetes.NewForConfigOrDie(env.Config)
			rbs, err := cs.RbacV1().RoleBindings("shop").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, rb := range rbs.Items {
				out[name+"/RoleBinding/"+rb.Name] = rb.ResourceVersion
			}
			crb, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, apiproxy.ImpersonatorRole, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out[name+"/ClusterRoleBinding/"+crb.Name] = crb.ResourceVersion
		}
		secrets, err := h.s.Client.CoreV1().Secrets("authstack-proxy").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets.Items {
			out["a/Secret/"+sec.Name] = sec.ResourceVersion
		}
		return out
	}
	before := versions()
	out := h.s.Apply(t)
	after := versions()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed on an unchanged re-apply (resourceVersion %s -> %s)", k, v, after[k])
		}
	}
	if len(before) < 8 {
		t.Errorf("only %d objects compared: %v", len(before), before)
	}
	t.Logf("re-apply said:\n%s", out)
}

type proxyHarness struct {
	s *Stack
	p *APIProxy
	// aliceCfg and bobCfg are the rendered kubeconfig with kubelogin.
	aliceCfg, bobCfg string
	// secretMarker is the value of a Secret written through the proxy,
	// which must not reach the audit webhook.
	secretMarker string
	// tokens the proxy refused: none may reach the audit webhook.
	refused []string
}

func (h *proxyHarness) renderedConfig(t *testing.T) {
	// The args came from the applied Deployment: the clusters config and
	// the audit webhook are there, and each cluster's CA and token file
	// were found where the clusters config says (the proxy is ready, which
	// needs each cluster's /readyz through its credential).
	for _, want := range []string{"--clusters-config=", "--audit-webhook-url=" + h.s.Audit.URL, "--audit-webhook-format=records", "--authentication-config="} {
		found := false
		for _, a := range h.p.Args {
			found = found || strings.HasPrefix(a, want)
		}
		if !found {
			t.Errorf("the proxy runs without %s…: %q", want, h.p.Args)
		}
	}
	// The proxy's identity in each cluster is the ServiceAccount apply
	// created there: it may impersonate users and groups, and nothing
	// else (asked of each API server with a SubjectAccessReview).
	spec := h.s.Spec(t).Spec
	sa := "system:serviceaccount:" + spec.Proxy.Namespace + ":" + apiproxy.Name
	for name, env := range h.s.Clusters {
		cs := kubernetes.NewForConfigOrDie(env.Config)
		for _, c := range []struct {
			attrs authorizationv1.ResourceAttributes
			want  bool
		}{
			{authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "users"}, true},
			{authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "groups"}, true},
			{authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets", Namespace: "shop"}, false},
			{authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: "shop"}, false},
			{authorizationv1.ResourceAttributes{Verb: "create", Resource: "clusterrolebindings", Group: "rbac.authorization.k8s.io"}, false},
		} {
			attrs := c.attrs
			sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: sa, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + spec.Proxy.Namespace, "system:authenticated"}, ResourceAttributes: &attrs},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sar.Status.Allowed != c.want {
				t.Errorf("cluster %s: %s may %s %s: %v, want %v", name, sa, attrs.Verb, attrs.Resource, sar.Status.Allowed, c.want)
			}
		}
	}
}

// kubectl runs kubectl with a user's kubeconfig in one cluster's context.
func (h *proxyHarness) kubectl(t *testing.T, cfg, cluster string, args ...string) (string, string, error) {
	t.Helper()
	return h.s.Kubectl(t, cfg, append([]string{"--context=" + cluster + "-oidc"}, args...)...)
}

func (h *proxyHarness) teamRoles(t *testing.T) {
	h.aliceCfg = h.s.ProxyKubeconfig(t, alice, h.p)
	h.bobCfg = h.s.ProxyKubeconfig(t, bob, h.p)
	out, errOut, err := h.kubectl(t, h.aliceCfg, "a", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	if err != nil || !strings.HasPrefix(out, "oidc:"+alice.Mail+" ") || !strings.Contains(out, "oidc:a:developer:shop") {
		t.Fatalf("kubectl auth whoami as alice through /a/: %q %v\n%s", out, err, errOut)
	}
	allowed := []struct {
		cfg, cluster string
		args         []string
	}{
		{h.aliceCfg, "a", []string{"-n", "shop", "get", "pods"}},
		{h.aliceCfg, "a", []string{"-n", "shop", "create", "configmap", "alice-in-a", "--from-literal=note=from-alice"}},
		{h.aliceCfg, "a", []string{"-n", "shop", "auth", "can-i", "create", "pods/exec"}},
		{h.aliceCfg, "b", []string{"-n", "shop", "get", "configmaps"}},
		{h.aliceCfg, "b", []string{"-n", "shop", "get", "deployments"}},
		{h.bobCfg, "a", []string{"-n", "shop", "get", "secrets"}},
	}
	for _, c := range allowed {
		if out, errOut, err := h.kubectl(t, c.cfg, c.cluster, c.args...); err != nil {
			t.Errorf("kubectl --context %s-oidc %s as %s: want allowed, got %v\n%s%s", c.cluster, strings.Join(c.args, " "), userOf(c.cfg, h), err, out, errOut)
		}
	}
	h.secretMarker = "secret-marker-" + rand.Text()
	if _, errOut, err := h.kubectl(t, h.bobCfg, "a", "-n", "shop", "create", "secret", "generic", "bobs-secret", "--from-literal=password="+h.secretMarker); err != nil {
		t.Errorf("bob (devops in shop on a) cannot create a Secret through the proxy: %v\n%s", err, errOut)
	}
	denied := []struct {
		cfg, cluster string
		args         []string
	}{
		{h.aliceCfg, "a", []string{"-n", "shop", "get", "secrets"}},
		{h.aliceCfg, "a", []string{"-n", "kube-system", "get", "pods"}},
		{h.aliceCfg, "a", []string{"get", "namespaces"}},
		{h.aliceCfg, "a", []string{"delete", "namespace", "shop"}},
		{h.aliceCfg, "a", []string{"-n", "shop", "create", "role", "r", "--verb=get", "--resource=pods"}},
		{h.aliceCfg, "b", []string{"-n", "shop", "create", "configmap", "alice-in-b", "--from-literal=a=b"}},
		{h.aliceCfg, "b", []string{"-n", "shop", "get", "secrets"}},
		{h.bobCfg, "b", []string{"-n", "shop", "get", "pods"}},
		{h.bobCfg, "a", []string{"-n", "kube-system", "get", "secrets"}},
	}
	for _, c := range denied {
		out, errOut, err := h.kubectl(t, c.cfg, c.cluster, c.args...)
		if err == nil || !forbidden(errOut) {
			t.Errorf("kubectl --context %s-oidc %s as %s: want 403 Forbidden, got err=%v\n%s%s", c.cluster, strings.Join(c.args, " "), userOf(c.cfg, h), err, out, errOut)
		}
	}
	// can-i answers no (exit 1) without an error for what the role lacks.
	if out, _, err := h.kubectl(t, h.aliceCfg, "b", "-n", "shop", "auth", "can-i", "create", "pods/exec"); err == nil || strings.TrimSpace(out) != "no" {
		t.Errorf("alice (watcher on b) can-i create pods/exec: %q %v, want no", out, err)
	}
}

func userOf(cfg string, h *proxyHarness) string {
	if cfg == h.bobCfg {
		return "bob"
	}
	return "alice"
}

// raw sends one request to the proxy with token (none when empty).
func (h *proxyHarness) raw(t *testing.T, method, path, token string, hdr http.Header) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+h.p.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), resp.Header
}

// status is the metav1.Status a refusal carries, with its cause types.
type proxyStatus struct {
	Kind    string `json:"kind"`
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Details struct {
		Causes []struct {
			Type string `json:"reason"`
		} `json:"causes"`
	} `json:"details"`
}

func (h *proxyHarness) refusedTokens(t *testing.T) {
	a := &attacker{s: h.s}
	a.alice = h.s.PasswordToken(t, alice)
	a.aliceParts = decodeJWT(t, a.alice)
	a.dexKey, a.dexKID = h.s.dexSigningKey(t)
	var err error
	if a.foreignKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	const path = "/a/api/v1/namespaces/shop/pods"
	// Control: a copy of alice's token signed with dex's key again is
	// accepted, so each refusal below is the one property changed.
	if code, body, _ := h.raw(t, "GET", path, a.forge(t, nil), nil); code != http.StatusOK {
		t.Fatalf("control: alice's claims signed again with dex's key: %d %s, want 200", code, snippet(body))
	}
	now := time.Now()
	for _, c := range []struct {
		what, token, reason string
	}{
		{"own key, issuer https://evil.example", a.forgeWith(t, a.foreignKey, func(h, c map[string]any) { h["kid"], c["iss"] = "evil", "https://evil.example" }), "unknown_issuer"},
		{"dex's key, audience oauth2-proxy", a.forge(t, func(h, c map[string]any) { c["aud"] = "oauth2-proxy" }), "wrong_audience"},
		{"dex's key, expired an hour ago", a.forge(t, func(h, c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}), "expired"},
		{"own key, dex's issuer and kid", a.forgeWith(t, a.foreignKey, nil), ""},
		{"no token", "", "missing_token"},
	} {
		code, body, hdr := h.raw(t, "GET", path, c.token, nil)
		if code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", c.what, code, snippet(body))
			continue
		}
		var st proxyStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil || st.Kind != "Status" || st.Code != 401 {
			t.Errorf("%s: the 401 body is not a Status: %v %s", c.what, err, snippet(body))
		}
		if c.reason != "" && (len(st.Details.Causes) == 0 || st.Details.Causes[0].Type != c.reason) {
			t.Errorf("%s: the 401 says %q (causes %+v), want the reason %s", c.what, st.Message, st.Details.Causes, c.reason)
		}
		if c.token != "" {
			h.refused = append(h.refused, c.token)
			sig := c.token[strings.LastIndex(c.token, ".")+1:]
			if strings.Contains(body, sig) || strings.Contains(body, c.token[:strings.Index(c.token, ".")]) {
				t.Errorf("%s: the 401 body echoes the token: %s", c.what, snippet(body))
			}
		}
		if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q, want a Bearer challenge", c.what, hdr.Get("WWW-Authenticate"))
		}
	}
}

func (h *proxyHarness) clientImpersonation(t *testing.T) {
	token := h.s.PasswordToken(t, alice)
	for _, hdr := range []http.Header{
		{"Impersonate-User": {"bob@example.org"}},
		{"Impersonate-User": {"system:admin"}, "Impersonate-Group": {"system:masters"}},
		{"Impersonate-Group": {"oidc:a:devops:shop"}},
	} {
		code, body, _ := h.raw(t, "GET", "/a/api/v1/namespaces/shop/secrets", token, hdr)
		if code != http.StatusForbidden || !strings.Contains(body, "client_impersonation") {
			t.Errorf("alice with %v: %d %s, want 403 client_impersonation", hdr, code, snippet(body))
		}
	}
	// kubectl --as sends Impersonate-User: refused through the proxy too.
	_, errOut, err := h.kubectl(t, h.aliceCfg, "a", "--as=bob@example.org", "-n", "shop", "get", "secrets")
	if err == nil || !forbidden(errOut) || !strings.Contains(errOut, "impersonation") {
		t.Errorf("kubectl --as as alice: want the proxy's 403, got err=%v\n%s", err, errOut)
	}
}

func (h *proxyHarness) routing(t *testing.T) {
	ctx := context.Background()
	a := kubernetes.NewForConfigOrDie(h.s.Clusters["a"].Config)
	b := kubernetes.NewForConfigOrDie(h.s.Clusters["b"].Config)
	if _, err := b.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-b"}, Data: map[string]string{"cluster": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := h.kubectl(t, h.aliceCfg, "b", "-n", "shop", "get", "configmap", "only-in-b", "-o", "jsonpath={.data.cluster}")
	if err != nil || out != "b" {
		t.Errorf("alice through /b/: ConfigMap only-in-b: %q %v\n%s", out, err, errOut)
	}
	_, errOut, err = h.kubectl(t, h.aliceCfg, "a", "-n", "shop", "get", "configmap", "only-in-b")
	if err == nil || !strings.Contains(errOut, `configmaps "only-in-b" not found`) {
		t.Errorf("alice through /a/: ConfigMap only-in-b: want NotFound, got err=%v\n%s", err, errOut)
	}
	// What alice created through /a/ is in a only.
	if _, err := a.CoreV1().ConfigMaps("shop").Get(ctx, "alice-in-a", metav1.GetOptions{}); err != nil {
		t.Errorf("cluster a: ConfigMap alice-in-a, created through /a/: %v", err)
	}
	if _, err := b.CoreV1().ConfigMaps("shop").Get(ctx, "alice-in-a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cluster b: ConfigMap alice-in-a: %v, want NotFound", err)
	}
	// A path that names no cluster reaches none.
	token := h.s.PasswordToken(t, alice)
	for _, p := range []string{"/c/api/v1/namespaces/shop/configmaps", "/api/v1/namespaces/shop/configmaps"} {
		if code, body, _ := h.raw(t, "GET", p, token, nil); code != http.StatusNotFound || !strings.Contains(body, "unknown_cluster") {
			t.Errorf("GET %s: %d %s, want 404 unknown_cluster", p, code, snippet(body))
		}
	}
}

func (h *proxyHarness) audit(t *testing.T) {
	if h.secretMarker == "" {
		t.Skip("the team roles subtest did not write the ConfigMap and Secret")
	}
	aliceUser, bobUser := "oidc:"+alice.Mail, "oidc:"+bob.Mail
	type want struct {
		what  string
		match func(r auditRecord) bool
	}
	wants := []want{
		{"alice's allowed list of pods in shop on a", func(r auditRecord) bool {
			return r.Email == aliceUser && r.Cluster == "a" && r.Verb == "list" && r.Resource == "pods" && r.Namespace == "shop" &&
				r.Path == "/api/v1/namespaces/shop/pods" && r.Decision == "allowed" && r.Code == 200
		}},
		{"alice's denied list of secrets in shop on a", func(r auditRecord) bool {
			return r.Email == aliceUser && r.Cluster == "a" && r.Verb == "list" && r.Resource == "secrets" && r.Decision == "denied" && r.Code == 403
		}},
		{"alice's denied create of a ConfigMap on b", func(r auditRecord) bool {
			return r.Email == aliceUser && r.Cluster == "b" && r.Verb == "create" && r.Resource == "configmaps" && r.Decision == "denied" && r.Code == 403
		}},
		// kubectl sends built-in objects as protobuf: the record has
		// their type and metadata.
		{"alice's ConfigMap create on a, with its body's kind and name", func(r auditRecord) bool {
			var body struct {
				Kind     string
				Metadata struct{ Name string }
			}
			return r.Email == aliceUser && r.Verb == "create" && r.Resource == "configmaps" && r.Code == 201 &&
				json.Unmarshal(r.RequestBody, &body) == nil && body.Kind == "ConfigMap" && body.Metadata.Name == "alice-in-a"
		}},
		{"bob's Secret create on a, without its body", func(r auditRecord) bool {
			return r.Email == bobUser && r.Verb == "create" && r.Resource == "secrets" && r.Code == 201 && r.Decision == "allowed" && string(r.RequestBody) == "{}"
		}},
		{"the expired token's 401", func(r auditRecord) bool {
			return r.Email == "" && r.Code == 401 && r.Decision == "denied" && r.Reason == "expired"
		}},
		{"alice's impersonation attempt", func(r auditRecord) bool {
			return r.Email == aliceUser && r.Code == 403 && r.Reason == "client_impersonation"
		}},
	}
	var records []auditRecord
	var posts []auditPost
	err := poll(30*time.Second, 200*time.Millisecond, func() error {
		posts = h.s.Audit.Posts()
		records = records[:0]
		for _, p := range posts {
			if p.Path != "/api/v1/k8s-audit-log/webhook" {
				return fmt.Errorf("the webhook got a POST to %s, want the records path", p.Path)
			}
			var r auditRecord
			if err := json.Unmarshal(p.Body, &r); err != nil {
				return fmt.Errorf("a POST is not a record: %v: %s", err, snippet(string(p.Body)))
			}
			records = append(records, r)
		}
		for _, w := range wants {
			found := false
			for _, r := range records {
				found = found || w.match(r)
			}
			if !found {
				return fmt.Errorf("no record of %s among %d", w.what, len(records))
			}
		}
		return nil
	})
	if err != nil {
		var b strings.Builder
		for _, r := range records {
			fmt.Fprintf(&b, "%s %s %s %s/%s %s %d %s %s body %s\n", r.Cluster, r.Email, r.Verb, r.Namespace, r.Resource, r.Path, r.Code, r.Decision, r.Reason, snippet(string(r.RequestBody)))
		}
		t.Fatalf("audit webhook: %v\n%s", err, b.String())
	}
	t.Logf("%d audit records", len(records))
	for _, p := range posts {
		if strings.Contains(string(p.Body), h.secretMarker) {
			t.Errorf("the Secret's value reached the audit webhook: %s", snippet(string(p.Body)))
		}
		for _, tok := range h.refused {
			if strings.Contains(string(p.Body), tok[strings.LastIndex(tok, ".")+1:]) {
				t.Errorf("a refused token's signature reached the audit webhook")
			}
		}
	}
}
