// Package kubeclient loads the kubeconfig the way kubectl does, for every
// command and package that talks to a cluster (apply, proxy, import --live,
// doctor --live), so they agree on which file and context they use.
package kubeclient

import (
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Loader reads the kubeconfig as kubectl does: path, else $KUBECONFIG,
// else ~/.kube/config; context, else the current one. It never prompts.
func Loader(path, context string) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
}

// RESTConfig is the client config of Loader(path, context).
func RESTConfig(path, context string) (*rest.Config, error) {
	return Loader(path, context).ClientConfig()
}
