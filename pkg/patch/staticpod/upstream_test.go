package staticpod

import (
	"os"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

// kindManifest is the kube-apiserver static Pod kubeadm wrote on a kind
// v1.31.2 node (see that package's testdata).
const kindManifest = "../../formats/kubeapiserver/testdata/kind-v1.31.2-kube-apiserver.yaml"

var upstreamFlags = []kubeapiserver.Flag{
	{Name: "oidc-issuer-url", Value: "https://dex.example.com"},
	{Name: "oidc-client-id", Value: "kubernetes"},
	{Name: "oidc-username-prefix", Value: "oidc:"},
}

// On the real manifest, only the flags are added to the command: every
// other line stays, and a CRLF copy gets the same lines with CRLF.
func TestPatchRealManifestOnlyAddsTheFlags(t *testing.T) {
	lf, err := os.ReadFile(kindManifest)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Patch(lf, upstreamFlags, []string{"authentication-config"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, l := range strings.SplitAfter(string(lf), "\n") {
		before[l]++
	}
	var added []string
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if before[l] > 0 {
			before[l]--
			continue
		}
		added = append(added, l)
	}
	for l, n := range before {
		if n > 0 {
			t.Errorf("line lost: %q", l)
		}
	}
	if len(added) != len(upstreamFlags) {
		t.Errorf("added %q, want the %d flags", added, len(upstreamFlags))
	}
	crlf := []byte(strings.ReplaceAll(string(lf), "\n", "\r\n"))
	got, err := Patch(crlf, upstreamFlags, []string{"authentication-config"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.ReplaceAll(string(out), "\n", "\r\n") {
		t.Errorf("CRLF result differs from the LF one:\n%q", got)
	}
}
