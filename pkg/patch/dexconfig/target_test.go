package dexconfig

import (
	"testing"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

func TestCheckTarget(t *testing.T) {
	patchtest.CheckTarget(t, CheckTarget, []patchtest.TargetCase{
		{"a hand-made dex config", string(patchtest.ReadTestdata(t, "existing.yaml")), ""},
		{"only connectors", "connectors:\n- type: mockCallback\n  id: mock\n  name: Mock\n", ""},
		{"empty", "", ""},
		{"an authstack spec", "apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {}\n", "it is an AuthStack (authstack.dev/v1alpha1)"},
		{"the Secret that carries a dex config", "apiVersion: v1\nkind: Secret\nstringData:\n  config.yaml: |\n    issuer: x\n", "not a dex config"},
		{"a kubespray vars file", "kube_version: v1.33.0\nkube_oidc_auth: true\n", "none of dex's settings"},
		{"a list", "- a\n", "expected a map"},
	})
}
