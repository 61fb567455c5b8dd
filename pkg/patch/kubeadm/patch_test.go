package kubeadm

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/internal/yamledit"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

var oidcFlags = []Arg{
	{Name: "oidc-issuer-url", Value: "https://dex.lab.example.com:32000/dex"},
	{Name: "oidc-client-id", Value: "kubernetes"},
	{Name: "oidc-ca-file", Value: "/etc/kubernetes/pki/dex-ca.crt"},
	{Name: "oidc-username-claim", Value: "email"},
	{Name: "oidc-username-prefix", Value: "oidc:"},
	{Name: "oidc-groups-claim", Value: "groups"},
	{Name: "oidc-groups-prefix", Value: "oidc:"},
}

var oidcFlagNames = func() []string {
	var names []string
	for _, a := range oidcFlags {
		names = append(names, a.Name)
	}
	return names
}()

var dexCA = Volume{Name: "dex-ca", HostPath: "/etc/kubernetes/pki/dex-ca.crt", MountPath: "/etc/kubernetes/pki/dex-ca.crt", PathType: "File", ReadOnly: true}

var authnConfig = Volume{Name: "authentication-config", HostPath: "/etc/kubernetes/authstack/authentication-config.yaml", MountPath: "/etc/kubernetes/authstack/authentication-config.yaml", PathType: "File", ReadOnly: true}

// mustPatch patches src and checks that the result is YAML and that
// patching it again changes nothing.
func mustPatch(t *testing.T, src []byte, args []Arg, remove []string, volumes []Volume) []byte {
	t.Helper()
	return patchtest.Must(t, func(b []byte) ([]byte, error) { return Patch(b, args, remove, volumes) }, src)
}

