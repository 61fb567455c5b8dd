package staticpod

import (
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
spec:
  containers:
  - name: kube-apiserver
    command:
    - kube-apiserver
    - --oidc-issuer-url=https://old.example.com
`

func TestCheckTargetWantsTheAPIServerPod(t *testing.T) {
	if err := CheckTarget([]byte(pod)); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"deployment":         strings.Replace(pod, "kind: Pod", "kind: Deployment", 1),
		"other container":    strings.Replace(pod, "name: kube-apiserver\n    command", "name: etcd\n    command", 1),
		"not yaml of an obj": "- a\n- b\n",
	} {
		if err := CheckTarget([]byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPatchIsIdempotent(t *testing.T) {
	set := []kubeapiserver.Flag{{Name: "oidc-issuer-url", Value: "https://dex.example.com"}}
	out, err := Patch([]byte(pod), set, []string{"authentication-config"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(pod, "https://old.example.com", "https://dex.example.com", 1)
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	again, err := Patch(out, set, []string{"authentication-config"}, nil)
	if err != nil || string(again) != string(out) {
		t.Fatalf("second patch changed the manifest (err %v)", err)
	}
}
