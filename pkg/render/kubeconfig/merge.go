package kubeconfig

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// MergeOptions say how Merge treats entries that exist already.
type MergeOptions struct {
	// Force replaces an existing cluster, user or context of the same name
	// whose content differs. Without it Merge refuses and writes nothing:
	// such an entry may be another cluster's login.
	Force bool
}

// Merge adds the clusters, users and contexts of rendered to existing,
// leaving every other entry as it was. An entry of the same name is
// replaced only when it is identical or opts.Force is set. The current
// context changes only when existing has none. Either input may be empty.
func Merge(existing, rendered []byte, opts MergeOptions) ([]byte, error) {
	dst, err := clientcmd.Load(existing)
	if err != nil {
		return nil, fmt.Errorf("existing kubeconfig: %w", err)
	}
	src, err := clientcmd.Load(rendered)
	if err != nil {
		return nil, fmt.Errorf("rendered kubeconfig: %w", err)
	}
	// clientcmd records the file each entry came from; none is written,
	// and it must not make equal entries differ.
	clearLocations(dst)
	clearLocations(src)
	var conflicts []string
	conflicts = append(conflicts, mergeEntries("cluster", dst.Clusters, src.Clusters, opts.Force)...)
	conflicts = append(conflicts, mergeEntries("user", dst.AuthInfos, src.AuthInfos, opts.Force)...)
	conflicts = append(conflicts, mergeEntries("context", dst.Contexts, src.Contexts, opts.Force)...)
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("the kubeconfig already has %s with other settings; nothing was written: rename or delete them (kubectl config delete-user/delete-cluster/delete-context), or pass --force to replace them", strings.Join(conflicts, ", "))
	}
	if dst.CurrentContext == "" {
		dst.CurrentContext = src.CurrentContext
	}
	out, err := clientcmd.Write(*dst)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	return out, nil
}

// mergeEntries copies src's entries into dst and returns, without copying
// them, those whose name dst holds with other content (unless force).
func mergeEntries[T any](kind string, dst, src map[string]*T, force bool) []string {
	var conflicts []string
	for name, v := range src {
		if old, ok := dst[name]; ok && !force && !reflect.DeepEqual(old, v) {
			conflicts = append(conflicts, fmt.Sprintf("%s %q", kind, name))
			continue
		}
		dst[name] = v
	}
	sort.Strings(conflicts)
	return conflicts
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
