package apiproxy

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
)

// realClusterHarness is the proxy in front of a real kube-apiserver (cluster
// "a"), its impersonator bound to the rendered ClusterRole, and group dev
// allowed to read pods in namespace team only.
func realClusterHarness(t *testing.T, authn func(*testIssuer) string) *harness {
	t.Helper()
	env := testenv.Start(t, testenv.Options{})
	admin, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"authstack-system", "team"} {
		must(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	must(admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy"}, Rules: impersonatorRules}, metav1.CreateOptions{}))
	must(admin.RbacV1().Roles("team").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "developer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
	}}, metav1.CreateOptions{}))
	must(admin.RbacV1().RoleBindings("team").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "developer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "developer"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "dev"}},
	}, metav1.CreateOptions{}))
	must(admin.CoreV1().ServiceAccounts("authstack-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "impersonator"}}, metav1.CreateOptions{}))
	must(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "authstack-apiproxy"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "impersonator", Namespace: "authstack-system"}},
	}, metav1.CreateOptions{}))
	exp := int64(3600)
	tr, err := admin.CoreV1().ServiceAccounts("authstack-system").CreateToken(ctx, "impersonator",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tok := writeFile(t, dir, "impersonator.token", tr.Status.Token)
	clusters := fmt.Sprintf("apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n- name: a\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n",
		env.URL, env.CA.CertFile, tok)
	iss := newTestIssuer(t)
	opts := DefaultOptions()
	authnYAML := authConfigYAML(iss, "kubectl")
	if authn != nil {
		authnYAML = authn(iss)
	}
	opts.AuthenticationConfig = writeFile(t, dir, "authn.yaml", authnYAML)
	opts.ClustersConfig = writeFile(t, dir, "clusters.yaml", clusters)
	pctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	stderr := &syncBuffer{}
	p, err := New(pctx, opts, stderr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(p)
	t.Cleanup(srv.Close)
	waitFor(t, "proxy ready", p.Ready)
	return &harness{iss: iss, proxy: p, srv: srv, stderr: stderr}
}

// TestIntegrationAttacksAgainstRealAPIServer: requests built to get around
// the proxy reach nothing they should not, judged by what a real
// kube-apiserver does with them.
func TestIntegrationAttacksAgainstRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	h := realClusterHarness(t, nil)
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))

	// Before the fix, a group " system:masters" passed the proxy's system:
	// check and, on the HTTP/1.1 transport (any request with an Upgrade
	// header), reached the API server trimmed: cluster-admin.
	t.Run("identities padded to reach system:", func(t *testing.T) {
		for _, c := range []map[string]any{
			h.iss.claims("mallory@example.com", "kubectl", " system:masters"),
			h.iss.claims("mallory@example.com", "kubectl", "system:masters "),
			h.iss.claims("mallory@example.com", "kubectl", "\tsystem:masters"),
			h.iss.claims(" system:admin", "kubectl"),
			h.iss.claims(" system:serviceaccount:authstack-system:impersonator", "kubectl"),
			h.iss.claims("mallory@example.com", "kubectl", "dev", "system:masters\u0000"),
		} {
			// Over HTTP/2 and, with an Upgrade header, over the HTTP/1.1
			// transport, which trims header values as it writes them.
			for _, hdr := range []map[string]string{nil, {"Connection": "Upgrade", "Upgrade": "websocket"}} {
				code, body := h.do(t, "GET", "/a/api/v1/namespaces/kube-system/secrets", h.iss.sign(t, c), hdr)
				if code != 403 || !strings.Contains(string(body), string(ReasonUnsafeIdentity)) {
					t.Errorf("%q %v %v: %d %s, want the proxy's 403 %s", c["email"], c["groups"], hdr, code, body, ReasonUnsafeIdentity)
				}
			}
		}
	})

	t.Run("a group listing system:masters after a comma", func(t *testing.T) {
		code, body := h.do(t, "GET", "/a/api/v1/namespaces/kube-system/secrets",
			h.iss.sign(t, h.iss.claims("mallory@example.com", "kubectl", "dev,system:masters")), nil)
		if code != 403 || !strings.Contains(string(body), string(ReasonReservedName)) {
			t.Errorf("%d %s, want the proxy's 403 %s", code, body, ReasonReservedName)
		}
	})

	t.Run("a plain identity still works over both transports", func(t *testing.T) {
		for _, hdr := range []map[string]string{nil, {"Connection": "Upgrade", "Upgrade": "websocket"}} {
			if code, body := h.do(t, "GET", "/a/api/v1/namespaces/team/pods", alice, hdr); code != 200 {
				t.Errorf("%v: %d %s", hdr, code, body)
			}
		}
	})

	// The API server authorizes dot segments as literal names (".." as a
	// resource: 403 for alice before the fix too); the proxy refuses them
	// so its audit line always names what the API server executes.
	t.Run("paths with dot segments", func(t *testing.T) {
		for _, path := range []string{
			"/a/api/v1/namespaces/team/pods/../../kube-system/pods",
			"/a/api/v1/namespaces/team/pods/%2e%2e/%2e%2e/kube-system/pods",
			"/a/api/v1/namespaces/team/../kube-system/pods",
			"/a/api/v1/namespaces/team/./pods",
		} {
			code, body := h.do(t, "GET", path, alice, nil)
			if code != 400 || !strings.Contains(string(body), string(ReasonBadRequest)) {
				t.Errorf("%s: %d %s, want the proxy's 400", path, code, body)
			}
		}
		// An empty segment is parsed alike by the proxy and the API
		// server: RBAC refuses the resource "v1/team" it makes.
		if code, body := h.do(t, "GET", "/a/api//v1/namespaces/team/pods", alice, nil); code != 403 || !strings.Contains(string(body), `User \"alice@example.com\"`) {
			t.Errorf("//: %d %s, want the API server's 403", code, body)
		}
	})
}

// TestIntegrationUIDMappingFailsClosed: a uid claim mapping makes the proxy
// send Impersonate-Uid, which the rendered impersonator ClusterRole does not
// grant; the API server must refuse the request, not serve it without the
// uid.
func TestIntegrationUIDMappingFailsClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	h := realClusterHarness(t, func(iss *testIssuer) string {
		return authConfigYAML(iss, "kubectl") + "    uid: {claim: sub}\n"
	})
	alice := h.iss.sign(t, h.iss.claims("alice@example.com", "kubectl", "dev"))
	code, body := h.do(t, "GET", "/a/api/v1/namespaces/team/pods", alice, nil)
	// alice may list team's pods: this 403 can only be the API server
	// refusing the impersonator (the message names its ServiceAccount).
	if code != 403 || !strings.Contains(string(body), "system:serviceaccount:authstack-system:impersonator") {
		t.Errorf("%d %s, want the API server's 403 on impersonating the uid", code, body)
	}
}
