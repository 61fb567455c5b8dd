package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Merge adds the clusters, users and contexts of rendered to existing,
// replacing entries of the same name and leaving every other entry as it
// was. The current context changes only when existing has none. Either
// input may be empty.
func Merge(existing, rendered []byte) ([]byte, error) {
	dst, err := clientcmd.Load(existing)
	if err != nil {
		return nil, fmt.Errorf("existing kubeconfig: %w", err)
	}
	src, err := clientcmd.Load(rendered)
	if err != nil {
		return nil, fmt.Errorf("rendered kubeconfig: %w", err)
	}
	for name, c := range src.Clusters {
		dst.Clusters[name] = c
	}
	for name, a := range src.AuthInfos {
		dst.AuthInfos[name] = a
	}
	for name, c := range src.Contexts {
		dst.Contexts[name] = c
	}
	if dst.CurrentContext == "" {
		dst.CurrentContext = src.CurrentContext
	}
	// clientcmd records the file each entry came from; none is written.
	clearLocations(dst)
	out, err := clientcmd.Write(*dst)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	return out, nil
}

func clearLocations(c *clientcmdapi.Config) {
	for _, v := range c.Clusters {
		v.LocationOfOrigin = ""
	}
	for _, v := range c.AuthInfos {
		v.LocationOfOrigin = ""
	}
	for _, v := range c.Contexts {
		v.LocationOfOrigin = ""
	}
}
