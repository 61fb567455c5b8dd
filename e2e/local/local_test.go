//go:build e2e

package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/authstack/authstack/pkg/verify"
)

// timings are written to the artifacts directory for docs/benchmarks.md.
type timings struct {
	Mode                 string  `json:"mode"`
	FirstApplySeconds    float64 `json:"firstApplySeconds"`
	StackUpSeconds       float64 `json:"stackUpSeconds"`
	ApplyToBrowserLoginS float64 `json:"applyStartToFirstBrowserLoginSeconds,omitempty"`
	BrowserLoginSeconds  float64 `json:"browserLoginSeconds,omitempty"`
	NoopReapplyWrites    *int    `json:"noopReapplyWrites,omitempty"`
	NoopReapplySeconds   float64 `json:"noopReapplySeconds,omitempty"`
	TestSeconds          float64 `json:"testSeconds"`
	// SinceApplyStart are the steps up after the first apply started.
	SinceApplyStart map[string]float64 `json:"secondsSinceApplyStart"`
}

func saveTimings(t *testing.T, name string, tm any) {
	data, _ := json.MarshalIndent(tm, "", "  ")
	p := filepath.Join(artifactsDir(t), name+"-timings.json")
	if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
		t.Errorf("save timings: %v", err)
	}
	t.Logf("timings (%s):\n%s", p, data)
}

// TestLocalAuthenticationConfig runs the whole stack with the API server
// configured by the rendered AuthenticationConfiguration.
func TestLocalAuthenticationConfig(t *testing.T) {
	began := time.Now()
	s := Start(t, Options{Mode: "authentication-config", Apps: true})
	tm := &timings{Mode: "authentication-config", StackUpSeconds: time.Since(began).Seconds(), FirstApplySeconds: s.FirstApply.Seconds()}
	defer func() {
		tm.TestSeconds = time.Since(began).Seconds()
		tm.SinceApplyStart = s.Marks
		saveTimings(t, "authentication-config", tm)
	}()
	t.Logf("stack up in %s", time.Since(began).Round(time.Millisecond))

	s.WaitForOIDC(t)

	t.Run("browser login to the token app", func(t *testing.T) {
		b := NewBrowser(t, s)
		s.Mark("chromium started")
		res := b.Login(t, s.TokenURL, alice, []string{"user", "groups"}, "token-app-alice")
		if tm.ApplyToBrowserLoginS == 0 {
			s.Mark("first browser login done")
			tm.ApplyToBrowserLoginS = time.Since(s.ApplyStarted).Seconds()
			tm.BrowserLoginSeconds = res.Duration.Seconds()
		}
		if !strings.HasPrefix(res.URL, s.TokenURL) {
			t.Errorf("the login ended at %s, not back at the app %s", res.URL, s.TokenURL)
		}
		if got, want := res.Fields["user"], "oidc:alice@example.org"; got != want {
			t.Errorf("the API server says the token app's user is %q, want %q", got, want)
		}
		for _, g := range []string{"oidc:developers", "oidc:e2e:developer:shop"} {
			if !strings.Contains(res.Fields["groups"], g) {
				t.Errorf("groups %q lack %s", res.Fields["groups"], g)
			}
		}
	})

	t.Run("browser login to the headers app", func(t *testing.T) {
		b := NewBrowser(t, s)
		res := b.Login(t, s.HeadersURL, bob, []string{"user", "email", "groups", "authorization"}, "headers-app-bob")
		if got := res.Fields["email"]; got != bob.Mail {
			t.Errorf("X-Auth-Request-Email is %q, want %q", got, bob.Mail)
		}
		if !strings.Contains(res.Fields["groups"], ldapReadOnly) {
			t.Errorf("X-Auth-Request-Groups is %q, want it to hold %s", res.Fields["groups"], ldapReadOnly)
		}
		// userHeaderClaim defaults to preferred_username, which dex takes
		// from the LDAP uid (preferredUsernameAttr): a readable name, not
		// dex's opaque subject.
		if got := res.Fields["user"]; got != bob.UID {
			t.Errorf("X-Auth-Request-User is %q, want bob's preferred username %q", got, bob.UID)
		}
		if res.Fields["authorization"] != "false" {
			t.Error("the headers app received an Authorization header; only token apps should")
		}
	})

	t.Run("apply", func(t *testing.T) { testApply(t, s, tm) })
	t.Run("kubectl through kubelogin", func(t *testing.T) { testKubectl(t, s) })
	t.Run("verify", func(t *testing.T) { testVerify(t, s) })
	t.Run("real faults", func(t *testing.T) { testRealFaults(t, s) })
	t.Run("prune a dropped app", func(t *testing.T) { testPrune(t, s) })
	// Last: it leaves the stack on one shared sign-in host.
	t.Run("shared sign-in host", func(t *testing.T) { testSharedSignin(t, s) })
}

