package dexconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	existing, err := os.ReadFile(filepath.Join("testdata", "existing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, wantErr string
	}{
		{"a hand-made dex config", string(existing), ""},
		{"only connectors", "connectors:\n- type: mockCallback\n  id: mock\n  name: Mock\n", ""},
		{"empty", "", ""},
		{"an authstack spec", "apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {}\n", "it is an AuthStack (authstack.dev/v1alpha1)"},
		{"the Secret that carries a dex config", "apiVersion: v1\nkind: Secret\nstringData:\n  config.yaml: |\n    issuer: x\n", "not a dex config"},
		{"a kubespray vars file", "kube_version: v1.33.0\nkube_oidc_auth: true\n", "none of dex's settings"},
		{"a list", "- a\n", "expected a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTarget([]byte(tt.src))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
