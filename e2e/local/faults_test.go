//go:build e2e

package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/doctor"
	format "github.com/authstack/authstack/pkg/formats/oauth2proxy"
	"github.com/authstack/authstack/pkg/render"
)

// A realFault breaks one setting in the running stack, where that
// setting lives (the dex config dex runs from, the oauth2-proxy ConfigMap
// or Secret a proxy runs from, the AuthenticationConfiguration file the
// API server reloads, a binding in the cluster, the user's kubeconfig),
// shows the symptom with the real programs and captures the real message.
// doctor must then name the setting from those same artifacts, and
// `doctor --symptom` must map the captured message to the same check.
type realFault struct {
	name string
	// breaks says which setting is broken, for docs/doctor.md.
	breaks string
	// brk breaks the setting and returns what restores the healthy stack.
	brk func(t *testing.T, s *Stack, k *faultKit) (restore func())
	// show does what a user does and returns the output it produced; the
	// captured message is its first line matching want.
	show func(t *testing.T, s *Stack, k *faultKit) string
	want string
	// code is the check that must report an error on the broken artifacts
	// (and not on the healthy ones), with evidence naming field.
	code, field string
	// symptom is the check --symptom must point to; code when empty.
	symptom string
	// user is whose kubeconfig the fault uses (alice when empty).
	user ldapUser
	// live adds doctor --live: the setting can only be judged against the
	// running issuer (a CA that does not sign its certificate).
	live bool
	// token gives doctor the user's id token: the setting can only be
	// judged against what the token says (the groups LDAP issues).
	token bool
}

// faultKit carries what a fault changes outside the stack's files.
type faultKit struct {
	user ldapUser
	// kubeconfig is the user's kubeconfig doctor reads; a fault may
	// replace it with a broken copy.
	kubeconfig string
	live       bool
	// token is a file with the user's id token, or empty.
	token string
}

func (s *Stack) faultKit(t testing.TB, f realFault) *faultKit {
	u := f.user
	if u.UID == "" {
		u = alice
	}
	k := &faultKit{user: u, kubeconfig: s.UserKubeconfig(t, u), live: f.live}
	if f.token {
		k.token = writeFile(t, filepath.Join(t.TempDir(), "token"), []byte(s.PasswordToken(t, u)))
	}
	return k
}

// key says how doctor runs for the kit.
func (k *faultKit) key() string {
	return fmt.Sprintf("user %s, live %t, token %t", k.user.UID, k.live, k.token != "")
}

func testRealFaults(t *testing.T, s *Stack) {
	// doctor on the healthy stack's artifacts, in each way the faults
	// run it, reports no error: a fault's error is its own.
	healthy := map[string]map[string]string{}
	for _, f := range realFaults() {
		k := s.faultKit(t, f)
		if _, ok := healthy[k.key()]; ok {
			continue
		}
		healthy[k.key()] = s.doctorFindings(t, k)
		for code, ev := range healthy[k.key()] {
			t.Errorf("doctor (%s) on the healthy stack's artifacts reports %s:\n%s", k.key(), code, ev)
		}
	}
	var done []doctor.RealFault
	for _, f := range realFaults() {
		t.Run(f.name, func(t *testing.T) {
			k := s.faultKit(t, f)
			restore := f.brk(t, s, k)
			defer restore()
			out := f.show(t, s, k)
			msg := firstLine(out, f.want)
			if msg == "" {
				t.Fatalf("the symptom %q did not show; the real programs said:\n%s", f.want, lastLines(out, 40))
			}
			t.Logf("real message: %s", msg)
			got := s.doctorFindings(t, k)
			ev, ok := got[f.code]
			switch {
			case !ok:
				t.Errorf("doctor on the broken artifacts reports no %s error; errors: %v", f.code, keys(got))
			case healthy[k.key()][f.code] != "":
				t.Errorf("doctor reports %s on the healthy stack too: it does not tell this fault", f.code)
			case !strings.Contains(ev, f.field):
				t.Errorf("doctor's %s error does not name %s:\n%s", f.code, f.field, ev)
			}
			want := f.symptom
			if want == "" {
				want = f.code
			}
			codes := s.symptomCodes(t, msg)
			if !contains(codes, want) {
				t.Errorf("doctor --symptom %q maps to %v, not to %s", msg, codes, want)
			}
			if !t.Failed() {
				done = append(done, doctor.RealFault{Fault: f.name, Breaks: f.breaks, Message: normalizeMessage(s, msg), Check: f.code, Symptom: want})
			}
		})
	}
	t.Logf("%d of %d faults reproduced with the real programs and named by doctor", len(done), len(realFaults()))
	data, _ := json.MarshalIndent(done, "", "  ")
	data = append(data, '\n')
	writeFile(t, filepath.Join(artifactsDir(t), "real-faults.json"), data)
	// UPDATE_REAL_FAULTS=1 records the list for docs/doctor.md, and for
	// pkg/doctor's test that the symptom table maps these real messages,
	// from a run where every fault passed.
	if os.Getenv("UPDATE_REAL_FAULTS") != "" && !t.Failed() {
		writeFile(t, filepath.Join(repoRoot(), "pkg", "doctor", "realfaults.json"), data)
	}
}