// TestLocalOIDCFlags runs the API server with the rendered --oidc-* flags
// and proves kubectl and verify against it.
func TestLocalOIDCFlags(t *testing.T) {
	began := time.Now()
	s := Start(t, Options{Mode: "flags"})
	tm := &timings{Mode: "flags", StackUpSeconds: time.Since(began).Seconds(), FirstApplySeconds: s.FirstApply.Seconds()}
	defer func() {
		tm.TestSeconds = time.Since(began).Seconds()
		tm.SinceApplyStart = s.Marks
		saveTimings(t, "flags", tm)
	}()
	flags := string(s.RenderedFile(t, "apiserver/flags.txt"))
	if !strings.Contains(flags, "--oidc-issuer-url="+s.Issuer) || strings.Contains(flags, "--authentication-config") {
		t.Fatalf("flags mode rendered:\n%s", flags)
	}
	s.WaitForOIDC(t)
	t.Run("kubectl through kubelogin", func(t *testing.T) { testKubectl(t, s) })
	t.Run("verify", func(t *testing.T) {
		out, errOut, code := s.CLI(t, []byte(bob.Password), "verify", "-f", s.SpecFile, "--user", bob.UID, "--password-stdin")
		if code != 0 {
			t.Fatalf("verify as bob: exit %d\n%s\n%s", code, out, errOut)
		}
		// --kubeconfig locates the API server instead of spec.cluster.server.
		out, errOut, code = s.CLI(t, []byte(bob.Password), "verify", "-f", s.SpecFile, "--user", bob.UID, "--password-stdin", "--kubeconfig", s.Env.AdminKubeconfig)
		if code != 0 {
			t.Fatalf("verify as bob with --kubeconfig: exit %d\n%s\n%s", code, out, errOut)
		}
		for _, want := range []string{"ClusterRole authstack:read-only", "✓ rbac denies delete pods in all namespaces", "✓ api server accepts token: SelfSubjectReview: user oidc:bob@example.org"} {
			if !strings.Contains(out, want) {
				t.Errorf("verify as bob lacks %q:\n%s", want, out)
			}
		}
	})
}

func testApply(t *testing.T, s *Stack, tm *timings) {
	res := s.render(t)
	dyn, err := dynamic.NewForConfig(s.Env.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(s.Client.Discovery()))
	for _, o := range res.Objects {
		u := o.Object
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
		if err != nil {
			t.Errorf("%s %s: %v", gvk.Kind, u.GetName(), err)
			continue
		}
		live, err := dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Get(context.Background(), u.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Errorf("applied %s %s/%s: %v", gvk.Kind, u.GetNamespace(), u.GetName(), err)
			continue
		}
		if live.GetLabels()["app.kubernetes.io/managed-by"] != "authstack" {
			t.Errorf("%s %s/%s lacks the managed-by label", gvk.Kind, u.GetNamespace(), u.GetName())
		}
	}
	before := s.writeCount(t, res)
	start := time.Now()
	out := s.Apply(t)
	tm.NoopReapplySeconds = time.Since(start).Seconds()
	writes := s.writeCount(t, res) - before
	tm.NoopReapplyWrites = &writes
	if writes != 0 {
		t.Errorf("re-applying the unchanged spec sent %d write requests, want 0; apply said:\n%s", writes, out)
	}
	if !strings.Contains(strings.ToLower(out), "no changes") {
		t.Errorf("re-applying the unchanged spec did not say \"no changes\":\n%s", out)
	}
}

