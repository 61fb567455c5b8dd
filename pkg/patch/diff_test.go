package patch

import (
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	twelve := "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\nl12\n"
	tests := []struct {
		name          string
		path          string
		before, after string
		want          string
	}{
		{name: "is empty for equal input", path: "x", before: "a\n", after: "a\n", want: ""},
		{
			// The expected text is what GNU diff -u prints for the same input.
			name:   "has git-style headers, three lines of context and separate hunks",
			path:   "x",
			before: twelve,
			after:  strings.Replace(twelve, "l3\n", "L3\n", 1) + "l13",
			want: "--- a/x\n+++ b/x\n" +
				"@@ -1,6 +1,6 @@\n l1\n l2\n-l3\n+L3\n l4\n l5\n l6\n" +
				"@@ -10,3 +10,4 @@\n l10\n l11\n l12\n+l13\n\\ No newline at end of file\n",
		},
		{
			name:   "shows a new file",
			path:   "/etc/kubernetes/kubeadm.yaml",
			before: "",
			after:  "a\nb\n",
			want:   "--- a/etc/kubernetes/kubeadm.yaml\n+++ b/etc/kubernetes/kubeadm.yaml\n@@ -0,0 +1,2 @@\n+a\n+b\n",
		},
		{
			name:   "shows an added final newline",
			path:   "x",
			before: "a",
			after:  "a\n",
			want:   "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UnifiedDiff(tt.path, []byte(tt.before), []byte(tt.after))
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
