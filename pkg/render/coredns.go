package render

import (
	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/corefile"
)

// IngressControllerService is the Service of ingress-nginx's controller in
// its namespace, as its manifests and chart name it
// (deploy/static/provider/*/deploy.yaml: ingress-nginx-controller).
const IngressControllerService = "ingress-nginx-controller"

// CoreDNSRewrites are the CoreDNS rewrites that send in-cluster clients of
// the stack's hosts (the issuer, the apps) to the ingress controller, as
// browsers reach them. On kind, *.127.0.0.1.nip.io is the loopback address:
// inside a pod it is the pod itself, so the API server and oauth2-proxy
// could not reach dex through its URL.
func CoreDNSRewrites(spec *v1alpha1.Spec) []corefile.Rewrite {
	to := IngressControllerService + "." + spec.NetworkPolicy.IngressNamespace + ".svc.cluster.local"
	var hosts []string
	if d := spec.Issuer.Dex; d != nil {
		hosts = append(hosts, v1alpha1.Hostname(d.Host))
	}
	for _, a := range spec.Apps {
		hosts = append(hosts, v1alpha1.Hostname(a.Host))
	}
	var out []corefile.Rewrite
	seen := map[string]bool{}
	for _, h := range hosts {
		if !seen[h] {
			seen[h] = true
			out = append(out, corefile.Rewrite{From: h, To: to})
		}
	}
	return out
}

// CoreDNSFile is the rendered rewrite block, for kind clusters.
const CoreDNSFile = "coredns/corefile-rewrites.txt"

func (r *renderer) coreDNS() error {
	if r.spec.Cluster.Installer != v1alpha1.InstallerKind {
		return nil
	}
	head := "# CoreDNS rewrites for pods to reach the stack's hosts through the ingress controller.\n" +
		"# authstack apply --coredns-rewrite puts them into kube-system/coredns's Corefile (root\n" +
		"# server block), replacing its earlier block and refusing a Corefile it cannot edit safely.\n"
	r.files = append(r.files, File{Path: CoreDNSFile, Data: []byte(head + corefile.Print(r.instance, CoreDNSRewrites(r.spec)))})
	return nil
}
