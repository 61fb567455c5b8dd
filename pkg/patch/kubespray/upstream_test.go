package kubespray

import (
	"regexp"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// changedLines returns the lines that differ between before and after,
// which must have as many lines.
func changedLines(t *testing.T, before, after []byte) map[int][2]string {
	t.Helper()
	b := strings.SplitAfter(string(before), "\n")
	a := strings.SplitAfter(string(after), "\n")
	if len(b) != len(a) {
		t.Fatalf("line count changed from %d to %d", len(b), len(a))
	}
	out := map[int][2]string{}
	for i := range b {
		if b[i] != a[i] {
			out[i+1] = [2]string{b[i], a[i]}
		}
	}
	return out
}

// On kubespray's real sample inventory, the patch uncomments exactly the
// commented kube_oidc_* lines and leaves every other byte alone: the
// comments, the Jinja expressions, the structured-auth example.
func TestPatchUpstreamSampleTouchesOnlyTheOIDCLines(t *testing.T) {
	src := patchtest.ReadTestdata(t, "upstream/k8s-cluster.yml")
	out := mustPatch(t, src, oidcVars)
	commented := regexp.MustCompile(`^# (kube_oidc_[a-z_]+): `)
	seen := map[string]bool{}
	for line, c := range changedLines(t, src, out) {
		m := commented.FindStringSubmatch(c[0])
		if m == nil || !strings.HasPrefix(c[1], m[1]+": ") {
			t.Errorf("line %d changed but is not a commented OIDC variable:\n- %q\n+ %q", line, c[0], c[1])
			continue
		}
		seen[m[1]] = true
	}
	for _, v := range oidcVars {
		if !seen[v.Name] {
			t.Errorf("%s was not set on its commented line", v.Name)
		}
	}
}

// A user's copy of the sample with the OIDC variables already set by hand,
// values partly Jinja expressions and comments at the end of lines: only the
// values change, each on its own line, the comments stay.
func TestPatchUpstreamSampleWithOIDCSetByHand(t *testing.T) {
	src := string(patchtest.ReadTestdata(t, "upstream/k8s-cluster.yml"))
	for old, new := range map[string]string{
		"# kube_oidc_auth: false\n":                             "kube_oidc_auth: true  # enabled for dex\n",
		"# kube_oidc_url: https:// ...\n":                       "kube_oidc_url: \"https://{{ dex_host }}/dex\"\n",
		"# kube_oidc_client_id: kubernetes\n":                   "kube_oidc_client_id: kubernetes\n",
		"# kube_oidc_ca_file: \"{{ kube_cert_dir }}/ca.pem\"\n": "kube_oidc_ca_file: \"{{ kube_cert_dir }}/ca.pem\"\n",
		"# kube_oidc_username_claim: sub\n":                     "kube_oidc_username_claim: sub\n",
	} {
		if !strings.Contains(src, old) {
			t.Fatalf("the sample lacks %q", old)
		}
		src = strings.Replace(src, old, new, 1)
	}
	out := mustPatch(t, []byte(src), oidcVars)
	want := map[string]string{
		"kube_oidc_auth":           "kube_oidc_auth: true  # enabled for dex\n", // unchanged: already true
		"kube_oidc_url":            "kube_oidc_url: https://dex.example.com:32000/dex\n",
		"kube_oidc_ca_file":        "kube_oidc_ca_file: '{{ kube_cert_dir }}/dex-ca.pem'\n",
		"kube_oidc_username_claim": "kube_oidc_username_claim: email\n",
	}
	for _, line := range strings.SplitAfter(string(out), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if w, ok := want[name]; ok {
			if line != w {
				t.Errorf("%s: got %q, want %q", name, line, w)
			}
			delete(want, name)
		}
	}
	for name := range want {
		t.Errorf("%s is not set in the output", name)
	}
	changed := changedLines(t, []byte(src), out)
	for line, c := range changed {
		if !strings.HasPrefix(c[0], "kube_oidc_") && !strings.HasPrefix(c[0], "# kube_oidc_") {
			t.Errorf("line %d changed but holds no OIDC variable:\n- %q\n+ %q", line, c[0], c[1])
		}
	}
}

// The same sample with CRLF line endings, as a Windows checkout gives it:
// the patched file keeps CRLF on every line and is otherwise the LF result.
func TestPatchUpstreamSampleKeepsCRLF(t *testing.T) {
	lf := patchtest.ReadTestdata(t, "upstream/k8s-cluster.yml")
	crlf := []byte(strings.ReplaceAll(string(lf), "\n", "\r\n"))
	got := mustPatch(t, crlf, oidcVars)
	want := strings.ReplaceAll(string(mustPatch(t, lf, oidcVars)), "\n", "\r\n")
	if string(got) != want {
		t.Errorf("CRLF result differs from the LF result with CRLF endings")
	}
	if n := strings.Count(string(got), "\n") - strings.Count(string(got), "\r\n"); n != 0 {
		t.Errorf("%d lines end in a bare LF", n)
	}
}
