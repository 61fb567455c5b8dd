package kubeconfig

import (
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// renderProxy is the kubeconfig of mode proxy: kubectl talks to
// authstack-apiproxy, at https://<host> for the one cluster or at
// https://<host>/<cluster> for each of spec.clusters (client-go keeps the
// server URL's path as the prefix of every request), with one context and
// one user entry per cluster so that each login stays apart.
func renderProxy(in Input) ([]byte, error) {
	spec := in.Spec
	login := loginName(in.User)
	cfg := clientcmdv1.Config{Kind: "Config", APIVersion: "v1"}
	add := func(s *v1alpha1.Spec, server string) {
		name := s.Cluster.Name
		user := UserName(s, in.User)
		cfg.Clusters = append(cfg.Clusters, clientcmdv1.NamedCluster{
			Name:    name,
			Cluster: clientcmdv1.Cluster{Server: server, CertificateAuthorityData: in.ProxyCA},
		})
		cfg.AuthInfos = append(cfg.AuthInfos, clientcmdv1.NamedAuthInfo{Name: user, AuthInfo: clientcmdv1.AuthInfo{Exec: execConfig(in)}})
		cfg.Contexts = append(cfg.Contexts, clientcmdv1.NamedContext{
			Name:    name + "-" + login,
			Context: clientcmdv1.Context{Cluster: name, AuthInfo: user},
		})
	}
	if len(spec.Clusters) == 0 {
		add(spec, spec.ProxyURL(""))
	}
	for i := range spec.Clusters {
		c := &spec.Clusters[i]
		add(spec.ForCluster(c), spec.ProxyURL(c.Name))
	}
	cfg.CurrentContext = cfg.Contexts[0].Name
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	head := "# kubeconfig rendered by authstack: kubectl reaches the cluster through authstack-apiproxy\n" +
		"# (" + spec.ProxyURL("") + ") and logs in through kubelogin (" + ExecCommand + ").\n"
	if hint := providerHint(spec.Cluster.Provider); hint != "" {
		head += "# " + hint + "\n"
	}
	return append([]byte(head), out...), nil
}

// providerHint says how this kubeconfig differs from the one the cloud's
// CLI writes, whose exec plugin logs in with cloud credentials instead.
func providerHint(p v1alpha1.Provider) string {
	switch p {
	case v1alpha1.ProviderEKS:
		return "Not the kubeconfig of aws eks update-kubeconfig: no AWS credentials are needed, the proxy impersonates you."
	case v1alpha1.ProviderGKE:
		return "Not the kubeconfig of gcloud container clusters get-credentials: no Google credentials are needed, the proxy impersonates you."
	case v1alpha1.ProviderAKS:
		return "Not the kubeconfig of az aks get-credentials: no Azure credentials are needed, the proxy impersonates you."
	}
	return ""
}
