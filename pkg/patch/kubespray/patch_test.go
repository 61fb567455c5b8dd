package kubespray

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/golden"
	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
	"github.com/pmezard/go-difflib/difflib"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// oidcVars are the flag-based OIDC settings of kubespray's sample inventory.
var oidcVars = []Var{
	{Name: "kube_oidc_auth", Value: true},
	{Name: "kube_oidc_url", Value: "https://dex.example.com:32000/dex"},
	{Name: "kube_oidc_client_id", Value: "kubernetes"},
	{Name: "kube_oidc_ca_file", Value: "{{ kube_cert_dir }}/dex-ca.pem"},
	{Name: "kube_oidc_username_claim", Value: "email"},
	{Name: "kube_oidc_username_prefix", Value: "oidc:"},
	{Name: "kube_oidc_groups_claim", Value: "groups"},
	{Name: "kube_oidc_groups_prefix", Value: "oidc:"},
}

// structuredVars switch kubespray (v2.31+) to an AuthenticationConfiguration
// file. The jwt list is built from the apiserver's own types, as the
// renderer does, so it is written in their field order with json names.
var structuredVars = []Var{
	{Name: "kube_apiserver_use_authentication_config_file", Value: true},
	{Name: "kube_apiserver_authentication_config_jwt", Value: []apiserverv1.JWTAuthenticator{{
		Issuer: apiserverv1.Issuer{
			URL:                  "https://dex.example.com:32000/dex",
			CertificateAuthority: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3JnLWF1dGhzdGFjay10ZXN0MAoGCCqGSM49BAMCMBkx\n-----END CERTIFICATE-----\n",
			Audiences:            []string{"kubernetes"},
		},
		ClaimMappings: apiserverv1.ClaimMappings{
			Username: apiserverv1.PrefixedClaimOrExpression{Claim: "email", Prefix: ptr("oidc:")},
			Groups:   apiserverv1.PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("oidc:")},
		},
	}}},
}

func ptr[T any](v T) *T { return &v }

func mustPatch(t *testing.T, src []byte, vars []Var) []byte {
	t.Helper()
	return patchtest.Must(t, func(b []byte) ([]byte, error) { return Patch(b, vars) }, src)
}

func TestPatchUncommentsOnlyTheOIDCLinesOfTheSample(t *testing.T) {
	src := patchtest.ReadTestdata(t, "k8s-cluster.yml")
	out := mustPatch(t, src, oidcVars)
	golden.Assert(t, filepath.Join("testdata", "k8s-cluster.oidc.golden.yml"), out)

	before := strings.SplitAfter(string(src), "\n")
	after := strings.SplitAfter(string(out), "\n")
	if len(before) != len(after) {
		t.Fatalf("line count changed from %d to %d", len(before), len(after))
	}
	commented := regexp.MustCompile(`^# (kube_oidc_[a-z_]+): `)
	changed := map[string]bool{}
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		m := commented.FindStringSubmatch(before[i])
		if m == nil || !strings.HasPrefix(after[i], m[1]+": ") {
			t.Errorf("line %d changed but is not a commented OIDC variable:\n- %q\n+ %q", i+1, before[i], after[i])
			continue
		}
		changed[m[1]] = true
	}
	for _, v := range oidcVars {
		if !changed[v.Name] {
			t.Errorf("%s was not uncommented in place", v.Name)
		}
	}
	for _, want := range []string{
		"kube_oidc_username_prefix: 'oidc:'\n",
		"kube_oidc_url: https://dex.example.com:32000/dex\n",
		"kube_oidc_ca_file: '{{ kube_cert_dir }}/dex-ca.pem'\n",
		"kube_oidc_auth: true\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestPatchReplacesTheStructuredAuthExampleOnly(t *testing.T) {
	src := patchtest.ReadTestdata(t, "k8s-cluster.yml")
	out := mustPatch(t, src, structuredVars)
	golden.Assert(t, filepath.Join("testdata", "k8s-cluster.structured.golden.yml"), out)

	// Every changed line of the input must be one of the two commented
	// variables or the commented example value of the jwt list.
	before := difflib.SplitLines(string(src))
	after := difflib.SplitLines(string(out))
	allowed := map[int]bool{}
	for i, l := range before {
		if strings.HasPrefix(l, "# kube_apiserver_use_authentication_config_file:") {
			allowed[i] = true
		}
		if strings.HasPrefix(l, "# kube_apiserver_authentication_config_jwt:") {
			for j := i; j == i || strings.HasPrefix(before[j], "#   "); j++ {
				allowed[j] = true
			}
		}
	}
	if len(allowed) != 9 {
		t.Fatalf("test data changed: %d lines of the structured-auth example found, want 9", len(allowed))
	}
	m := difflib.NewMatcherWithJunk(before, after, false, nil)
	for _, op := range m.GetOpCodes() {
		if op.Tag == 'e' {
			continue
		}
		for i := op.I1; i < op.I2; i++ {
			if !allowed[i] {
				t.Errorf("line %d changed: %q", i+1, before[i])
			}
		}
		if op.I1 == op.I2 && !allowed[op.I1-1] {
			t.Errorf("lines inserted after line %d", op.I1)
		}
	}
	if !strings.Contains(string(out), "# kube_apiserver_authentication_config_anonymous:\n#   enabled:") {
		t.Errorf("the commented anonymous example was not kept")
	}
}

