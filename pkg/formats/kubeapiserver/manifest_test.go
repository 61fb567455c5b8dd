package kubeapiserver

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// kindManifest is /etc/kubernetes/manifests/kube-apiserver.yaml as kubeadm
// wrote it on a kind v1.31.2 control-plane node, copied byte for byte from a
// `cat` of that file published in github.com/manojmehta (CKA notes,
// 22-Authentication).
func kindManifest(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/kind-v1.31.2-kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lineDiff returns the lines only in a and only in b, by longest common
// subsequence: what a reviewer sees in a diff.
func lineDiff(a, b string) (removed, added []string) {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	l := make([][]int, len(x)+1)
	for i := range l {
		l[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || l[i][j+1] >= l[i+1][j]):
			added = append(added, y[j])
			j++
		default:
			removed = append(removed, x[i])
			i++
		}
	}
	return removed, added
}

func TestEditKubeadmManifestChangesOnlyOwnedLines(t *testing.T) {
	src := kindManifest(t)
	flagsMode := Edit{
		Set: []Flag{{"oidc-issuer-url", "https://dex.example.com"}, {"oidc-client-id", "kubernetes"},
			{"oidc-ca-file", "/etc/authstack/oidc-ca.crt"}, {"oidc-username-prefix", "oidc:"}, {"oidc-required-claim", "hd=example.com"}},
		Remove: []string{AuthConfigFlag},
		Mounts: []Mount{{"authstack-oidc-ca", "/etc/authstack/oidc-ca.crt"}},
	}
	out, err := EditManifest(src, flagsMode)
	if err != nil {
		t.Fatal(err)
	}
	removed, added := lineDiff(string(src), string(out))
	if len(removed) != 0 {
		t.Errorf("lines of the kubeadm manifest removed or changed: %q", removed)
	}
	wantAdded := []string{
		"    - --oidc-issuer-url=https://dex.example.com\n",
		"    - --oidc-client-id=kubernetes\n",
		"    - --oidc-ca-file=/etc/authstack/oidc-ca.crt\n",
		"    - '--oidc-username-prefix=oidc:'\n",
		"    - --oidc-required-claim=hd=example.com\n",
		"    - mountPath: /etc/authstack/oidc-ca.crt\n",
		"      name: authstack-oidc-ca\n",
		"      readOnly: true\n",
		"  - hostPath:\n",
		"      path: /etc/authstack/oidc-ca.crt\n",
		"      type: File\n",
		"    name: authstack-oidc-ca\n",
	}
	if !reflect.DeepEqual(added, wantAdded) {
		t.Errorf("added lines:\n%s\nwant:\n%s", strings.Join(added, ""), strings.Join(wantAdded, ""))
	}
	m, err := ParseManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := Effective(m.Args.Flags())["oidc-issuer-url"]; got != "https://dex.example.com" {
		t.Errorf("issuer after edit = %q", got)
	}
	again, err := EditManifest(out, flagsMode)
	if err != nil || string(again) != string(out) {
		t.Errorf("editing again changed the manifest (err %v)", err)
	}

	// Switching to an AuthenticationConfiguration removes exactly the
	// --oidc-* lines and adds the flag and the file's mount.
	cfgMode := Edit{
		Set:    []Flag{{AuthConfigFlag, "/etc/kubernetes/authstack/authentication-config.yaml"}},
		Remove: OIDCFlags(),
		Mounts: []Mount{{"authstack-authentication-config", "/etc/kubernetes/authstack/authentication-config.yaml"}},
	}
	out2, err := EditManifest(out, cfgMode)
	if err != nil {
		t.Fatal(err)
	}
	removed, added = lineDiff(string(out), string(out2))
	if !reflect.DeepEqual(removed, wantAdded[:5]) {
		t.Errorf("removed lines = %q, want the five --oidc-* lines", removed)
	}
	if len(added) != 8 || added[0] != "    - --authentication-config=/etc/kubernetes/authstack/authentication-config.yaml\n" {
		t.Errorf("added lines = %q", added)
	}
}

