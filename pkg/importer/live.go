package importer

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/doctor"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/formats/oauth2proxy"
)

// Live is what CollectLive read besides the model.
type Live struct {
	// PodSelectors are the selectors of the cluster's Services, keyed
	// namespace/name, for the apps' NetworkPolicies (Options.PodSelectors).
	PodSelectors map[string]map[string]string
}

// CollectLive reads a hand-made setup from the cluster into m, through the
// same parsers as the files: the kube-apiserver Pod's flags, dex's config
// (a Secret or ConfigMap with a config.yaml holding an issuer), the
// oauth2-proxy ConfigMaps with their Secrets, the Ingresses and the RBAC
// bindings. What cannot be read (no rights, a managed control plane) is
// returned as gaps.
func CollectLive(ctx context.Context, m *doctor.Model, client kubernetes.Interface) (*Live, []Gap, error) {
	var gaps []Gap
	live := &Live{PodSelectors: map[string]map[string]string{}}
	pods, err := client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "component=kube-apiserver"})
	switch {
	case err != nil:
		gaps = append(gaps, Gap{Source: "live: Pods kube-system", Field: "component=kube-apiserver", Message: fmt.Sprintf("cannot be read (%v): give the API server's settings as a file", err)})
	case len(pods.Items) == 0:
		gaps = append(gaps, Gap{Source: "live: Pods kube-system", Field: "component=kube-apiserver", Message: "none (a managed control plane?): give the API server's settings as a file"})
	default:
		p := &pods.Items[0]
		m.AddAPIServerPod("live: Pod kube-system/"+p.Name, p)
	}

	var stream bytes.Buffer
	add := func(gvk schema.GroupVersionKind, obj runtime.Object) error {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		data, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		stream.WriteString("---\n")
		stream.Write(data)
		return nil
	}
	secrets, err := client.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list Secrets: %w; import reads dex's config and the proxies' secrets from them", err)
	}
	cms, err := client.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list ConfigMaps: %w", err)
	}
	// dex's config: the first config.yaml with an issuer, from a Secret (as
	// dex's Helm chart keeps it) or a ConfigMap (dex's examples/k8s).
	dexConfig := func(kind, ns, name string, obj any) {
		data, _, ok := dexconfig.ConfigText(obj)
		if !ok || m.Dex != nil && m.Dex.Issuer != "" || !strings.Contains(string(data), "issuer:") {
			return
		}
		source := fmt.Sprintf("live: %s %s/%s %s", kind, ns, name, dexconfig.ConfigKey)
		if err := m.AddDexConfig(source, data); err != nil {
			gaps = append(gaps, Gap{Source: source, Field: dexconfig.ConfigKey, Message: fmt.Sprintf("not a dex config: %v", err)})
			return
		}
		m.Dex.Namespace = ns
	}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		dexConfig("Secret", s.Namespace, s.Name, s)
	}
	for i := range cms.Items {
		cm := &cms.Items[i]
		dexConfig("ConfigMap", cm.Namespace, cm.Name, cm)
		if _, ok := cm.Data[oauth2proxy.ConfigKey]; !ok {
			continue
		}
		if err := add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, cm); err != nil {
			return nil, nil, err
		}
		// The proxy's secrets, when its Secret has the ConfigMap's name.
		for j := range secrets.Items {
			s := &secrets.Items[j]
			if s.Namespace == cm.Namespace && s.Name == cm.Name {
				if err := add(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, s); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	ings, err := client.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list Ingresses: %w", err)
	}
	for i := range ings.Items {
		if err := add(schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, &ings.Items[i]); err != nil {
			return nil, nil, err
		}
	}
	crbs, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list ClusterRoleBindings: %w", err)
	}
	for i := range crbs.Items {
		if err := add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}, &crbs.Items[i]); err != nil {
			return nil, nil, err
		}
	}
	rbs, err := client.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list RoleBindings: %w", err)
	}
	for i := range rbs.Items {
		if err := add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}, &rbs.Items[i]); err != nil {
			return nil, nil, err
		}
	}
	if err := m.AddRBAC("live", stream.Bytes()); err != nil {
		return nil, nil, fmt.Errorf("live: %w", err)
	}
	svcs, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("live: list Services: %w", err)
	}
	for _, s := range svcs.Items {
		if len(s.Spec.Selector) > 0 {
			live.PodSelectors[s.Namespace+"/"+s.Name] = s.Spec.Selector
		}
	}
	return live, gaps, nil
}