func TestPatchAfterSwitchingFromFlagsToStructuredAuth(t *testing.T) {
	src := patchtest.ReadTestdata(t, "k8s-cluster.yml")
	flags := mustPatch(t, src, oidcVars)
	vars := append([]Var{{Name: "kube_oidc_auth", Value: false}}, structuredVars...)
	out := mustPatch(t, flags, vars)
	if !strings.Contains(string(out), "kube_oidc_auth: false\n# kube_token_auth: false\n") {
		t.Errorf("kube_oidc_auth not switched off in place")
	}
}

func TestPatch(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars []Var
		want string
	}{
		{
			name: "replaces a scalar and keeps its comment",
			src:  "a: 1\nkube_apiserver_port: 6443  # (https)\nb: 2\n",
			vars: []Var{{Name: "kube_apiserver_port", Value: 8443}},
			want: "a: 1\nkube_apiserver_port: 8443  # (https)\nb: 2\n",
		},
		{
			name: "keeps a value that is already set however it is quoted",
			src:  "kube_oidc_groups_prefix: \"oidc:\"  # note\n",
			vars: []Var{{Name: "kube_oidc_groups_prefix", Value: "oidc:"}},
			want: "kube_oidc_groups_prefix: \"oidc:\"  # note\n",
		},
		{
			name: "replaces a whole multi-line value but not the comments after it",
			src:  "list:\n  - a\n  - b\n  # inside\n\n# about next\nnext: x\n",
			vars: []Var{{Name: "list", Value: []string{"c"}}},
			want: "list:\n  - c\n\n# about next\nnext: x\n",
		},
		{
			name: "replaces a compact list and writes the new one compact too",
			src:  "other:\n- x\nlist:\n- a\n- b\nnext: x\n",
			vars: []Var{{Name: "list", Value: []string{"c", "d"}}},
			want: "other:\n- x\nlist:\n- c\n- d\nnext: x\n",
		},
		{
			name: "replaces a folded block scalar",
			src:  "a: >-\n  {%- if x -%}\n  y\n  {%- endif -%}\n\nb: 1\n",
			vars: []Var{{Name: "a", Value: "z"}},
			want: "a: z\n\nb: 1\n",
		},
		{
			name: "turns a scalar into a map",
			src:  "a: 1\nb: 2\n",
			vars: []Var{{Name: "a", Value: map[string]any{"enabled": true}}},
			want: "a:\n  enabled: true\nb: 2\n",
		},
		{
			name: "uncomments a commented variable in place",
			src:  "a: 1\n## doc\n# kube_oidc_client_id: kubernetes\n# other: x\n",
			vars: []Var{{Name: "kube_oidc_client_id", Value: "authstack"}},
			want: "a: 1\n## doc\nkube_oidc_client_id: authstack\n# other: x\n",
		},
		{
			name: "keeps the comment of an uncommented line",
			src:  "# port: 6443  # (https)\n",
			vars: []Var{{Name: "port", Value: 443}},
			want: "port: 443  # (https)\n",
		},
		{
			name: "replaces the commented example value under a commented variable",
			src:  "# zones:\n# - name: a\n#   ttl: 5\n# other:\n#   x: 1\n",
			vars: []Var{{Name: "zones", Value: []any{}}},
			want: "zones: []\n# other:\n#   x: 1\n",
		},
		{
			name: "does not uncomment a line inside another variable's value",
			src:  "a:\n  x: 1\n# b: 2\n  y: 3\nc: 4\n",
			vars: []Var{{Name: "b", Value: 5}},
			want: "a:\n  x: 1\n# b: 2\n  y: 3\nc: 4\nb: 5\n",
		},
		{
			name: "does not take a nested commented key for a top-level one",
			src:  "# parent:\n#   b: 2\nc: 4\n",
			vars: []Var{{Name: "b", Value: 5}},
			want: "# parent:\n#   b: 2\nc: 4\nb: 5\n",
		},
		{
			name: "appends after the last line it wrote",
			src:  "a: 1\n# x: 0\n\nb: 2\n",
			vars: []Var{{Name: "x", Value: 1}, {Name: "u", Value: 2}, {Name: "z", Value: 3}},
			want: "a: 1\nx: 1\nu: 2\nz: 3\n\nb: 2\n",
		},
		{
			name: "appends after a multi-line value it replaced",
			src:  "a:\n  - 1\n\nb: 2\n",
			vars: []Var{{Name: "a", Value: []int{2}}, {Name: "c", Value: 3}},
			want: "a:\n  - 2\nc: 3\n\nb: 2\n",
		},
		{
			name: "appends after an unchanged variable",
			src:  "a: 1\nb: 2\n",
			vars: []Var{{Name: "a", Value: 1}, {Name: "c", Value: 3}},
			want: "a: 1\nc: 3\nb: 2\n",
		},
		{
			name: "appends at the end and adds the missing newline",
			src:  "a: 1",
			vars: []Var{{Name: "b", Value: "x"}},
			want: "a: 1\nb: x\n",
		},
		{
			name: "appends before the document end marker",
			src:  "a: 1\n...\n# trailer\n",
			vars: []Var{{Name: "b", Value: 2}},
			want: "a: 1\nb: 2\n...\n# trailer\n",
		},
		{
			name: "fills an empty file",
			src:  "",
			vars: []Var{{Name: "a", Value: []string{"x"}}},
			want: "a:\n  - x\n",
		},
		{
			name: "fills a file that only opens a document",
			src:  "---\n# nothing yet\n",
			vars: []Var{{Name: "a", Value: 1}},
			want: "---\n# nothing yet\na: 1\n",
		},
		{
			name: "quotes strings YAML would read as something else",
			src:  "",
			vars: []Var{
				{Name: "a", Value: "oidc:"}, {Name: "b", Value: "-"}, {Name: "c", Value: "true"},
				{Name: "d", Value: "123"}, {Name: "e", Value: ""}, {Name: "f", Value: "yes"},
				{Name: "g", Value: "# no"}, {Name: "h", Value: "{{ x }}"}, {Name: "i", Value: "off"},
				{Name: "j", Value: "1:20"}, {Name: "k", Value: "017"},
			},
			want: "a: 'oidc:'\nb: '-'\nc: \"true\"\nd: \"123\"\ne: \"\"\nf: \"yes\"\ng: '# no'\nh: '{{ x }}'\ni: \"off\"\nj: \"1:20\"\nk: \"017\"\n",
		},
		{
			name: "writes structs with their json names in field order",
			src:  "",
			vars: []Var{{Name: "s", Value: struct {
				URL       string   `json:"url"`
				Audiences []string `json:"audiences,omitempty"`
				Skip      string   `json:"skip,omitempty"`
			}{URL: "https://x", Audiences: []string{"k"}}}},
			want: "s:\n  url: https://x\n  audiences:\n    - k\n",
		},
		{
			name: "keeps CRLF line endings",
			src:  "a: 1\r\n# b: 2\r\nc: 3\r\n",
			vars: []Var{{Name: "b", Value: []string{"x"}}, {Name: "d", Value: 4}},
			want: "a: 1\r\nb:\r\n  - x\r\nd: 4\r\nc: 3\r\n",
		},
		{
			name: "later var of the same name wins",
			src:  "a: 1\n",
			vars: []Var{{Name: "a", Value: 2}, {Name: "a", Value: 3}},
			want: "a: 3\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustPatch(t, []byte(tt.src), tt.vars)
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPatchRejects(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars []Var
		want string
	}{
		{"invalid YAML with its line", "a: 1\nb: [\n", []Var{{Name: "a", Value: 1}}, "yaml: line 2:"},
		{"a list at the top", "- a\n- b\n", []Var{{Name: "a", Value: 1}}, "line 1: the file holds a list, expected a map of variables"},
		{"a flow map at the top", "{a: 1}\n", []Var{{Name: "a", Value: 1}}, "flow map"},
		{"a variable defined twice", "a: 1\nb: 2\na: 3\n", []Var{{Name: "a", Value: 1}}, "already defined"},
		{"a value that defines an anchor", "a: &x 1\nb: *x\n", []Var{{Name: "a", Value: 2}}, "line 1: a: its value defines the anchor &x"},
		{"a variable name Ansible refuses", "a: 1\n", []Var{{Name: "kube-oidc", Value: 1}}, `"kube-oidc" is not a valid Ansible variable name`},
		{"more than one document", "a: 1\n---\nb: 2\n", []Var{{Name: "a", Value: 2}}, "line 2: a second YAML document"},
		{"an indented top level", "  a: 1\n  b: 2\n", []Var{{Name: "a", Value: 2}}, "expected top-level variables in column 1"},
		{"a value Go cannot encode", "a: 1\n", []Var{{Name: "a", Value: func() {}}}, "a: value cannot be written as YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Patch([]byte(tt.src), tt.vars)
			if err == nil {
				t.Fatalf("Patch succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "kubespray vars: ") {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
