package kubeadm

import (
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// addedOnly returns the lines of out that are not in in, failing when a
// line of in is changed or removed.
func addedOnly(t *testing.T, in, out string) string {
	t.Helper()
	a, b := strings.SplitAfter(in, "\n"), strings.SplitAfter(out, "\n")
	var added string
	for _, op := range difflib.NewMatcherWithJunk(a, b, false, nil).GetOpCodes() {
		if op.Tag == 'd' || op.Tag == 'r' {
			t.Errorf("lines removed or changed:\n%s", strings.Join(a[op.I1:op.I2], ""))
		}
		if op.Tag == 'i' || op.Tag == 'r' {
			added += strings.Join(b[op.J1:op.J2], "")
		}
	}
	return added
}

// The kubeadm docs' fully populated v1beta4 example: the OIDC flags and
// the CA volume are added to apiServer (after its own entries, in the
// file's indentation) and nothing else of the three documents changes, its
// comments, blank lines, quoting and the other components' extraArgs and
// extraVolumes included.
func TestPatchUpstreamV1beta4ExampleOnlyAddsToAPIServer(t *testing.T) {
	src := patchtest.ReadTestdata(t, "upstream/v1beta4-docs-example.yaml")
	out := mustPatch(t, src, oidcFlags, nil, []Volume{dexCA})
	added := addedOnly(t, string(src), string(out))
	want := "    - name: oidc-issuer-url\n      value: https://dex.lab.example.com:32000/dex\n"
	if !strings.Contains(added, want) {
		t.Errorf("added lines lack %q in the file's indentation:\n%s", want, added)
	}
	if !strings.Contains(string(out), "      value: \"Node,RBAC\"\n    - name: oidc-issuer-url\n") {
		t.Errorf("the flags are not appended after authorization-mode:\n%s", out)
	}
	if !strings.Contains(string(out), "      pathType: File\n    - name: dex-ca\n") {
		t.Errorf("the volume is not appended to apiServer.extraVolumes:\n%s", out)
	}
	if n := strings.Count(added, "- name:"); n != len(oidcFlags)+1 {
		t.Errorf("added %d entries, want %d:\n%s", n, len(oidcFlags)+1, added)
	}
}

// The same file with CRLF line endings keeps them on every line.
func TestPatchUpstreamV1beta4ExampleKeepsCRLF(t *testing.T) {
	lf := patchtest.ReadTestdata(t, "upstream/v1beta4-docs-example.yaml")
	crlf := []byte(strings.ReplaceAll(string(lf), "\n", "\r\n"))
	got := mustPatch(t, crlf, oidcFlags, nil, []Volume{dexCA})
	want := strings.ReplaceAll(string(mustPatch(t, lf, oidcFlags, nil, []Volume{dexCA})), "\n", "\r\n")
	if string(got) != want {
		t.Errorf("CRLF result differs from the LF result with CRLF endings:\n%q", got)
	}
}

// An edit that changes a value re-encodes the document; on a CRLF file
// that put blank lines between the commented "# external:" lines and moved
// them to column 0. Now the CRLF file gets the LF result, with CRLF.
func TestPatchUpstreamV1beta4ExampleChangeKeepsCRLFComments(t *testing.T) {
	lf := patchtest.ReadTestdata(t, "upstream/v1beta4-docs-example.yaml")
	first := mustPatch(t, lf, oidcFlags, nil, []Volume{dexCA})
	changed := []Arg{{Name: "oidc-issuer-url", Value: "https://dex.example.org"}}
	wantLF := mustPatch(t, first, changed, nil, nil)
	crlf := []byte(strings.ReplaceAll(string(first), "\n", "\r\n"))
	got := mustPatch(t, crlf, changed, nil, nil)
	if string(got) != strings.ReplaceAll(string(wantLF), "\n", "\r\n") {
		t.Errorf("CRLF result differs from the LF one:\n%q", got)
	}
	if !strings.Contains(string(got), "  # external:\r\n  #   endpoints:\r\n  #     - \"10.100.0.1:2379\"\r\n") {
		t.Errorf("the commented external block moved:\n%q", got)
	}
}