// handMade has what a person's manifest has and a re-marshal loses:
// comments, keys in their own order, quoting, "--name value" arguments and
// a flag in args besides command.
const handMade = `# kube-apiserver, managed by hand
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
  - name: kube-apiserver
    image: "registry.k8s.io/kube-apiserver:v1.33.1"
    command:
    - kube-apiserver
    # OIDC, see the wiki
    - --oidc-issuer-url
    - https://old.example.com   # old dex
    - "--oidc-client-id=old"
    - --oidc-username-prefix
    - '-'
    - --oidc-groups-claim=groups
    - --secure-port=6443
    args:
    - --v=2
    volumeMounts:
    - {name: k8s-certs, mountPath: /etc/kubernetes/pki, readOnly: true}
  volumes:
  - name: k8s-certs
    hostPath: {path: /etc/kubernetes/pki, type: DirectoryOrCreate}
`

func TestEditKeepsSyntaxQuotingAndComments(t *testing.T) {
	out, err := EditManifest([]byte(handMade), Edit{
		Set:    []Flag{{"oidc-issuer-url", "https://dex.example.com"}, {"oidc-client-id", "kubernetes"}, {"oidc-username-prefix", "oidc:"}, {"oidc-groups-claim", "groups"}},
		Remove: []string{AuthConfigFlag},
	})
	if err != nil {
		t.Fatal(err)
	}
	removed, added := lineDiff(handMade, string(out))
	wantRemoved := []string{"    - https://old.example.com   # old dex\n", "    - \"--oidc-client-id=old\"\n", "    - '-'\n"}
	wantAdded := []string{"    - https://dex.example.com # old dex\n", "    - \"--oidc-client-id=kubernetes\"\n", "    - 'oidc:'\n"}
	if !reflect.DeepEqual(removed, wantRemoved) || !reflect.DeepEqual(added, wantAdded) {
		t.Errorf("diff:\n-%q\n+%q", removed, added)
	}
}

func TestEditAddsFlagsToArgsWhenTheContainerHasThem(t *testing.T) {
	out, err := EditManifest([]byte(handMade), Edit{Set: []Flag{{"oidc-groups-prefix", "oidc:"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "    - --v=2\n    - '--oidc-groups-prefix=oidc:'\n") {
		t.Errorf("new flag not after the last of args:\n%s", out)
	}
}

func TestEditRefusesWhatItCannotChangeLineByLine(t *testing.T) {
	for name, c := range map[string]struct {
		src  string
		edit Edit
	}{
		"flow command list":       {strings.Replace(kindPodHead, "COMMAND", "command: [kube-apiserver, --secure-port=6443]", 1), Edit{Set: []Flag{{"oidc-client-id", "k"}}}},
		"argument over two lines": {strings.Replace(kindPodHead, "COMMAND", "command:\n    - kube-apiserver\n    - --oidc-client-id=a\n      b", 1), Edit{Set: []Flag{{"oidc-client-id", "k"}}}},
		"flow volumes list":       {strings.Replace(kindPodHead, "COMMAND", "command:\n    - kube-apiserver", 1) + "  volumes: []\n", Edit{Mounts: []Mount{{"x", "/x"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := EditManifest([]byte(c.src), c.edit)
			if !errors.Is(err, ErrLayout) {
				t.Fatalf("err = %v, want ErrLayout", err)
			}
		})
	}
}

const kindPodHead = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.33.1
    COMMAND
    volumeMounts:
    - name: a
      mountPath: /a
`

func TestParseManifestRefusesOtherObjects(t *testing.T) {
	dep := strings.Replace(handMade, "apiVersion: v1\nkind: Pod", "apiVersion: apps/v1\nkind: Deployment", 1)
	if _, err := ParseManifest([]byte(dep)); err == nil || !strings.Contains(err.Error(), "not a static pod manifest") {
		t.Fatalf("err = %v", err)
	}
}