func TestPatchV1beta3SetsOIDCFlagsInTheArgMap(t *testing.T) {
	out := mustPatch(t, patchtest.ReadTestdata(t, "v1beta3.yaml"), oidcFlags, nil, []Volume{dexCA})
	golden.Assert(t, filepath.Join("testdata", "v1beta3.oidc.golden.yaml"), out)
	for _, want := range []string{
		"    oidc-issuer-url: https://dex.lab.example.com:32000/dex # replaced by dex\n",
		"    # keep audit logs for a week\n    audit-log-maxage: \"7\"\n",
		"    oidc-username-prefix: 'oidc:'\n",
		"\ncontrollerManager:\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestPatchV1beta4SwitchesFromOIDCFlagsToAuthenticationConfig(t *testing.T) {
	src := patchtest.ReadTestdata(t, "multidoc-v1beta4.yaml")
	out := mustPatch(t, src,
		[]Arg{{Name: "authentication-config", Value: authnConfig.MountPath}},
		oidcFlagNames,
		[]Volume{authnConfig})
	golden.Assert(t, filepath.Join("testdata", "multidoc-v1beta4.authn-config.golden.yaml"), out)

	before, err := yamledit.Split(src)
	if err != nil {
		t.Fatal(err)
	}
	after, err := yamledit.Split(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(after) {
		t.Fatalf("document count changed from %d to %d", len(before), len(after))
	}
	for i := range before {
		if i == 1 {
			continue // the ClusterConfiguration
		}
		if before[i].Sep != after[i].Sep || before[i].Body != after[i].Body {
			t.Errorf("document %d changed:\n%s", i+1, golden.Diff([]byte(before[i].Body), []byte(after[i].Body)))
		}
	}
	if strings.Contains(string(out), "oidc-") {
		t.Errorf("oidc flags left behind")
	}
}

func TestPatchV1beta4SetsOIDCFlagsInTheArgList(t *testing.T) {
	out := mustPatch(t, patchtest.ReadTestdata(t, "multidoc-v1beta4.yaml"), oidcFlags, []string{"authentication-config"}, []Volume{dexCA})
	golden.Assert(t, filepath.Join("testdata", "multidoc-v1beta4.oidc.golden.yaml"), out)
}

func TestPatchAppendsAClusterConfigurationOfTheFilesVersion(t *testing.T) {
	src := patchtest.ReadTestdata(t, "no-cluster-configuration.yaml")
	out := mustPatch(t, src, oidcFlags[:2], nil, nil)
	golden.Assert(t, filepath.Join("testdata", "no-cluster-configuration.golden.yaml"), out)
	if !bytes.HasPrefix(out, src) {
		t.Errorf("existing documents changed")
	}
	if !strings.Contains(string(out), "---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n") {
		t.Errorf("no v1beta3 ClusterConfiguration appended")
	}
}

func TestPatch(t *testing.T) {
	const cc4 = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
	const cc3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
	tests := []struct {
		name    string
		src     string
		args    []Arg
		remove  []string
		volumes []Volume
		want    string
	}{
		{
			name: "replaces an entry in place and keeps the others",
			src:  cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: \"1\"\n  - name: b\n    value: \"2\"\n",
			args: []Arg{{Name: "a", Value: "9"}, {Name: "c", Value: "3"}},
			want: cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: \"9\"\n  - name: b\n    value: \"2\"\n  - name: c\n    value: \"3\"\n",
		},
		{
			name: "drops duplicates of a flag it sets",
			src:  cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: x\n  - name: b\n    value: y\n  - name: a\n    value: z\n",
			args: []Arg{{Name: "a", Value: "w"}},
			want: cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: w\n  - name: b\n    value: y\n",
		},
		{
			name:   "removes every entry of a removed flag and then the empty list",
			src:    cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: x\n  - name: a\n    value: z\n  certSANs:\n  - h\n",
			remove: []string{"a"},
			want:   cc4 + "apiServer:\n  certSANs:\n  - h\n",
		},
		{
			name: "creates apiServer and extraArgs",
			src:  cc4 + "clusterName: x\n",
			args: []Arg{{Name: "anonymous-auth", Value: "false"}},
			want: cc4 + "clusterName: x\napiServer:\n  extraArgs:\n  - name: anonymous-auth\n    value: \"false\"\n",
		},
		{
			name: "fills an empty flow list as a block list",
			src:  cc4 + "apiServer:\n  extraArgs: []\n",
			args: []Arg{{Name: "a", Value: "on"}},
			want: cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: \"on\"\n",
		},
		{
			name: "writes v1beta3 args as a map",
			src:  cc3 + "apiServer:\n  extraArgs:\n    a: x\n    b: y\n",
			args: []Arg{{Name: "b", Value: "z"}, {Name: "c", Value: "oidc:"}}, remove: []string{"a"},
			want: cc3 + "apiServer:\n  extraArgs:\n    b: z\n    c: 'oidc:'\n",
		},
		{
			name: "keeps the sequence indentation of the file",
			src:  cc4 + "apiServer:\n    certSANs:\n        - h\n",
			args: []Arg{{Name: "a", Value: "x"}},
			want: cc4 + "apiServer:\n    certSANs:\n        - h\n    extraArgs:\n        - name: a\n          value: x\n",
		},
		{
			name:    "replaces a volume by name and keeps fields it does not manage",
			src:     cc4 + "apiServer:\n  extraVolumes:\n  - name: v\n    hostPath: /old\n    mountPath: /old\n    readOnly: true\n    pathType: File\n    x-note: mine\n",
			volumes: []Volume{{Name: "v", HostPath: "/new", MountPath: "/mnt"}},
			want:    cc4 + "apiServer:\n  extraVolumes:\n  - name: v\n    hostPath: /new\n    mountPath: /mnt\n    x-note: mine\n",
		},
		{
			name:    "appends a volume with only the fields it needs",
			src:     cc4 + "apiServer:\n  extraVolumes:\n  - name: a\n    hostPath: /a\n    mountPath: /a\n",
			volumes: []Volume{{Name: "b", HostPath: "/b", MountPath: "/b", ReadOnly: true}},
			want:    cc4 + "apiServer:\n  extraVolumes:\n  - name: a\n    hostPath: /a\n    mountPath: /a\n  - name: b\n    hostPath: /b\n    mountPath: /b\n    readOnly: true\n",
		},
		{
			name: "returns the file untouched when nothing changes",
			src:  "# x\n" + cc4 + "apiServer:\n    extraArgs:\n        -   name: a\n            value: 'x'   # same\n",
			args: []Arg{{Name: "a", Value: "x"}}, remove: []string{"b"},
			want: "# x\n" + cc4 + "apiServer:\n    extraArgs:\n        -   name: a\n            value: 'x'   # same\n",
		},
		{
			name: "keeps CRLF and a missing final newline",
			src:  "apiVersion: kubeadm.k8s.io/v1beta4\r\nkind: ClusterConfiguration\r\n\r\nclusterName: x",
			args: []Arg{{Name: "a", Value: "x"}},
			want: "apiVersion: kubeadm.k8s.io/v1beta4\r\nkind: ClusterConfiguration\r\n\r\nclusterName: x\r\napiServer:\r\n  extraArgs:\r\n  - name: a\r\n    value: x",
		},
		{
			name: "appends a v1beta4 ClusterConfiguration to a file without kubeadm documents",
			src:  "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
			args: []Arg{{Name: "a", Value: "x"}},
			want: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n---\n" + cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: x\n",
		},
		{
			name: "writes a ClusterConfiguration into an empty file",
			src:  "",
			args: []Arg{{Name: "a", Value: "x"}},
			want: cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: x\n",
		},
		{
			name:   "adds nothing when there is only something to remove",
			src:    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
			remove: []string{"a"},
			want:   "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
		},
		{
			name: "keeps separators with comments and the documents around them",
			src:  "--- # init\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n...\n--- # cluster\n" + cc4 + "\n",
			args: []Arg{{Name: "a", Value: "x"}},
			want: "--- # init\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n...\n--- # cluster\n" + cc4 + "apiServer:\n  extraArgs:\n  - name: a\n    value: x\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustPatch(t, []byte(tt.src), tt.args, tt.remove, tt.volumes)
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPatchRejects(t *testing.T) {
	const cc4 = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
	const cc3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
	init4 := "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\n"
	arg := []Arg{{Name: "a", Value: "x"}}
	tests := []struct {
		name   string
		src    string
		args   []Arg
		remove []string
		vols   []Volume
		want   string
	}{
		{"a map of args in v1beta4", init4 + cc4 + "apiServer:\n  extraArgs:\n    a: x\n", arg, nil, nil,
			"kubeadm config: document 2 (ClusterConfiguration): apiServer.extraArgs: expected a list for kubeadm.k8s.io/v1beta4, found a map"},
		{"a list of args in v1beta3", cc3 + "apiServer:\n  extraArgs:\n  - name: a\n", arg, nil, nil,
			"kubeadm config: document 1 (ClusterConfiguration): apiServer.extraArgs: expected a map for kubeadm.k8s.io/v1beta3, found a list"},
		{"an arg entry without a name", cc4 + "apiServer:\n  extraArgs:\n  - value: x\n", arg, nil, nil,
			"apiServer.extraArgs[0]: expected a map with name and value"},
		{"an arg value that is a list", cc4 + "apiServer:\n  extraArgs:\n  - name: b\n    value: [1]\n", arg, nil, nil,
			"apiServer.extraArgs[0] (b): value: expected a string, found a list"},
		{"a volume list that is a map", cc4 + "apiServer:\n  extraVolumes: {}\n", nil, nil, []Volume{dexCA},
			"apiServer.extraVolumes: expected a list, found a map"},
		{"apiServer that is a string", cc4 + "apiServer: x\n", arg, nil, nil,
			"document 1 (ClusterConfiguration): apiServer: expected a map, found a string"},
		{"an old apiVersion", "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n", arg, nil, nil,
			"apiVersion kubeadm.k8s.io/v1beta2 is not supported"},
		{"two ClusterConfigurations", cc4 + "---\n" + cc4, arg, nil, nil,
			"documents 1 and 2 are both a ClusterConfiguration"},
		{"invalid YAML, with the file's line", init4 + cc4 + "apiServer: [\n", arg, nil, nil,
			"kubeadm config: document 2: yaml: line 6"},
		{"a key defined twice", cc4 + "apiServer: {}\napiServer: {}\n", arg, nil, nil,
			"already defined"},
		{"a flag with dashes", cc4, []Arg{{Name: "--oidc-client-id", Value: "x"}}, nil, nil,
			"give the flag name without leading dashes"},
		{"a flag both set and removed", cc4, arg, []string{"a"}, nil,
			`extra arg "a" is both set and removed`},
		{"a volume without paths", cc4, nil, nil, []Volume{{Name: "v"}},
			`extra volume "v" needs both hostPath and mountPath`},
		{"content on a separator line", "--- {a: 1}\n", arg, nil, nil,
			"line 1: content on a document separator line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Patch([]byte(tt.src), tt.args, tt.remove, tt.vols)
			if err == nil {
				t.Fatalf("Patch succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "kubeadm config: ") {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
