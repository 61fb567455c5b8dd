package apply

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/render/apiserver"
	"github.com/authstack/authstack/pkg/secrets"
)

const staticPod = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.34.0
    command:
    - kube-apiserver
    - --advertise-address=10.0.0.10
    - --oidc-issuer-url=https://old.example.com
    - --oidc-client-id=old
    volumeMounts:
    - name: k8s-certs
      mountPath: /etc/kubernetes/pki
      readOnly: true
  hostNetwork: true
  volumes:
  - name: k8s-certs
    hostPath:
      path: /etc/kubernetes/pki
      type: DirectoryOrCreate
`

func filesApplier(t *testing.T, mutate func(*config.Stack), opts Options) (*applier, *render.Result) {
	t.Helper()
	stack := loadExample(t, "kind")
	if mutate != nil {
		mutate(stack)
	}
	res, err := render.Render(stack, render.Options{Secrets: secrets.Fixed{}})
	if err != nil {
		t.Fatal(err)
	}
	if opts.DryRun == "" {
		opts.DryRun = DryRunNone
	}
	var log bytes.Buffer
	opts.Log, opts.Out = &log, &log
	return &applier{opts: opts, stack: stack}, res
}

func TestStaticPodManifestSwitchesToAuthenticationConfiguration(t *testing.T) {
	dir := t.TempDir()
	authPath := filepath.Join(dir, "authentication-config.yaml")
	manifest := filepath.Join(dir, "kube-apiserver.yaml")
	if err := os.WriteFile(manifest, []byte(staticPod), 0o600); err != nil {
		t.Fatal(err)
	}
	a, res := filesApplier(t, func(s *config.Stack) {
		s.Spec.APIServer.Mode = v1alpha1.ModeAuthConfig
		s.Spec.APIServer.AuthenticationConfigPath = authPath
	}, Options{Files: Files{APIServerManifest: manifest}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(manifest)
	for _, want := range []string{"--authentication-config=" + authPath, "--advertise-address=10.0.0.10", "name: authstack-authentication-config", "mountPath: " + authPath, "path: " + authPath} {
		if !strings.Contains(string(got), want) {
			t.Errorf("manifest lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "--oidc-") {
		t.Errorf("manifest keeps --oidc-* flags next to --authentication-config:\n%s", got)
	}
	auth, err := os.ReadFile(authPath)
	if err != nil {
		t.Fatalf("the AuthenticationConfiguration the flag points at was not written: %v", err)
	}
	if err := apiserver.Validate(auth); err != nil {
		t.Fatalf("written AuthenticationConfiguration is invalid: %v", err)
	}
	// The kubelet runs every file of its static pod directory whose name
	// does not start with a dot: the backup must be a dot-file (issue #13,
	// item 8).
	if _, err := os.Stat(filepath.Join(dir, ".kube-apiserver.yaml.authstack.bak")); err != nil {
		t.Errorf("no hidden backup of the manifest: %v", err)
	}
	if _, err := os.Stat(manifest + ".authstack.bak"); err == nil {
		t.Errorf("a backup the kubelet would run as a second kube-apiserver: %s", manifest+".authstack.bak")
	}
	if len(a.sum.NextSteps) == 0 {
		t.Error("no next step printed")
	}

	// A second run leaves the manifest byte for byte alone.
	a2, res2 := filesApplier(t, func(s *config.Stack) {
		s.Spec.APIServer.Mode = v1alpha1.ModeAuthConfig
		s.Spec.APIServer.AuthenticationConfigPath = authPath
	}, Options{Files: Files{APIServerManifest: manifest}})
	if err := a2.files(res2); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(manifest)
	if !bytes.Equal(got, again) {
		t.Fatalf("second run changed the manifest:\n%s", patchDiff(got, again))
	}
}

// Issue #13, item 10: --apiserver-manifest must name the kube-apiserver
// static pod, not some other object with such a container.
func TestStaticPodManifestMustBeAPod(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "kube-apiserver.yaml")
	deployment := strings.Replace(staticPod, "apiVersion: v1\nkind: Pod\n", "apiVersion: apps/v1\nkind: Deployment\n", 1)
	if err := os.WriteFile(manifest, []byte(deployment), 0o600); err != nil {
		t.Fatal(err)
	}
	a, res := filesApplier(t, nil, Options{Files: Files{APIServerManifest: manifest}})
	err := a.files(res)
	if err == nil || !strings.Contains(err.Error(), "not a static pod manifest") || !strings.Contains(err.Error(), manifest) {
		t.Fatalf("err = %v, want a refusal naming the file", err)
	}
	if now, _ := os.ReadFile(manifest); string(now) != deployment {
		t.Error("the Deployment was changed")
	}
}

func patchDiff(a, b []byte) string { return patch.UnifiedDiff("manifest", a, b) }

func TestAuthenticationConfigOutNeedsThatMode(t *testing.T) {
	dir := t.TempDir()
	a, res := filesApplier(t, func(s *config.Stack) { s.Spec.APIServer.Mode = v1alpha1.ModeFlags }, Options{Files: Files{AuthenticationConfigOut: filepath.Join(dir, "a.yaml")}})
	if err := a.files(res); err == nil || !strings.Contains(err.Error(), string(v1alpha1.ModeAuthConfig)) {
		t.Fatalf("err = %v, want a hint to set the mode", err)
	}
}

func TestAuthenticationConfigOutDryRunWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.yaml")
	a, res := filesApplier(t, func(s *config.Stack) { s.Spec.APIServer.Mode = v1alpha1.ModeAuthConfig }, Options{DryRun: DryRunClient, Files: Files{AuthenticationConfigOut: out}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("dry run wrote %s", out)
	}
	a, res = filesApplier(t, func(s *config.Stack) { s.Spec.APIServer.Mode = v1alpha1.ModeAuthConfig }, Options{Files: Files{AuthenticationConfigOut: out}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(out); err != nil || !bytes.Contains(data, []byte("AuthenticationConfiguration")) {
		t.Fatalf("wrote %q (%v), want the AuthenticationConfiguration", data, err)
	}
}

func TestRefusesUnprefixedSpec(t *testing.T) {
	stack := loadExample(t, "kind")
	empty := ""
	stack.Spec.APIServer.UsernamePrefix = &empty
	stack.Spec.APIServer.AllowUnprefixed = true
	if err := checkPrefixes(stack, false); err == nil || !strings.Contains(err.Error(), "--allow-unprefixed") {
		t.Fatalf("err = %v, want a refusal naming --allow-unprefixed", err)
	}
	if err := checkPrefixes(stack, true); err != nil {
		t.Fatalf("allowed in spec and on the command line: %v", err)
	}
	stack.Spec.APIServer.AllowUnprefixed = false
	if err := checkPrefixes(stack, true); err == nil {
		t.Fatal("the flag alone accepted an unprefixed spec; the spec must allow it too")
	}
}

func TestKubesprayVarsPatchedWithBackupAndNextStep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "inventory", "prod", "group_vars", "k8s_cluster")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	vars := filepath.Join(dir, "k8s-cluster.yml")
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "pkg", "patch", "kubespray", "testdata", "k8s-cluster.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	a, res := filesApplier(t, nil, Options{Files: Files{KubesprayVars: vars}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(vars)
	if bytes.Equal(got, orig) || !bytes.Contains(got, []byte("kube_oidc")) && !bytes.Contains(got, []byte("kube_apiserver")) {
		t.Fatalf("kubespray vars not patched:\n%s", got)
	}
	if backup, err := os.ReadFile(vars + ".authstack.bak"); err != nil || !bytes.Equal(backup, orig) {
		t.Fatalf("backup missing or wrong: %v", err)
	}
	if len(a.sum.NextSteps) != 1 || !strings.Contains(a.sum.NextSteps[0], "ansible-playbook -i "+filepath.Join(filepath.Dir(filepath.Dir(dir)), "hosts.yaml")) {
		t.Fatalf("next steps = %q, want the playbook command for the inventory", a.sum.NextSteps)
	}
}

func TestKubeadmConfigPatched(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "kubeadm.yaml")
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "pkg", "patch", "kubeadm", "testdata", "v1beta3.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	a, res := filesApplier(t, func(s *config.Stack) { s.Spec.APIServer.Mode = v1alpha1.ModeFlags }, Options{Files: Files{KubeadmConfig: cfg}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(cfg)
	if bytes.Contains(got, []byte("old-idp.example.com")) || !bytes.Contains(got, []byte("# keep audit logs for a week")) {
		t.Fatalf("kubeadm config not patched in place (old issuer kept or comments lost):\n%s", got)
	}
	if len(a.sum.NextSteps) != 1 || !strings.Contains(a.sum.NextSteps[0], "kubeadm") {
		t.Fatalf("next steps = %q", a.sum.NextSteps)
	}
}

// Issue #10: the static pod manifest was re-marshalled whole, which drops
// the comments, reorders keys and deletes what the kubelet wrote (such as
// creationTimestamp: null and status: {} in every kubeadm manifest). Only
// the lines authstack owns may change.
func TestStaticPodManifestKeepsEveryOtherLine(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "pkg", "formats", "kubeapiserver", "testdata", "kind-v1.31.2-kube-apiserver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	orig = append([]byte("# the control plane of prod; see the runbook\n"), orig...)
	dir := t.TempDir()
	manifest := filepath.Join(dir, "kube-apiserver.yaml")
	if err := os.WriteFile(manifest, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "oidc-ca.crt")
	a, res := filesApplier(t, func(s *config.Stack) {
		s.Spec.APIServer.Mode = v1alpha1.ModeFlags
		s.Spec.APIServer.IssuerCAPath = ca
	}, Options{Files: Files{APIServerManifest: manifest}})
	if err := a.files(res); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(manifest)
	// Every original line is still there, in order; the new lines are the
	// flags and the CA file's mount.
	rest := string(got)
	for _, l := range strings.SplitAfter(string(orig), "\n") {
		i := strings.Index(rest, l)
		if i < 0 {
			t.Fatalf("line %q of the manifest was removed or changed:\n%s", l, patchDiff(orig, got))
		}
		for _, add := range strings.Split(strings.TrimSpace(rest[:i]), "\n") {
			add = strings.TrimSpace(add)
			flag := strings.Trim(strings.TrimPrefix(add, "- "), `'"`)
			if add != "" && !strings.HasPrefix(flag, "--oidc-") && !strings.Contains(add, "authstack-oidc-ca") && !strings.Contains(add, ca) &&
				add != "readOnly: true" && add != "type: File" && add != "- hostPath:" {
				t.Errorf("unexpected new line %q", add)
			}
		}
		rest = rest[i+len(l):]
	}
}