var (
	localPort = regexp.MustCompile(`(localhost|127\.0\.0\.1):\d+`)
	tempDir   = regexp.MustCompile(`/tmp/[^\s"']+`)
	// Dates and durations in expiry messages change with every run.
	timestamp = regexp.MustCompile(`\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?( UTC)?`)
	klogHead  = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\] `)
)

// normalizeMessage takes out what changes from run to run.
func normalizeMessage(s *Stack, msg string) string {
	msg = klogHead.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, s.Dir, "DIR")
	msg = localPort.ReplaceAllString(msg, "$1:PORT")
	msg = tempDir.ReplaceAllString(msg, "TMP")
	return timestamp.ReplaceAllString(msg, "TIME")
}

func firstLine(out, want string) string {
	re := regexp.MustCompile("(?i)" + want)
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// doctorFindings runs authstack doctor on the artifacts the stack runs
// from and returns its error findings: code -> message and evidence.
func (s *Stack) doctorFindings(t testing.TB, k *faultKit) map[string]string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	// dex runs from dex/config.yaml with the dex-env Secret as its
	// environment: doctor reads them as the dex-config and dex-env Secrets.
	cfg, err := os.ReadFile(filepath.Join(s.Dir, "dex", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ns := v1alpha1.DefaultDexNamespace
	dexEnv, err := s.Client.CoreV1().Secrets(ns).Get(ctx, render.DexEnvSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs := []any{
		&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: render.DexConfigSecret, Namespace: ns}, Data: map[string][]byte{"config.yaml": cfg}},
		secretObject(dexEnv),
	}
	// Each oauth2-proxy runs from its ConfigMap and Secret (startProxy).
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"}
	cms, err := s.Client.CoreV1().ConfigMaps("apps").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cms.Items {
		cm := cms.Items[i]
		cm.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
		cm.ManagedFields = nil
		objs = append(objs, &cm)
	}
	secs, err := s.Client.CoreV1().Secrets("apps").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range secs.Items {
		objs = append(objs, secretObject(&secs.Items[i]))
	}
	manifests := writeObjects(t, filepath.Join(dir, "manifests.yaml"), objs)

	var ings []any
	list, err := s.Client.NetworkingV1().Ingresses("apps").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		in := list.Items[i]
		in.APIVersion, in.Kind, in.ManagedFields = "networking.k8s.io/v1", "Ingress", nil
		ings = append(ings, &in)
	}
	ingress := writeObjects(t, filepath.Join(dir, "ingress.yaml"), ings)

	var binds []any
	crbs, err := s.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range crbs.Items {
		b := crbs.Items[i]
		b.APIVersion, b.Kind, b.ManagedFields = "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", nil
		binds = append(binds, &b)
	}
	rbs, err := s.Client.RbacV1().RoleBindings("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rbs.Items {
		b := rbs.Items[i]
		b.APIVersion, b.Kind, b.ManagedFields = "rbac.authorization.k8s.io/v1", "RoleBinding", nil
		binds = append(binds, &b)
	}
	rbac := writeObjects(t, filepath.Join(dir, "rbac.yaml"), binds)

	args := []string{"doctor", "-o", "json",
		"--authentication-config", filepath.Join(s.Dir, "apiserver", "authentication-config.yaml"),
		"--manifests", manifests, "--ingress", ingress, "--rbac", rbac, "--kubeconfig", k.kubeconfig}
	if k.live {
		args = append(args, "--live", "--live-kubeconfig", s.Env.AdminKubeconfig)
	}
	if k.token != "" {
		args = append(args, "--token", k.token)
	}
	out, errOut, code := s.CLI(t, nil, args...)
	var rep struct {
		Findings []struct {
			Code, Severity, Message string
			Evidence                []string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor -o json (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	errs := map[string]string{}
	for _, f := range rep.Findings {
		if f.Severity == "error" {
			errs[f.Code] += f.Message + "\n" + strings.Join(f.Evidence, "\n") + "\n"
		}
	}
	return errs
}

// symptomCodes are the checks doctor --symptom maps msg to.
func (s *Stack) symptomCodes(t testing.TB, msg string) []string {
	t.Helper()
	out, errOut, code := s.CLI(t, nil, "doctor", "-o", "json", "--symptom", msg)
	var rep struct {
		Symptom struct {
			Matches []struct{ Codes []string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --symptom -o json (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	var codes []string
	for _, m := range rep.Symptom.Matches {
		codes = append(codes, m.Codes...)
	}
	return codes
}

func secretObject(in *corev1.Secret) *corev1.Secret {
	out := in.DeepCopy()
	out.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}
	out.ManagedFields = nil
	return out
}

func writeObjects(t testing.TB, path string, objs []any) string {
	t.Helper()
	var b bytes.Buffer
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return writeFile(t, path, b.Bytes())
}

// logSince returns what a log file gained after mark.
type logMark struct {
	path string
	off  int64
}

func markLog(path string) logMark {
	st, err := os.Stat(path)
	if err != nil {
		return logMark{path: path}
	}
	return logMark{path: path, off: st.Size()}
}

func (m logMark) since() string {
	data, err := os.ReadFile(m.path)
	if err != nil || int64(len(data)) < m.off {
		return ""
	}
	return string(data[m.off:])
}

// waitLog waits, with a deadline, until the log gains a line matching want.
func (m logMark) wait(want string) string {
	re := regexp.MustCompile("(?i)" + want)
	var out string
	_ = poll(30*time.Second, 100*time.Millisecond, func() error {
		out = m.since()
		if re.MatchString(out) {
			return nil
		}
		return fmt.Errorf("no %q yet", want)
	})
	return out
}

func (s *Stack) apiserverLog() string { return filepath.Join(s.Env.Dir, "kube-apiserver.log") }

// --- ways to break a setting where the stack reads it ---

// breakDex runs dex with a changed config.
func breakDex(change func(cfg map[string]any)) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, _ *faultKit) func() {
		healthy := s.DexConfig(t)
		broken := s.DexConfig(t)
		change(broken)
		s.RestartDex(t, broken)
		return func() { s.RestartDex(t, healthy) }
	}
}

func dexClient(cfg map[string]any, id string) map[string]any {
	for _, c := range cfg["staticClients"].([]any) {
		if c := c.(map[string]any); c["id"] == id {
			return c
		}
	}
	panic("no dex client " + id)
}

// breakProxy changes an app's oauth2-proxy ConfigMap (the cfg file) or
// Secret in the cluster and restarts the proxy from them, as a rollout
// would.
func breakProxy(app string, cfg func(map[string]string), secret map[string]string) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, _ *faultKit) func() {
		restore := s.editProxyObjects(t, app, cfg, secret)
		s.RestartProxy(t, app, nil)
		return func() {
			restore()
			s.RestartProxy(t, app, nil)
		}
	}
}

// breakProxyStart changes the proxy's objects so that it refuses to start;
// the healthy proxy keeps running until the restore.
func breakProxyStart(app string, cfg func(map[string]string), secret map[string]string) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, _ *faultKit) func() {
		return s.editProxyObjects(t, app, cfg, secret)
	}
}

func (s *Stack) editProxyObjects(t testing.TB, app string, cfg func(map[string]string), secret map[string]string) func() {
	t.Helper()
	ctx := context.Background()
	name := "oauth2-proxy-" + app
	cms := s.Client.CoreV1().ConfigMaps("apps")
	secs := s.Client.CoreV1().Secrets("apps")
	cm, err := cms.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	healthyCM, healthySec := cm.DeepCopy(), sec.DeepCopy()
	if cfg != nil {
		cfg(cm.Data)
		if reflect.DeepEqual(cm.Data, healthyCM.Data) {
			t.Fatalf("the fault did not change %s's config files:\n%v", name, healthyCM.Data)
		}
		if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range secret {
		sec.Data[k] = []byte(v)
	}
	if secret != nil {
		if _, err := secs.Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for _, o := range []metav1.Object{healthyCM, healthySec} {
			o.SetResourceVersion("")
		}
		cur, err := cms.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			healthyCM.ResourceVersion = cur.ResourceVersion
			_, err = cms.Update(ctx, healthyCM, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Errorf("restore ConfigMap %s: %v", name, err)
		}
		curSec, err := secs.Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			healthySec.ResourceVersion = curSec.ResourceVersion
			_, err = secs.Update(ctx, healthySec, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Errorf("restore Secret %s: %v", name, err)
		}
	}
}

// cfgLine replaces one `key = value` line of an oauth2_proxy.cfg; an
// empty value removes the line.
func cfgLine(key, value string) func(string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*\n`)
	return func(cfg string) string {
		repl := ""
		if value != "" {
			repl = key + " = " + value + "\n"
		}
		if !re.MatchString(cfg) {
			return cfg + repl
		}
		return re.ReplaceAllLiteralString(cfg, repl)
	}
}

