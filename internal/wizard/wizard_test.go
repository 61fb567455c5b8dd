package wizard

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authstack/authstack/pkg/initspec"
)

// ldapScript answers every question for dex in front of LDAP on kubespray
// (one answer a line, empty for the default): the same spec as the
// kubespray-ldap non-interactive golden case. The CLI test feeds it too.
var ldapScript = func() []string {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", "wizard-kubespray-ldap.txt"))
	if err != nil {
		panic(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}()

func script(lines ...string) *strings.Reader {
	return strings.NewReader(strings.Join(lines, "\n") + "\n")
}

// runScript runs the accessible wizard and fails the test if it has not
// finished within a deadline, so a wizard waiting for input cannot hang CI.
func runScript(t *testing.T, lines []string) (initspec.Answers, string, error) {
	t.Helper()
	var out bytes.Buffer
	type result struct {
		a   initspec.Answers
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := Run(Options{In: script(lines...), Out: &out, Accessible: true, Path: "authstack.yaml"})
		done <- result{a, err}
	}()
	select {
	case r := <-done:
		return r.a, out.String(), r.err
	case <-time.After(30 * time.Second):
		t.Fatalf("the wizard did not finish within 30s; output so far:\n%s", out.String())
	}
	return initspec.Answers{}, "", nil
}

func specOf(t *testing.T, a initspec.Answers) []byte {
	t.Helper()
	spec, err := initspec.Spec(a)
	if err != nil {
		t.Fatal(err)
	}
	data, err := initspec.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAccessibleWizardWritesTheSameSpecAsTheFlags(t *testing.T) {
	start := time.Now()
	a, out, err := runScript(t, ldapScript)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("scripted wizard took %v", time.Since(start))
	got := specOf(t, a)
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "init", "kubespray-ldap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the wizard's spec differs from the non-interactive golden:\n%s", got)
	}
	// The summary shows the spec before the last question.
	summary := strings.Index(out, "kind: AuthStack")
	question := strings.Index(out, "Write this spec to authstack.yaml?")
	if summary < 0 || question < summary {
		t.Errorf("the spec is not shown before the confirmation:\n%s", out)
	}
}

func TestAccessibleWizardReasksInvalidAnswers(t *testing.T) {
	lines := append([]string{"Prod_1"}, ldapScript...)
	// An https:// URL where a host is asked, then the host.
	for i, l := range lines {
		if l == "dex.example.com" {
			lines = append(lines[:i:i], append([]string{"https://dex.example.com"}, lines[i:]...)...)
			break
		}
	}
	a, out, err := runScript(t, lines)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if a.ClusterName != "prod" || a.IssuerHost != "dex.example.com" {
		t.Errorf("got cluster %q and dex host %q, want the corrected answers", a.ClusterName, a.IssuerHost)
	}
	if n := strings.Count(out, "Cluster name."); n != 2 {
		t.Errorf("cluster name asked %d times, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, `"Prod_1" must be a DNS label`) {
		t.Errorf("no DNS label error shown:\n%s", out)
	}
	if n := strings.Count(out, "Public host of dex."); n != 2 || !strings.Contains(out, `"https://dex.example.com" `) {
		t.Errorf("dex host asked %d times, want 2 with an error about the URL:\n%s", n, out)
	}
}

func TestAccessibleWizardStopsWhenInputEnds(t *testing.T) {
	_, out, err := runScript(t, ldapScript[:5])
	if !errors.Is(err, ErrInputEnded) {
		t.Fatalf("got %v, want ErrInputEnded\n%s", err, out)
	}
}

func TestAccessibleWizardDeclined(t *testing.T) {
	lines := append(append([]string(nil), ldapScript[:len(ldapScript)-1]...), "n")
	if _, _, err := runScript(t, lines); !errors.Is(err, ErrDeclined) {
		t.Fatalf("got %v, want ErrDeclined", err)
	}
}

func TestAccessibleWizardStaticUsers(t *testing.T) {
	a, out, err := runScript(t, []string{
		"dev", "3", "", "", // kind, default version, no server
		"1", "dex.127.0.0.1.nip.io", "4", // dex with static users
		"alice@example.com, bob@example.com", "short", "correct-horse",
		"2", "0", "headlamp.127.0.0.1.nip.io", "", // Headlamp
		"", "", "", "", // no access rules
		"y",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "at least 8 characters") {
		t.Errorf("a short password was not refused:\n%s", out)
	}
	if len(a.Static.Users) != 2 || a.KubernetesVersion != initspec.DefaultKubernetesVersion {
		t.Errorf("got %+v", a)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(a.Static.PasswordHash), []byte("correct-horse")); err != nil {
		t.Errorf("the stored hash is not the password's: %v", err)
	}
	if strings.Contains(string(specOf(t, a)), "correct-horse") {
		t.Error("the password is in the spec")
	}
}

func TestAccessibleWizardExternalIssuer(t *testing.T) {
	a, out, err := runScript(t, []string{
		"edge", "4", "1.35", "",
		"2", "http://keycloak.example.com", "https://keycloak.example.com/realms/main", // http is refused
		"4", "0", "grafana.example.com", "wiki=wiki.example.com:headers@docs/wiki:8080",
		"", // APPS_CLIENT_SECRET (default)
		"", "auditors", "", "",
		"y",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "must use https") {
		t.Errorf("an http issuer was not refused:\n%s", out)
	}
	if a.Issuer != initspec.IssuerExternal || a.AppClientSecret.Env != "APPS_CLIENT_SECRET" || len(a.Apps) != 2 {
		t.Errorf("got %+v", a)
	}
}

func TestInitialAnswersAreDefaults(t *testing.T) {
	initial := initspec.Answers{ClusterName: "prod", KubernetesVersion: "1.33"}
	var out bytes.Buffer
	lines := append([]string(nil), ldapScript...)
	lines[0], lines[2] = "", "" // take the cluster name and version given as flags
	a, err := Run(Options{In: script(lines...), Out: &out, Accessible: true, Initial: initial, Path: "authstack.yaml"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if a.ClusterName != "prod" || a.KubernetesVersion != "1.33" {
		t.Errorf("got %q %q, want the initial answers", a.ClusterName, a.KubernetesVersion)
	}
}
