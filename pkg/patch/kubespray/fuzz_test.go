package kubespray

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/authstack/authstack/internal/safefile/safefiletest"
	"github.com/authstack/authstack/pkg/patch"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

func fuzzVars(value string) []Var {
	return []Var{
		{Name: "kube_oidc_auth", Value: true},
		{Name: "kube_oidc_url", Value: value},
		{Name: "kube_oidc_username_prefix", Value: "oidc:"},
		{Name: "kube_apiserver_authentication_config_jwt", Value: []any{
			map[string]any{"issuer": map[string]any{"url": value, "audiences": []string{"kubernetes"}}},
		}},
		{Name: "authstack_new_var", Value: []string{value, "-"}},
	}
}

// FuzzKubesprayPatch checks that Patch never panics, that whatever it returns
// is YAML that patching again leaves unchanged, and that writing it in place
// stays in the file's directory and goes through no link.
func FuzzKubesprayPatch(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("testdata", "k8s-cluster.yml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample, "https://dex.example.com/dex")
	f.Add([]byte("a: 1\n# kube_oidc_url: x\nb:\n  - c\n"), "oidc:")
	f.Add([]byte("# kube_apiserver_authentication_config_jwt:\n#   - issuer:\n#       url: x\nkube_oidc_url: |\n  x\n"), "a\nb")
	f.Add([]byte("---\nkube_oidc_auth: yes\n...\n"), "")
	f.Fuzz(func(t *testing.T, src []byte, value string) {
		vars := fuzzVars(value)
		_ = CheckTarget(src) // must not panic
		out, err := Patch(src, vars)
		if err != nil {
			return
		}
		patchtest.Stable(t, func(b []byte) ([]byte, error) { return Patch(b, vars) }, out)
		// Writing the result in place goes through no link and stays in
		// the file's directory.
		safefiletest.CheckContained(t, "k8s-cluster.yml", src, out, patch.WriteFileAtomic)
	})
}
