package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authstack/authstack/internal/testenv"
)

// authstack diff shows what apply would change, writes nothing, and never
// shows a Secret value.
func TestIntegrationDiffShowsChangesWritesNothingMasksSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped with -short")
	}
	env := testenv.Start(t, testenv.Options{})
	if _, stderr, err := env.Kubectl(t, "", "create", "namespace", "apps"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	spec := "../../examples/kind/authstack.yaml"
	// Known values for the generated secrets, so that the test can look
	// for them in the output.
	values := map[string]string{
		"client-secret/oauth2-proxy-whoami": "known-client-secret-value-0123456789abcdef",
		"cookie-secret/whoami":              "a25vd24tY29va2llLXNlY3JldC12YWx1ZS0zMmJ5dGU=",
	}
	local := filepath.Join(t.TempDir(), "authstack.secrets.yaml")
	var kept []byte
	for k, v := range values {
		kept = fmt.Appendf(kept, "%s: %s\n", k, v)
	}
	if err := os.WriteFile(local, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"diff", "-f", spec, "--kubeconfig", env.AdminKubeconfig, "--secrets-file", local}, nil, &out, &errOut); code != ExitOK {
		t.Fatalf("diff: exit %d\n%s", code, errOut.String())
	}
	for _, want := range []string{"+kind: Deployment", "+kind: Secret", "***", "(dry run)"} {
		if !strings.Contains(out.String()+errOut.String(), want) {
			t.Errorf("diff output lacks %q:\nstdout:\n%s\nstderr:\n%s", want, out.String(), errOut.String())
		}
	}
	all := out.String() + errOut.String()
	for k, v := range values {
		if strings.Contains(all, v) || strings.Contains(all, base64.StdEncoding.EncodeToString([]byte(v))) {
			t.Errorf("diff shows the value of %s", k)
		}
	}
	kube := kubernetes.NewForConfigOrDie(env.Config)
	ctx := context.Background()
	if deps, err := kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); err != nil || len(deps.Items) > 0 {
		t.Errorf("diff created Deployments (%v)", err)
	}
}
