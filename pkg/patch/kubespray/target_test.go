package kubespray

import (
	"testing"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

func TestCheckTarget(t *testing.T) {
	patchtest.CheckTarget(t, CheckTarget, []patchtest.TargetCase{
		{"kubespray's sample k8s-cluster.yml", string(patchtest.ReadTestdata(t, "k8s-cluster.yml")), ""},
		{"a new, empty group_vars file", "", ""},
		{"comments only", "# authstack's settings\n", ""},
		{"an authstack spec", "apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {}\n", "it is an AuthStack (authstack.dev/v1alpha1)"},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\n", "not a kubespray group_vars file"},
		{"a list", "- a\n", "expected a mapping of variables, found a list"},
		{"two documents", "a: 1\n---\nb: 2\n", "second YAML document"},
	})
}