// inCfg edits the oauth2_proxy.cfg of a proxy's ConfigMap data.
func inCfg(edit func(string) string) func(map[string]string) {
	return func(data map[string]string) { data[format.ConfigKey] = edit(data[format.ConfigKey]) }
}

// alphaLine replaces the value of one `key: value` line of the alpha
// config of a headers-mode proxy (where oauth2-proxy reads the provider
// options), edit taking the old value.
func alphaLine(key string, edit func(string) string) func(map[string]string) {
	re := regexp.MustCompile(`(?m)^(\s*(?:- )?` + regexp.QuoteMeta(key) + `: )(.*)$`)
	return func(data map[string]string) {
		data[format.AlphaConfigKey] = re.ReplaceAllStringFunc(data[format.AlphaConfigKey], func(line string) string {
			m := re.FindStringSubmatch(line)
			return m[1] + edit(m[2])
		})
	}
}

// proxyStartFailure runs the app's oauth2-proxy from its (broken) objects
// and returns what it printed before it exited.
func proxyStartFailure(app string) func(*testing.T, *Stack, *faultKit) string {
	return func(t *testing.T, s *Stack, _ *faultKit) string {
		stack := s.Spec(t)
		for i := range stack.Spec.Apps {
			a := &stack.Spec.Apps[i]
			if a.Name != app {
				continue
			}
			env, args := s.proxyCommand(t, a, nil, hostPort(freePort(t)))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, testenv.Bin(t, "oauth2-proxy"), args...)
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("oauth2-proxy %s started with the broken setting (err=%v):\n%s", app, err, out)
			}
			return string(out)
		}
		t.Fatalf("no app %s", app)
		return ""
	}
}