func testKubectl(t *testing.T, s *Stack) {
	aliceCfg := s.UserKubeconfig(t, alice)
	out, errOut, err := s.Kubectl(t, aliceCfg, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if err != nil || out != "oidc:alice@example.org" {
		t.Fatalf("kubectl auth whoami as alice: %q %v\n%s", out, err, errOut)
	}
	// alice owns her namespace...
	if _, errOut, err := s.Kubectl(t, aliceCfg, "-n", "alice", "create", "configmap", "e2e", "--from-literal=a=b"); err != nil {
		t.Errorf("alice cannot create a ConfigMap in her namespace: %v\n%s", err, errOut)
	}
	// ...views the cluster...
	if _, errOut, err := s.Kubectl(t, aliceCfg, "get", "pods", "--all-namespaces"); err != nil {
		t.Errorf("alice cannot list pods cluster-wide (view): %v\n%s", err, errOut)
	}
	// ...and is refused the rest.
	for _, args := range [][]string{
		{"-n", "kube-system", "get", "secrets"},
		{"delete", "namespace", "shop"},
		{"-n", "apps", "create", "configmap", "e2e", "--from-literal=a=b"},
	} {
		_, errOut, err := s.Kubectl(t, aliceCfg, args...)
		if err == nil || !forbidden(errOut) {
			t.Errorf("kubectl %s as alice: want 403 Forbidden, got err=%v\n%s", strings.Join(args, " "), err, errOut)
		}
	}
	// bob's read-only group lists and reads, but cannot delete.
	bobCfg := s.UserKubeconfig(t, bob)
	if _, errOut, err := s.Kubectl(t, bobCfg, "-n", "alice", "get", "configmaps"); err != nil {
		t.Errorf("bob (read-only) cannot list ConfigMaps: %v\n%s", err, errOut)
	}
	if _, errOut, err := s.Kubectl(t, bobCfg, "-n", "alice", "delete", "configmap", "e2e"); err == nil || !forbidden(errOut) {
		t.Errorf("bob (read-only) deleting a ConfigMap: want 403 Forbidden, got err=%v\n%s", err, errOut)
	}
}

// verifyJSON runs authstack verify -o json as alice.
func verifyJSON(t *testing.T, s *Stack) (*verify.Report, int, string) {
	t.Helper()
	out, errOut, code := s.CLI(t, []byte(alice.Password+"\n"), "verify", "-f", s.SpecFile, "--user", alice.UID, "--password-stdin", "-o", "json")
	var rep verify.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("verify -o json printed no report (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	if strings.Contains(out+errOut, alice.Password) {
		t.Fatal("verify printed the password")
	}
	return &rep, code, errOut
}

func testVerify(t *testing.T, s *Stack) {
	t.Run("usage errors exit 2", func(t *testing.T) {
		for _, args := range [][]string{
			{"verify", "-f", s.SpecFile, "--password-stdin"},
			{"verify", "-f", s.SpecFile, "--user", "alice"},
			{"verify", "-f", s.SpecFile, "--user", "alice", "--password-stdin", "-o", "yaml"},
		} {
			if _, errOut, code := s.CLI(t, []byte("pw"), args...); code != 2 {
				t.Errorf("authstack %s: exit %d, want 2\n%s", strings.Join(args, " "), code, errOut)
			}
		}
	})

	t.Run("healthy", func(t *testing.T) {
		out, errOut, code := s.CLI(t, []byte(alice.Password), "verify", "-f", s.SpecFile, "--user", alice.UID, "--password-stdin")
		t.Logf("authstack verify:\n%s", out)
		if code != 0 {
			t.Fatalf("verify on the healthy stack: exit %d\n%s", code, errOut)
		}
		for _, want := range []string{"✓ issuer discovery", "✓ login through connector ldap", "✓ token claims", "✓ api server accepts token", "✓ rbac allows", "✓ rbac denies", "✓ app dashboard logged in", "✓ app prometheus logged in"} {
			if !strings.Contains(out, want) {
				t.Errorf("verify output lacks %q", want)
			}
		}
		rep, code, _ := verifyJSON(t, s)
		if code != 0 || !rep.OK() {
			t.Errorf("verify -o json: exit %d, report ok=%t", code, rep.OK())
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		s.RestartProxy(t, "prometheus", map[string]string{"client-secret": "not-the-secret-dex-has"})
		defer s.RestartProxy(t, "prometheus", nil)
		rep, code, _ := verifyJSON(t, s)
		expectFailedHop(t, rep, code, verify.HopAppLoggedIn("prometheus"))
	})

	t.Run("redirect URI missing from dex", func(t *testing.T) {
		healthy := s.DexConfig(t)
		broken := s.DexConfig(t)
		for _, c := range broken["staticClients"].([]any) {
			client := c.(map[string]any)
			if client["id"] != "kubernetes" {
				continue
			}
			var kept []any
			for _, u := range client["redirectURIs"].([]any) {
				if u != verify.DefaultRedirectURI {
					kept = append(kept, u)
				}
			}
			client["redirectURIs"] = kept
		}
		s.RestartDex(t, broken)
		defer s.RestartDex(t, healthy)
		rep, code, _ := verifyJSON(t, s)
		hop := expectFailedHop(t, rep, code, verify.HopLogin("ldap"))
		if hop != nil && !strings.Contains(strings.ToLower(hop.Detail), "redirect") {
			t.Errorf("the login hop does not say the redirect URI is the problem: %s", hop.Detail)
		}
	})
}

// expectFailedHop checks that verify failed, and first at hop name.
func expectFailedHop(t *testing.T, rep *verify.Report, code int, name string) *verify.Hop {
	t.Helper()
	if code != 1 {
		t.Errorf("verify on a broken stack: exit %d, want 1", code)
	}
	failed := rep.Failed()
	if failed == nil {
		t.Fatalf("verify reported every hop as passed on a broken stack: %+v", rep.Hops)
	}
	if failed.Name != name {
		t.Errorf("the first failed hop is %q (%s), want %q", failed.Name, failed.Detail, name)
	}
	t.Logf("× %s: %s", failed.Name, failed.Detail)
	return failed
}

func testPrune(t *testing.T, s *Stack) {
	s.Params.WithHeadersApp = false
	defer func() { s.Params.WithHeadersApp = true }()
	s.render(t)
	s.Apply(t, "--prune")
	ctx := context.Background()
	gone := []struct {
		kind string
		get  func() error
	}{
		{"ConfigMap oauth2-proxy-prometheus", func() error {
			_, err := s.Client.CoreV1().ConfigMaps("apps").Get(ctx, "oauth2-proxy-prometheus", metav1.GetOptions{})
			return err
		}},
		{"Secret oauth2-proxy-prometheus", func() error {
			_, err := s.Client.CoreV1().Secrets("apps").Get(ctx, "oauth2-proxy-prometheus", metav1.GetOptions{})
			return err
		}},
		{"Deployment oauth2-proxy-prometheus", func() error {
			_, err := s.Client.AppsV1().Deployments("apps").Get(ctx, "oauth2-proxy-prometheus", metav1.GetOptions{})
			return err
		}},
		{"Ingress prometheus", func() error {
			_, err := s.Client.NetworkingV1().Ingresses("apps").Get(ctx, "prometheus", metav1.GetOptions{})
			return err
		}},
	}
	for _, g := range gone {
		if err := g.get(); !apierrors.IsNotFound(err) {
			t.Errorf("%s of the dropped app after apply --prune: err=%v, want NotFound", g.kind, err)
		}
	}
	if _, err := s.Client.CoreV1().ConfigMaps("apps").Get(ctx, "oauth2-proxy-dashboard", metav1.GetOptions{}); err != nil {
		t.Errorf("prune removed the kept app's ConfigMap: %v", err)
	}
	// alice's own ConfigMap (from the kubectl test) is not authstack's.
	if _, err := s.Client.CoreV1().ConfigMaps("alice").Get(ctx, "e2e", metav1.GetOptions{}); err != nil {
		t.Errorf("prune touched an object authstack does not manage: %v", err)
	}
}
