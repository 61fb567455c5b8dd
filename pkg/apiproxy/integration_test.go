package apiproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
	renderapiproxy "github.com/authstack/authstack/pkg/render/apiproxy"
)

// impersonatorRules are the rendered ClusterRole's: what the test grants is
// what users get.
var impersonatorRules = renderapiproxy.ImpersonatorRules()

// TestIntegrationProxyAgainstRealAPIServer puts the proxy in front of a real
// kube-apiserver started with no OIDC settings (the managed cluster). Two
// clusters point at it with different impersonator tokens, so routing shows
// in which ServiceAccount the API server sees.
func TestIntegrationProxyAgainstRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
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
	for _, ns := range []string{"authstack-system", "team", "other"} {
		must(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	must(admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy"}, Rules: impersonatorRules}, metav1.CreateOptions{}))
	// No controller manager: the ServiceAccount admission of the pod the
	// watch test creates needs team's default ServiceAccount made by hand.
	must(admin.CoreV1().ServiceAccounts("team").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
	// Team role: read pods and exec into them in namespace team, for group dev.
	must(admin.RbacV1().Roles("team").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "developer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward"}, Verbs: []string{"get", "create"}},
	}}, metav1.CreateOptions{}))
	must(admin.RbacV1().RoleBindings("team").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "developer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "developer"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "dev"}},
	}, metav1.CreateOptions{}))

	dir := t.TempDir()
	bind := func(sa string) {
		must(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "authstack-apiproxy-" + sa},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "authstack-apiproxy"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: "authstack-system"}},
		}, metav1.CreateOptions{}))
	}
	clusters := "apiVersion: authstack.dev/v1alpha1\nkind: ProxyClusters\nclusters:\n"
	for _, name := range []string{"a", "b"} {
		sa := "impersonator-" + name
		must(admin.CoreV1().ServiceAccounts("authstack-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}))
		exp := int64(3600)
		tr, err := admin.CoreV1().ServiceAccounts("authstack-system").CreateToken(ctx, sa,
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok := writeFile(t, dir, sa+".token", tr.Status.Token)
		clusters += fmt.Sprintf("- name: %s\n  server: %s\n  certificateAuthority: %s\n  tokenFile: %s\n", name, env.URL, env.CA.CertFile, tok)
	}
	bind("impersonator-a") // b's impersonator has no binding yet

	iss := newTestIssuer(t)
	sink := newWebhookSink(t)
	opts := DefaultOptions()
	opts.AuthenticationConfig = writeFile(t, dir, "authn.yaml", authConfigYAML(iss, "kubectl"))
	opts.ClustersConfig = writeFile(t, dir, "clusters.yaml", clusters)
	webhookOpts(t, sink, FormatEventList)(&opts)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stderr := &syncBuffer{}
	p, err := New(pctx, opts, stderr)
	if err != nil {
		t.Fatal(err)
	}
	p.audit.flushEvery = 100 * time.Millisecond
	srv := httptest.NewTLSServer(p)
	defer srv.Close()
	h := &harness{iss: iss, proxy: p, srv: srv, stderr: stderr}
	waitFor(t, "proxy ready", p.Ready)

	alice := iss.sign(t, iss.claims("alice@example.com", "kubectl", "dev"))
	// Keycloak, Okta and Entra ID put a jti in their tokens; the JWT
	// authenticator turns it into the extra
	// authentication.kubernetes.io/credential-id, which the proxy forwards.
	withJTI := iss.claims("alice@example.com", "kubectl", "dev")
	withJTI["jti"] = "0b5f2c1e-7d3a-4e8b-9c6d-2a1f3e4b5c6d"
	aliceJTI := iss.sign(t, withJTI)
	bob := iss.sign(t, iss.claims("bob@example.com", "kubectl"))

	t.Run("team role gives exactly its access", func(t *testing.T) {
		for _, c := range []struct {
			path, token string
			want        int
		}{
			{"/a/api/v1/namespaces/team/pods", alice, 200},
			{"/a/api/v1/namespaces/team/pods", aliceJTI, 200},
			{"/a/api/v1/nodes", aliceJTI, 403},
			{"/a/api/v1/namespaces/other/pods", alice, 403},
			{"/a/api/v1/nodes", alice, 403},
			{"/a/api/v1/namespaces/team/secrets", alice, 403},
			{"/a/api/v1/namespaces/team/pods", bob, 403},
		} {
			code, body := h.do(t, "GET", c.path, c.token, nil)
			if code != c.want {
				t.Errorf("GET %s: %d, want %d: %s", c.path, code, c.want, body)
			}
			if code == 403 && !strings.Contains(string(body), `User \"`) {
				t.Errorf("GET %s: the 403 is not the API server's RBAC answer for the user: %s", c.path, body)
			}
		}
	})

	t.Run("refused tokens and identities", func(t *testing.T) {
		other := newTestIssuer(t)
		expired := iss.claims("alice@example.com", "kubectl", "dev")
		expired["iat"], expired["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		for _, c := range []struct {
			name, token string
			hdr         map[string]string
			code        int
			reason      Reason
		}{
			{"another issuer", other.sign(t, other.claims("alice@example.com", "kubectl", "dev")), nil, 401, ReasonUnknownIssuer},
			{"another audience", iss.sign(t, iss.claims("alice@example.com", "other-app", "dev")), nil, 401, ReasonWrongAudience},
			{"expired", iss.sign(t, expired), nil, 401, ReasonExpired},
			{"client Impersonate-User", alice, map[string]string{"Impersonate-User": "admin"}, 403, ReasonImpersonation},
			{"system: user", iss.sign(t, iss.claims("system:kube-controller-manager", "kubectl")), nil, 403, ReasonReservedName},
			{"system:masters group", iss.sign(t, iss.claims("eve@example.com", "kubectl", "system:masters")), nil, 403, ReasonReservedName},
		} {
			code, body := h.do(t, "GET", "/a/api/v1/namespaces/team/pods", c.token, c.hdr)
			if code != c.code || !strings.Contains(string(body), string(c.reason)) {
				t.Errorf("%s: %d %s, want %d %s", c.name, code, body, c.code, c.reason)
			}
		}
	})

	t.Run("two clusters route to their own credential", func(t *testing.T) {
		code, body := h.do(t, "GET", "/b/api/v1/namespaces/team/pods", alice, nil)
		if code != 403 || !strings.Contains(string(body), "system:serviceaccount:authstack-system:impersonator-b") {
			t.Fatalf("/b/ before b's impersonator is bound: %d %s, want the API server refusing impersonator-b", code, body)
		}
		bind("impersonator-b")
		waitFor(t, "/b/ after binding impersonator-b", func() error {
			if code, body := h.do(t, "GET", "/b/api/v1/namespaces/team/pods", alice, nil); code != 200 {
				return fmt.Errorf("%d %s", code, body)
			}
			return nil
		})
	})

	t.Run("watch streams through the proxy", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/a/api/v1/namespaces/team/pods?watch=true", nil)
		req.Header.Set("Authorization", "Bearer "+alice)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("watch: %s", resp.Status)
		}
		if _, err := admin.CoreV1().Pods("team").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.invalid/none"}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(resp.Body)
		var ev struct {
			Type   string
			Object struct{ Metadata struct{ Name string } }
		}
		if err := dec.Decode(&ev); err != nil || ev.Type != "ADDED" || ev.Object.Metadata.Name != "web" {
			t.Fatalf("watch event %+v %v", ev, err)
		}
	})

	t.Run("exec and port-forward upgrades reach the API server as the user", func(t *testing.T) {
		// No kubelet here: the API server authorizes the upgrade as the
		// impersonated user and then fails to reach the pod's node.
		for _, c := range []struct {
			name, path, token string
			wantCode          int
			want              string
		}{
			{"exec missing pod", "/a/api/v1/namespaces/team/pods/ghost/exec?command=sh&stdout=true", alice, 404, `pods \"ghost\" not found`},
			{"port-forward missing pod", "/a/api/v1/namespaces/team/pods/ghost/portforward?ports=80", alice, 404, `pods \"ghost\" not found`},
			{"exec without the role", "/a/api/v1/namespaces/team/pods/web/exec?command=sh&stdout=true", bob, 403, `User \"bob@example.com\" cannot`}, // create over SPDY (POST), get over WebSocket (GET)
		} {
			for _, proto := range []string{"SPDY/3.1", "websocket"} {
				req, _ := http.NewRequest("POST", srv.URL+c.path, nil)
				if proto == "websocket" {
					req.Method = "GET"
					req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
					req.Header.Set("Sec-WebSocket-Version", "13")
					req.Header.Set("Sec-WebSocket-Protocol", "v5.channel.k8s.io")
				} else {
					req.Header.Set("X-Stream-Protocol-Version", "v4.channel.k8s.io")
				}
				req.Header.Set("Authorization", "Bearer "+c.token)
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", proto)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.wantCode || !strings.Contains(string(body), c.want) {
					t.Errorf("%s over %s: %d %s, want %d %s", c.name, proto, resp.StatusCode, body, c.wantCode, c.want)
				}
			}
		}
	})

	t.Run("audit events reach the webhook", func(t *testing.T) {
		waitFor(t, "an allowed and a denied event for alice", func() error {
			all := strings.Join(sink.received(), "\n")
			if !strings.Contains(all, `"username":"alice@example.com"`) || !strings.Contains(all, `"authorization.k8s.io/decision":"forbid"`) {
				return fmt.Errorf("webhook received %d batches without both", len(sink.received()))
			}
			return nil
		})
	})
	if err := os.WriteFile(filepath.Join(dir, "proxy.log"), []byte(stderr.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