// breakAuthn rewrites the AuthenticationConfiguration the API server runs
// from; the API server reloads it (kubernetes
// pkg/kubeapiserver/options/authentication.go watches the file).
func breakAuthn(change func(string) string) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, _ *faultKit) func() {
		path := filepath.Join(s.Dir, "apiserver", "authentication-config.yaml")
		healthy, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		broken := change(string(healthy))
		if broken == string(healthy) {
			t.Fatalf("the fault did not change %s:\n%s", path, healthy)
		}
		writeFile(t, path, []byte(broken))
		return func() {
			writeFile(t, path, healthy)
			s.waitHealthyAPIServer(t)
		}
	}
}

// waitHealthyAPIServer waits until a fresh token of alice is accepted as
// oidc:alice again.
func (s *Stack) waitHealthyAPIServer(t testing.TB) {
	t.Helper()
	err := poll(90*time.Second, 250*time.Millisecond, func() error {
		who, err := s.WhoAmI(context.Background(), s.PasswordToken(t, alice))
		if err != nil {
			return err
		}
		if who.Username != "oidc:alice@example.org" || !contains(who.Groups, "oidc:developers") {
			return fmt.Errorf("the API server sees %q in %v", who.Username, who.Groups)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the API server did not come back to the healthy config: %v", err)
	}
}

// kubectlUntil runs kubectl as u until its error output matches want (the
// API server reloads its config asynchronously) and returns the last
// output together with what the API server logged meanwhile.
func kubectlUntil(want string, args ...string) func(*testing.T, *Stack, *faultKit) string {
	return func(t *testing.T, s *Stack, k *faultKit) string {
		mark := markLog(s.apiserverLog())
		re := regexp.MustCompile("(?i)" + want)
		var out string
		_ = poll(60*time.Second, 500*time.Millisecond, func() error {
			stdout, stderr, _ := s.Kubectl(t, k.kubeconfig, args...)
			out = stdout + stderr + mark.since()
			if re.MatchString(out) {
				return nil
			}
			return fmt.Errorf("no %q yet", want)
		})
		return out
	}
}

// breakSubject changes every subject of kind whose name holds match in the
// authstack bindings of ns (ClusterRoleBindings when ns is empty), in the
// cluster: a user may be bound by more than one.
func breakSubject(ns, kind, match string, change func(name string) string) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, _ *faultKit) func() {
		ctx := context.Background()
		sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=authstack"}
		crbs, rbs := s.Client.RbacV1().ClusterRoleBindings(), s.Client.RbacV1().RoleBindings(ns)
		// set replaces the subjects of the binding name.
		set := func(name string, subjects []rbacv1.Subject) error {
			if ns == "" {
				b, err := crbs.Get(ctx, name, metav1.GetOptions{})
				if err == nil {
					b.Subjects = subjects
					_, err = crbs.Update(ctx, b, metav1.UpdateOptions{})
				}
				return err
			}
			b, err := rbs.Get(ctx, name, metav1.GetOptions{})
			if err == nil {
				b.Subjects = subjects
				_, err = rbs.Update(ctx, b, metav1.UpdateOptions{})
			}
			return err
		}
		found := map[string][]rbacv1.Subject{}
		if ns == "" {
			list, err := crbs.List(ctx, sel)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range list.Items {
				found[b.Name] = b.Subjects
			}
		} else {
			list, err := rbs.List(ctx, sel)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range list.Items {
				found[b.Name] = b.Subjects
			}
		}
		healthy := map[string][]rbacv1.Subject{}
		for name, subjects := range found {
			broken := append([]rbacv1.Subject(nil), subjects...)
			changed := false
			for i := range broken {
				if broken[i].Kind == kind && strings.Contains(broken[i].Name, match) {
					broken[i].Name, changed = change(broken[i].Name), true
				}
			}
			if !changed {
				continue
			}
			healthy[name] = subjects
			if err := set(name, broken); err != nil {
				t.Fatal(err)
			}
		}
		if len(healthy) == 0 {
			t.Fatalf("no authstack binding in %q with a %s subject like %q", ns, kind, match)
		}
		return func() {
			for name, subjects := range healthy {
				if err := set(name, subjects); err != nil {
					t.Errorf("restore the subjects of binding %s: %v", name, err)
				}
			}
		}
	}
}

