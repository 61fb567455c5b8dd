package staticpod

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

// FuzzStaticPodPatch checks that Patch never panics, and that whatever it
// returns is a manifest whose API server has exactly the flags asked for
// and that patching again leaves unchanged.
func FuzzStaticPodPatch(f *testing.F) {
	kind, err := os.ReadFile(filepath.Join("..", "..", "formats", "kubeapiserver", "testdata", "kind-v1.31.2-kube-apiserver.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kind, "https://dex.example.com", false)
	f.Add(kind, "/etc/kubernetes/authn.yaml", true)
	f.Add([]byte(pod), "oidc:", false)
	f.Add([]byte(pod+"    - --oidc-client-id\n    - '-'\n    args: [\"--v=2\"]\n"), "#x", true)
	f.Fuzz(func(t *testing.T, src []byte, value string, structured bool) {
		set := []kubeapiserver.Flag{{Name: "oidc-issuer-url", Value: value}, {Name: "oidc-client-id", Value: "kubernetes"}}
		remove := []string{kubeapiserver.AuthConfigFlag}
		mounts := []kubeapiserver.Mount{{Name: "authstack-oidc-ca", Path: "/etc/authstack/" + value}}
		if structured {
			set = []kubeapiserver.Flag{{Name: kubeapiserver.AuthConfigFlag, Value: value}}
			remove = kubeapiserver.OIDCFlags()
			mounts = []kubeapiserver.Mount{{Name: "authstack-authentication-config", Path: value}}
		}
		_ = CheckTarget(src) // must not panic
		out, err := Patch(src, set, remove, mounts)
		if err != nil {
			return
		}
		m, err := kubeapiserver.ParseManifest(out)
		if err != nil {
			t.Fatalf("patched manifest does not parse: %v\n%s", err, out)
		}
		eff := kubeapiserver.Effective(m.Args.Flags())
		for _, f := range set {
			if eff[f.Name] != f.Value {
				t.Fatalf("--%s = %q, want %q\n%s", f.Name, eff[f.Name], f.Value, out)
			}
		}
		for _, r := range remove {
			if _, ok := eff[r]; ok {
				t.Fatalf("--%s kept\n%s", r, out)
			}
		}
		again, err := Patch(out, set, remove, mounts)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("patching again: err %v, changed %v", err, !reflect.DeepEqual(again, out))
		}
	})
}
