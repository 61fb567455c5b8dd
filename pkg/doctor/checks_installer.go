package doctor

import (
	"fmt"
	"strings"
)

var _ = register(Check{
	Code: "AS-80", Name: "kubespray-oidc-url", Category: CatInstaller, Severity: Error,
	Title:   "kubespray's kube_oidc_url is set to the issuer",
	Symptom: "after the playbook run the API server has no or the wrong --oidc-issuer-url: 401 for every token.",
	Cause:   "kube_oidc_auth: true without kube_oidc_url renders no issuer; a kube_oidc_url differing from the issuer makes every token fail the issuer check.",
	Fix:     "Set kube_oidc_url to the exact issuer URL in group_vars/k8s_cluster/k8s-cluster.yml and re-run the control-plane playbook.",
	Needs:   []Need{NeedKubespray},
	Run: func(m *Model) []Finding {
		k := m.Kubespray
		if k.Vars["kube_oidc_auth"] != true {
			return []Finding{skip("not applicable: kube_oidc_auth is not true in %s", k.Source)}
		}
		got, _ := k.Vars["kube_oidc_url"].(string)
		if got == "" {
			want := ""
			if m.Dex != nil {
				want = m.Dex.Issuer
			} else if m.Token != nil {
				want, _ = m.Token.Str("iss")
			}
			fix := "set kube_oidc_url to the issuer URL in " + k.Source
			if want != "" {
				fix = fmt.Sprintf("set kube_oidc_url: %s in %s", want, k.Source)
			}
			return []Finding{{Message: "kube_oidc_auth is true but kube_oidc_url is not set", Evidence: []string{k.Source + ": kube_oidc_auth = true", k.Source + ": kube_oidc_url is missing"}, Fix: fix}}
		}
		var want, where string
		switch {
		case m.Dex != nil && m.Dex.Issuer != "":
			want, where = m.Dex.Issuer, m.Dex.Source+": issuer"
		case m.Token != nil:
			want, _ = m.Token.Str("iss")
			where = "token: claim iss"
		}
		if want == "" {
			return []Finding{skip("no issuer to compare kube_oidc_url with (give dex's config or a token)")}
		}
		if got == want {
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("kube_oidc_url %q is not the issuer %q: %s", got, want, issuerDiff(got, want)),
			Evidence: []string{k.Source + ": kube_oidc_url = " + q(got), where + " = " + q(want)},
			Fix:      fmt.Sprintf("set kube_oidc_url: %s in %s", want, k.Source),
		}}
	},
})

var _ = register(Check{
	Code: "AS-81", Name: "kubeadm-extraargs-shape", Category: CatInstaller, Severity: Error,
	Title:   "kubeadm extraArgs have the shape of the config's version",
	Symptom: "kubeadm refuses the config with a decoding error at apiServer.extraArgs, so the API server keeps its old flags.",
	Cause:   "kubeadm.k8s.io/v1beta4 writes extraArgs as a list of {name, value}; v1beta3 as a map.",
	Fix:     "Write apiServer.extraArgs as a name/value list for v1beta4, as a map for v1beta3.",
	Needs:   []Need{NeedKubeadm},
	Run: func(m *Model) []Finding {
		k := m.Kubeadm
		want := "map"
		if strings.HasSuffix(k.APIVersion, "/v1beta4") {
			want = "list"
		}
		if k.ArgsShape == "" {
			return []Finding{skip("the ClusterConfiguration has no apiServer.extraArgs")}
		}
		if k.ArgsShape == want {
			return nil
		}
		return []Finding{{
			Message:  fmt.Sprintf("%s expects apiServer.extraArgs as a %s, the file has a %s", k.APIVersion, want, k.ArgsShape),
			Evidence: []string{k.Source + ": apiVersion = " + q(k.APIVersion), k.Source + ": apiServer.extraArgs is a " + k.ArgsShape},
			Fix:      fmt.Sprintf("rewrite apiServer.extraArgs in %s as a %s", k.Source, map[string]string{"list": "list of {name: ..., value: ...}", "map": "map of name: value"}[want]),
		}}
	},
})