// breakKubeconfig changes kubelogin's arguments in the user's kubeconfig.
func breakKubeconfig(change func(args []string) []string) func(*testing.T, *Stack, *faultKit) func() {
	return func(t *testing.T, s *Stack, k *faultKit) func() {
		cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, ai := range cfg.AuthInfos {
			ai.Exec.Args = change(ai.Exec.Args)
		}
		k.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
		if err := clientcmd.WriteToFile(*cfg, k.kubeconfig); err != nil {
			t.Fatal(err)
		}
		return func() {}
	}
}

func replaceArg(prefix, value string) func([]string) []string {
	return func(args []string) []string {
		var out []string
		for _, a := range args {
			if strings.HasPrefix(a, prefix) {
				if value == "" {
					continue
				}
				a = prefix + value
			}
			out = append(out, a)
		}
		return out
	}
}

// appLogin signs alice in to an app over HTTP as a browser would and
// returns every page and status on the way, with what the app's
// oauth2-proxy, dex and nginx logged meanwhile.
func appLogin(app string, u ldapUser) func(*testing.T, *Stack, *faultKit) string {
	return func(t *testing.T, s *Stack, _ *faultKit) string {
		target := s.TokenURL
		if app == "prometheus" {
			target = s.HeadersURL
		}
		logs := []logMark{markLog(s.proxies[app].Log), markLog(s.dexProc.Log), markLog(filepath.Join(s.Dir, "nginx", "error.log")), markLog(s.apiserverLog())}
		w := s.newWeb(t, nil)
		var b strings.Builder
		req := newRequest(t, http.MethodGet, target, nil)
		posted := false
		for hop := 0; hop < 20; hop++ {
			resp := w.do(t, req)
			if resp.Status >= 300 && resp.Status < 400 {
				next, err := resp.URL.Parse(resp.Location)
				if err != nil {
					break
				}
				req = newRequest(t, http.MethodGet, next.String(), nil)
				continue
			}
			if resp.Status == http.StatusOK && strings.Contains(resp.Body, `name="password"`) && !posted {
				action := resp.URL
				if m := formAction.FindStringSubmatch(resp.Body); m != nil {
					if a, err := resp.URL.Parse(html.UnescapeString(m[1])); err == nil {
						action = a
					}
				}
				form := url.Values{"login": {u.UID}, "password": {u.Password}}.Encode()
				req = newRequest(t, http.MethodPost, action.String(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
				req.Body = io.NopCloser(strings.NewReader(form))
				req.ContentLength = int64(len(form))
				posted = true
				continue
			}
			// The page a user sees where the login stopped.
			fmt.Fprintf(&b, "%d %s\n", resp.Status, pageText(resp.Body))
			break
		}
		for _, m := range logs {
			b.WriteString(m.since())
		}
		return b.String()
	}
}

// apiserverLogUntil waits until the API server logs want: the outcome of
// reloading its AuthenticationConfiguration. A reload waits up to a minute
// for the issuer to answer before it gives up, and one still running for
// the fault before delays this one: two minutes and a half.
func apiserverLogUntil(want string) func(*testing.T, *Stack, *faultKit) string {
	return func(t *testing.T, s *Stack, _ *faultKit) string {
		mark := markLog(s.apiserverLog())
		re := regexp.MustCompile("(?i)" + want)
		var out string
		_ = poll(150*time.Second, 250*time.Millisecond, func() error {
			if out = mark.since(); re.MatchString(out) {
				return nil
			}
			return fmt.Errorf("no %q yet", want)
		})
		return out
	}
}

// withLog runs show and waits for the log of the given process to say want.
func withAPIServerLog(want string, show func(*testing.T, *Stack, *faultKit) string) func(*testing.T, *Stack, *faultKit) string {
	return func(t *testing.T, s *Stack, k *faultKit) string {
		mark := markLog(s.apiserverLog())
		out := show(t, s, k)
		return out + mark.wait(want)
	}
}

func realFaults() []realFault {
	return []realFault{
		// dex
		{
			name: "dex: the proxy's redirect URI missing from its client", breaks: "dex staticClients[oauth2-proxy-prometheus].redirectURIs",
			brk: breakDex(func(cfg map[string]any) {
				dexClient(cfg, "oauth2-proxy-prometheus")["redirectURIs"] = []any{"https://elsewhere.example.org/oauth2/callback"}
			}),
			show: appLogin("prometheus", bob), want: `redirect_uri`, code: "AS-40", field: "redirect",
		},
		{
			name: "dex: the proxy's client missing", breaks: "dex staticClients (oauth2-proxy-prometheus removed)",
			brk: breakDex(func(cfg map[string]any) {
				var kept []any
				for _, c := range cfg["staticClients"].([]any) {
					if c.(map[string]any)["id"] != "oauth2-proxy-prometheus" {
						kept = append(kept, c)
					}
				}
				cfg["staticClients"] = kept
			}),
			show: appLogin("prometheus", bob), want: `client_id`, code: "AS-41", field: "oauth2-proxy-prometheus",
		},
		{
			name: "dex: the proxy's client secret differs", breaks: "dex staticClients[oauth2-proxy-prometheus].secret",
			brk: breakDex(func(cfg map[string]any) {
				c := dexClient(cfg, "oauth2-proxy-prometheus")
				delete(c, "secretEnv")
				c["secret"] = "not-the-proxy-secret"
			}),
			show: appLogin("prometheus", bob), want: `invalid_client|invalid client credentials`, code: "AS-42", field: "secret",
		},
		{
			name: "dex: kubectl's client does not trust the token proxy", breaks: "dex staticClients[kubernetes].trustedPeers",
			brk: breakDex(func(cfg map[string]any) {
				delete(dexClient(cfg, "kubernetes"), "trustedPeers")
			}),
			show: appLogin("dashboard", alice), want: `can't request scope|cannot request scope|not authorized to request`, code: "AS-43", field: "trustedPeers",
		},
		{
			name: "dex: issuer differs from the API server's", breaks: "dex issuer",
			brk:  breakDex(func(cfg map[string]any) { cfg["issuer"] = cfg["issuer"].(string) + "/" }),
			show: kubectlUntil(`did not match|issued by a different provider`, "auth", "whoami"),
			want: `did not match|issued by a different provider`, code: "AS-01", field: "issuer",
		},
		// oauth2-proxy
		{
			name: "oauth2-proxy: client secret differs from dex's", breaks: "oauth2-proxy Secret client-secret",
			brk:  breakProxy("prometheus", nil, map[string]string{"client-secret": "not-the-secret-dex-has"}),
			show: appLogin("prometheus", bob), want: `invalid_client|invalid client credentials`, code: "AS-42", field: "client",
		},
		{
			name: "oauth2-proxy: client id unknown to dex", breaks: "oauth2-proxy client_id",
			brk:  breakProxy("prometheus", alphaLine("clientID", func(string) string { return "oauth2-proxy-typo" }), nil),
			show: appLogin("prometheus", bob), want: `client_id`, code: "AS-41", field: "clientID",
		},
		{
			name: "oauth2-proxy: redirect_url not registered in dex", breaks: "oauth2-proxy redirect_url",
			brk: breakProxy("prometheus", inCfg(func(cfg string) string {
				return strings.Replace(cfg, "/oauth2/callback", "/oauth2/callback-typo", 1)
			}), nil),
			show: appLogin("prometheus", bob), want: `redirect_uri`, code: "AS-40", field: "redirect_url",
		},
		{
			name: "oauth2-proxy: cookie secret of 10 bytes", breaks: "oauth2-proxy Secret cookie-secret",
			brk:  breakProxyStart("prometheus", nil, map[string]string{"cookie-secret": "0123456789"}),
			show: proxyStartFailure("prometheus"), want: `cookie_secret`, code: "AS-50", field: "cookie",
		},
		{
			name: "oauth2-proxy: email_domains missing", breaks: "oauth2-proxy email_domains",
			brk:  breakProxyStart("prometheus", inCfg(cfgLine("email_domains", "")), nil),
			show: proxyStartFailure("prometheus"), want: `email`, code: "AS-65", field: "email_domains",
		},
		{
			name: "oauth2-proxy: issuer URL differs from dex's", breaks: "oauth2-proxy oidc_issuer_url",
			brk:  breakProxyStart("prometheus", alphaLine("issuerURL", func(u string) string { return u + "/" }), nil),
			show: proxyStartFailure("prometheus"), want: `did not match|issuer`, code: "AS-01", field: "issuerURL",
		},
		{
			name: "oauth2-proxy: token app without the API server's audience", breaks: "oauth2-proxy scope (audience:server:client_id:kubernetes removed) and oidc_extra_audiences",
			brk: breakProxy("dashboard", inCfg(func(cfg string) string {
				cfg = strings.Replace(cfg, " audience:server:client_id:kubernetes", "", 1)
				return cfgLine("oidc_extra_audiences", "")(cfg)
			}), nil),
			show: withAPIServerLog(`expected audience`, appLogin("dashboard", alice)),
			want: `expected audience`, code: "AS-56", field: "scope",
		},
		{
			name: "oauth2-proxy: cookie domain differs from the app's host", breaks: "oauth2-proxy cookie_domains",
			brk:  breakProxy("prometheus", inCfg(cfgLine("cookie_domains", `["apps.example.org"]`)), nil),
			show: appLogin("prometheus", bob), want: `cookie domain`, code: "AS-66", field: "cookie_domains",
		},
		// kube-apiserver (AuthenticationConfiguration)
		{
			name: "API server: audience is not kubectl's client", breaks: "AuthenticationConfiguration jwt[0].issuer.audiences",
			brk: breakAuthn(func(c string) string {
				return regexp.MustCompile(`(?m)^(\s+- )kubernetes$`).ReplaceAllString(c, "${1}kubernetes-typo")
			}),
			show: kubectlUntil(`expected audience`, "auth", "whoami"), want: `expected audience`, code: "AS-13", field: "audiences",
		},
		{
			name: "API server: username claim the token lacks", breaks: "AuthenticationConfiguration jwt[0].claimMappings.username.claim",
			brk: breakAuthn(func(c string) string {
				return regexp.MustCompile(`(?m)^(\s+claim: )email$`).ReplaceAllString(c, "${1}upn")
			}),
			show: kubectlUntil(`claim not present|upn`, "auth", "whoami"), want: `claim not present|parse username`, code: "AS-45", field: "upn",
		},
		{
			name: "API server: groups claim the token lacks", breaks: "AuthenticationConfiguration jwt[0].claimMappings.groups.claim",
			brk: breakAuthn(func(c string) string {
				return regexp.MustCompile(`(groups:\n\s+claim: )groups`).ReplaceAllString(c, "${1}roles")
			}), user: bob,
			show: kubectlUntil(`forbidden`, "-n", "alice", "get", "configmaps"),
			want: `forbidden`, code: "AS-45", field: "roles",
		},
		{
			name: "API server: username prefix differs from the RBAC subjects'", breaks: "AuthenticationConfiguration jwt[0].claimMappings.username.prefix",
			brk: breakAuthn(func(c string) string {
				return regexp.MustCompile(`(username:\n\s+claim: \S+\n\s+prefix: )'oidc:'`).ReplaceAllString(c, `${1}'sso:'`)
			}),
			show: kubectlUntil(`forbidden`, "-n", "alice", "create", "configmap", "fault", "--from-literal=a=b"),
			want: `forbidden`, code: "AS-30", field: "oidc:",
		},
		{
			name: "API server: issuer CA is not the issuer's", breaks: "AuthenticationConfiguration jwt[0].issuer.certificateAuthority",
			brk: func(t *testing.T, s *Stack, k *faultKit) func() {
				other := testenv.NewCA(t, t.TempDir(), "other-ca")
				pem := strings.TrimSpace(string(other.CertPEM))
				return breakAuthn(func(c string) string {
					re := regexp.MustCompile(`(?s)(certificateAuthority: \|\n)(\s+)-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----`)
					m := re.FindStringSubmatch(c)
					if m == nil {
						return c
					}
					indent := m[2]
					return re.ReplaceAllLiteralString(c, m[1]+indent+strings.ReplaceAll(pem, "\n", "\n"+indent))
				})(t, s, k)
			},
			show: apiserverLogUntil(`failed to update authentication config.*x509`),
			want: `failed to update authentication config.*x509`, code: "AS-92", field: "certificate", live: true,
		},
		{
			name: "API server: issuer URL differs from dex's", breaks: "AuthenticationConfiguration jwt[0].issuer.url",
			brk: breakAuthn(func(c string) string {
				return regexp.MustCompile(`(?m)^(\s+url: https://\S+?)/?$`).ReplaceAllString(c, "${1}/")
			}),
			show: apiserverLogUntil(`failed to update authentication config.*did not match`),
			want: `failed to update authentication config.*did not match`, code: "AS-01", field: "url", symptom: "AS-93",
		},
		// RBAC
		{
			name: "RBAC: user subject without the username prefix", breaks: "RoleBinding in alice's namespace subjects[].name",
			brk:  breakSubject("alice", "User", "", func(n string) string { return strings.TrimPrefix(n, "oidc:") }),
			show: kubectlUntil(`forbidden`, "-n", "alice", "create", "configmap", "fault", "--from-literal=a=b"),
			want: `forbidden`, code: "AS-30", field: "alice@example.org",
		},
		{
			name: "RBAC: group subject in another case", breaks: "ClusterRoleBinding subjects[].name (Group)",
			brk: breakSubject("", "Group", "readonly-admins", func(n string) string {
				return strings.Replace(n, "readonly-admins", "Readonly-Admins", 1)
			}), user: bob, token: true,
			show: kubectlUntil(`forbidden`, "-n", "alice", "get", "configmaps"),
			want: `forbidden`, code: "AS-32", field: "readonly-admins",
		},
		// kubeconfig
		{
			name: "kubeconfig: client id unknown to dex", breaks: "kubeconfig users[].exec --oidc-client-id",
			brk:  breakKubeconfig(replaceArg("--oidc-client-id=", "kubernetes-typo")),
			show: kubectlUntil(`client`, "auth", "whoami"), want: `invalid_client|client_id|unauthorized_client`, code: "AS-41", field: "oidc-client-id",
		},
		{
			name: "kubeconfig: issuer URL differs from dex's", breaks: "kubeconfig users[].exec --oidc-issuer-url",
			brk: func(t *testing.T, s *Stack, k *faultKit) func() {
				return breakKubeconfig(replaceArg("--oidc-issuer-url=", s.Issuer+"/"))(t, s, k)
			},
			show: kubectlUntil(`did not match`, "auth", "whoami"), want: `did not match`, code: "AS-01", field: "oidc-issuer-url",
		},
		{
			name: "kubeconfig: groups scope missing", breaks: "kubeconfig users[].exec --oidc-extra-scope=groups",
			brk: breakKubeconfig(replaceArg("--oidc-extra-scope=groups", "")), user: bob,
			show: kubectlUntil(`forbidden`, "-n", "alice", "get", "configmaps"), want: `forbidden`, code: "AS-72", field: "groups",
		},
	}
}

var tags = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)

// pageText is the text a browser shows for an HTML page, one line.
func pageText(body string) string {
	text := html.UnescapeString(tags.ReplaceAllString(body, " "))
	return strings.Join(strings.Fields(text), " ")
}
