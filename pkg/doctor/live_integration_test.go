package doctor

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/testenv"
)

// fakeIssuer is an OIDC issuer on 127.0.0.1 with real TLS: discovery and
// the RSA key set. badIssuer makes discovery publish another issuer string.
type fakeIssuer struct {
	srv       *httptest.Server
	url       string
	caPEM     string
	badIssuer atomic.Bool
}

func startIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	keys(t)
	f := &fakeIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		iss := f.url
		if f.badIssuer.Load() {
			iss += "/"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "jwks_uri": f.url + "/keys", "authorization_endpoint": f.url + "/auth", "token_endpoint": f.url + "/token",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &rsaKey.PublicKey, KeyID: "key-1", Algorithm: "RS256", Use: "sig"},
			{Key: &ecKey.PublicKey, KeyID: "key-ec", Algorithm: "ES256", Use: "sig"},
		}})
	})
	f.srv = httptest.NewUnstartedServer(mux)
	// doctor's deliberate untrusted handshakes are expected here.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Listener = ln
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL
	f.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}))
	return f
}

func authConfig(issuer, caPEM string) string {
	ca := ""
	if caPEM != "" {
		ca = "    certificateAuthority: |\n      " + strings.ReplaceAll(strings.TrimSpace(caPEM), "\n", "\n      ") + "\n"
	}
	return fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    audiences: [kubernetes]
%s  claimMappings:
    username: {claim: email, prefix: "oidc:"}
    groups: {claim: groups, prefix: "oidc:"}
`, issuer, ca)
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		return v
	}
}

// TestIntegrationLive runs doctor --live against a real kube-apiserver that
// trusts a fake issuer, breaks the stack one way at a time and checks that
// doctor names each break.
func TestIntegrationLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	iss := startIssuer(t)
	dir := t.TempDir()
	authn := writeFile(t, dir, "authn.yaml", authConfig(iss.url, iss.caPEM))
	env := testenv.Start(t, testenv.Options{APIServerFlags: []string{"--authentication-config=" + authn}})
	client, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// What a kubeadm control plane shows: the API server's static pod.
	must[*corev1.ServiceAccount](t)(client.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
	no := false
	must[*corev1.Pod](t)(client.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-node1", Labels: map[string]string{"component": "kube-apiserver", "tier": "control-plane"}},
		Spec: corev1.PodSpec{AutomountServiceAccountToken: &no, Containers: []corev1.Container{{
			Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2",
			Command: []string{"kube-apiserver", "--authorization-mode=RBAC", "--authentication-config=" + authn},
		}}},
	}, metav1.CreateOptions{}))
	must[*rbacv1.ClusterRoleBinding](t)(client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "platform-admins"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "oidc:platform"}},
	}, metav1.CreateOptions{}))

	claims := func(mut func(map[string]any)) map[string]any {
		now := time.Now()
		c := map[string]any{"iss": iss.url, "sub": "alice", "aud": "kubernetes", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
			"email": "alice@example.com", "email_verified": true, "groups": []string{"platform"}}
		if mut != nil {
			mut(c)
		}
		return c
	}
	header := map[string]any{"alg": "RS256", "kid": "key-1"}
	good := signJWT(t, header, claims(nil))
	waitAccepted(t, ctx, env.Config, good)

	type scenario struct {
		name  string
		authn string // offline AuthenticationConfiguration, default the running one
		spec  string
		token string
		setup func(t *testing.T)
		code  string
		sev   Severity
		clean bool
		// rejected: the running API server must refuse the token too (AS-94).
		rejected bool
	}
	otherSigned := func() string {
		saved := rsaKey
		rsaKey = otherKy
		defer func() { rsaKey = saved }()
		return signJWT(t, header, claims(nil))
	}()
	scenarios := []scenario{
		{name: "healthy", token: good, code: "AS-94", sev: Info, clean: true},
		{name: "audience of another client", token: signJWT(t, header, claims(func(c map[string]any) { c["aud"] = "oauth2-proxy-dashboard" })), code: "AS-13", sev: Error, rejected: true},
		{name: "signed by an unknown key", token: otherSigned, code: "AS-10", sev: Error, rejected: true},
		{name: "expired token", token: signJWT(t, header, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), code: "AS-11", sev: Error, rejected: true},
		{name: "rejected token is reported by the API server", token: signJWT(t, header, claims(func(c map[string]any) { c["email_verified"] = false })), code: "AS-94", sev: Error},
		{name: "user without bindings", token: signJWT(t, header, claims(func(c map[string]any) { c["email"] = "bob@example.com"; c["groups"] = []string{"guests"} })), code: "AS-97", sev: Warning},
		{name: "issuer CA not given", authn: authConfig(iss.url, ""), code: "AS-92", sev: Error},
		{name: "issuer unreachable", authn: authConfig("https://127.0.0.1:1", iss.caPEM), code: "AS-91", sev: Error},
		{name: "discovery names another issuer", setup: func(t *testing.T) {
			iss.badIssuer.Store(true)
			t.Cleanup(func() { iss.badIssuer.Store(false) })
		}, code: "AS-93", sev: Error},
		{name: "running oauth2-proxy config drifted from the spec", spec: "../../examples/dashboard-token/authstack.yaml", setup: func(t *testing.T) {
			must[*corev1.Namespace](t)(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes-dashboard"}}, metav1.CreateOptions{}))
			must[*corev1.ConfigMap](t)(client.CoreV1().ConfigMaps("kubernetes-dashboard").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "oauth2-proxy-dashboard", Labels: map[string]string{"app.kubernetes.io/managed-by": "authstack"}},
				Data:       map[string]string{"oauth2_proxy.cfg": "provider = \"oidc\"\nclient_id = \"oauth2-proxy-dashboard\"\ncookie_refresh = \"2h\"\n"},
			}, metav1.CreateOptions{}))
		}, code: "AS-95", sev: Warning},
		{name: "dex with memory storage and two replicas", setup: func(t *testing.T) {
			must[*corev1.Namespace](t)(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dex"}}, metav1.CreateOptions{}))
			labels := map[string]string{"app.kubernetes.io/managed-by": "authstack", "app.kubernetes.io/name": "dex"}
			must[*corev1.Secret](t)(client.CoreV1().Secrets("dex").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "dex-config", Labels: labels},
				StringData: map[string]string{"config.yaml": "issuer: " + iss.url + "\nstorage:\n  type: memory\nstaticClients:\n- id: kubernetes\n  public: true\n"},
			}, metav1.CreateOptions{}))
			two := int32(2)
			must[*appsv1.Deployment](t)(client.AppsV1().Deployments("dex").Create(ctx, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "dex", Labels: labels},
				Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "dex"}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "dex", Image: "ghcr.io/dexidp/dex:v2.45.1"}}}}},
			}, metav1.CreateOptions{}))
		}, code: "AS-44", sev: Error},
	}
	t.Cleanup(func() {
		if log, err := os.ReadFile(filepath.Join(env.Dir, "kube-apiserver.log")); err == nil && testing.Verbose() {
			for _, l := range strings.Split(string(log), "\n") {
				if strings.Contains(l, "Unable to authenticate") {
					t.Logf("kube-apiserver says: %s", l)
				}
			}
		}
	})
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			if s.setup != nil {
				s.setup(t)
			}
			in := Inputs{AuthenticationConfig: authn, Spec: s.spec, Now: time.Now()}
			if s.authn != "" {
				in.AuthenticationConfig = writeFile(t, t.TempDir(), "authn.yaml", s.authn)
			}
			if s.token != "" {
				in.Token = writeFile(t, t.TempDir(), "token.jwt", s.token)
			}
			start := time.Now()
			m, err := Load(in)
			if err != nil {
				t.Fatal(err)
			}
			if err := CollectLive(ctx, m, LiveOptions{Kubeconfig: env.AdminKubeconfig}); err != nil {
				t.Fatal(err)
			}
			r := Diagnose(m)
			took := time.Since(start)
			if took > 5*time.Second {
				t.Errorf("live doctor took %s, want under 5s", took)
			}
			t.Logf("live doctor took %s", took.Round(time.Millisecond))
			found := false
			var all []string
			for _, f := range r.Findings {
				all = append(all, fmt.Sprintf("%s %s: %s", f.Severity, f.Code, f.Message))
				if f.Code == s.code && f.Severity == s.sev {
					found = true
				}
				if s.clean && f.Severity != Info {
					t.Errorf("healthy stack: %s %s: %s", f.Severity, f.Code, f.Message)
				}
			}
			if !found {
				t.Errorf("no %s %s finding; got:\n%s", s.sev, s.code, strings.Join(all, "\n"))
			}
			if s.rejected && !strings.Contains(strings.Join(all, "\n"), "error AS-94: the running API server rejects the token") {
				t.Errorf("the API server's rejection (AS-94) is not reported; got:\n%s", strings.Join(all, "\n"))
			}
			if s.clean && !strings.Contains(strings.Join(all, "\n"), `accepts the token as user "oidc:alice@example.com"`) {
				t.Errorf("healthy stack: the token's user is not reported; got:\n%s", strings.Join(all, "\n"))
			}
			if s.clean {
				for _, code := range []string{"AS-90", "AS-91", "AS-97"} {
					if !strings.Contains(strings.Join(all, "\n"), code) {
						t.Errorf("healthy stack: no %s finding; got:\n%s", code, strings.Join(all, "\n"))
					}
				}
			}
		})
	}
}

// waitAccepted polls until the API server authenticates the token: it may
// start before it fetched the issuer's keys.
func waitAccepted(t *testing.T, ctx context.Context, cfg *rest.Config, token string) {
	t.Helper()
	anon := rest.AnonymousClientConfig(cfg)
	anon.BearerToken = token
	c, err := kubernetes.NewForConfig(anon)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := c.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server never accepted the test token: %v", err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// TestIntegrationLiveFlags checks an API server configured with --oidc-*
// flags, known to doctor only through its Pod: the flags' default
// algorithm list (RS256) rejects an ES256 token, and doctor says why.
func TestIntegrationLiveFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	iss := startIssuer(t)
	caFile := writeFile(t, t.TempDir(), "oidc-ca.pem", iss.caPEM)
	flags := []string{"--oidc-issuer-url=" + iss.url, "--oidc-client-id=kubernetes", "--oidc-ca-file=" + caFile,
		"--oidc-username-claim=email", "--oidc-username-prefix=oidc:", "--oidc-groups-claim=groups", "--oidc-groups-prefix=oidc:"}
	env := testenv.Start(t, testenv.Options{APIServerFlags: flags})
	client, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	must[*corev1.ServiceAccount](t)(client.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
	no := false
	must[*corev1.Pod](t)(client.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-node1", Labels: map[string]string{"component": "kube-apiserver"}},
		Spec: corev1.PodSpec{AutomountServiceAccountToken: &no, Containers: []corev1.Container{{
			Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2", Command: append([]string{"kube-apiserver"}, flags...),
		}}},
	}, metav1.CreateOptions{}))
	claims := map[string]any{"iss": iss.url, "sub": "alice", "aud": "kubernetes", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
		"email": "alice@example.com", "email_verified": true, "groups": []string{"platform"}}
	waitAccepted(t, ctx, env.Config, signJWT(t, map[string]any{"alg": "RS256", "kid": "key-1"}, claims))

	es := signJWT(t, map[string]any{"alg": "ES256", "kid": "key-ec"}, claims)
	m, err := Load(Inputs{Token: writeFile(t, t.TempDir(), "token.jwt", es), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := CollectLive(ctx, m, LiveOptions{Kubeconfig: env.AdminKubeconfig}); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range Diagnose(m).Findings {
		all = append(all, fmt.Sprintf("%s %s: %s", f.Severity, f.Code, f.Message))
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{
		"info AS-90: read the running API server's flags from Pod kube-system/kube-apiserver-node1",
		"info AS-91: issuer " + iss.url + " answers discovery",
		"error AS-06: the token is signed with ES256, the API server accepts RS256",
		"error AS-94: the running API server rejects the token",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q; got:\n%s", want, got)
		}
	}
	if log, err := os.ReadFile(filepath.Join(env.Dir, "kube-apiserver.log")); err == nil {
		for _, l := range strings.Split(string(log), "\n") {
			if strings.Contains(l, "ES256") {
				t.Logf("kube-apiserver says: %s", l)
			}
		}
	}
	if strings.Contains(got, "error AS-10") {
		t.Errorf("the ES256 signature is valid, yet doctor reports it:\n%s", got)
	}
}
