package kubespray

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "k8s-cluster.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, src, wantErr string
	}{
		{"kubespray's sample k8s-cluster.yml", string(sample), ""},
		{"a new, empty group_vars file", "", ""},
		{"comments only", "# authstack's settings\n", ""},
		{"an authstack spec", "apiVersion: authstack.dev/v1alpha1\nkind: AuthStack\nspec: {}\n", "it is an AuthStack (authstack.dev/v1alpha1)"},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\n", "not a kubespray group_vars file"},
		{"a list", "- a\n", "expected a mapping of variables, found a list"},
		{"two documents", "a: 1\n---\nb: 2\n", "second YAML document"},
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
