package render

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/images"
	"github.com/authstack/authstack/pkg/render/apiproxy"
	"github.com/authstack/authstack/pkg/render/apiserver"
	"github.com/authstack/authstack/pkg/render/meta"
	"github.com/authstack/authstack/pkg/render/rbac"
)

// Files of mode proxy.
const (
	apiProxyFile = "manifests/apiproxy.yaml"
	// ProxyAuthConfigFile and ProxyClustersFile are copies of what the
	// proxy's ConfigMap holds, for review and for doctor.
	ProxyAuthConfigFile = "apiproxy/authentication-config.yaml"
	ProxyClustersFile   = "apiproxy/clusters.yaml"
	ProxyArgsFile       = "apiproxy/args.txt"
)

// ClusterObjects are the objects authstack applies to one of spec.clusters,
// through its kubeconfig context: the proxy's impersonator RBAC and the
// users' RBAC there.
type ClusterObjects struct {
	Name    string
	Context string
	Objects []Object
}

// ClusterManifest is the manifest file of one of spec.clusters.
func ClusterManifest(cluster string) string { return "clusters/" + cluster + "/manifests.yaml" }

// apiProxy renders authstack-apiproxy in mode proxy, and the objects of
// every cluster behind it.
func (r *renderer) apiProxy() error {
	if !r.spec.ProxyMode() {
		return nil
	}
	p := r.spec.Proxy
	image := p.Image
	var err error
	if r.spec.Images.PinDigests {
		image, err = images.Pin(image, images.Digests)
	} else {
		_, err = images.Digest(image)
	}
	if err != nil {
		return fmt.Errorf("spec.proxy.image: %w", err)
	}
	// The same builder as kube-apiserver's file: the proxy authenticates
	// with the API server's own JWT authenticator, so the semantics match.
	authConfig, err := apiserver.AuthenticationConfiguration(r.spec, r.issuerCA)
	if err != nil {
		return err
	}
	cas := map[string][]byte{}
	for i, c := range r.spec.Clusters {
		ca, err := r.stack.ReadCA(c.CertificateAuthority, field.NewPath("spec", "clusters").Index(i).Child("certificateAuthority").String())
		if err != nil {
			return err
		}
		cas[c.Name] = ca
	}
	var auditCA []byte
	if a := p.Audit; a != nil {
		if auditCA, err = r.stack.ReadCA(a.CAFile, "spec.proxy.audit.caFile"); err != nil {
			return err
		}
	}
	clusters, err := apiproxy.ClustersConfig(r.spec)
	if err != nil {
		return err
	}
	var all bytes.Buffer
	all.Write(authConfig)
	all.Write(clusters)
	all.Write(auditCA)
	for _, c := range r.spec.Clusters {
		all.Write(cas[c.Name])
	}
	sum, err := r.checksum(all.Bytes(), nil)
	if err != nil {
		return err
	}
	from, err := r.ingressFrom()
	if err != nil {
		return err
	}
	out, err := apiproxy.Render(apiproxy.Input{
		Spec: r.spec, Instance: r.instance, Image: image, AuthConfig: authConfig, ClusterCAs: cas, AuditCA: auditCA,
		Checksum: sum, IngressNamespace: from.Namespace, IngressCIDRs: from.CIDRs,
	})
	if err != nil {
		return err
	}
	for _, o := range out.Objects {
		u, err := bare(o)
		if err != nil {
			return err
		}
		if err := r.add(apiProxyFile, u); err != nil {
			return err
		}
	}
	r.files = append(r.files, File{Path: ProxyAuthConfigFile, Data: authConfig})
	var args bytes.Buffer
	args.WriteString("# authstack-apiproxy arguments rendered by authstack (the Deployment in " + apiProxyFile + " passes them).\n")
	for _, a := range apiproxy.Args(r.spec) {
		args.WriteString(a + "\n")
	}
	r.files = append(r.files, File{Path: ProxyArgsFile, Data: args.Bytes()})
	if clusters != nil {
		r.files = append(r.files, File{Path: ProxyClustersFile, Data: clusters})
	}
	for i := range r.spec.Clusters {
		c := &r.spec.Clusters[i]
		objs, err := r.clusterObjects(c, out.Clusters[c.Name])
		if err != nil {
			return fmt.Errorf("spec.clusters[%d] (%s): %w", i, c.Name, err)
		}
		r.clusters = append(r.clusters, ClusterObjects{Name: c.Name, Context: c.Context, Objects: objs})
	}
	return nil
}

// clusterObjects are the objects of one cluster behind the proxy: the
// proxy's identity there, and the users' RBAC as the spec grants it, with
// the cluster's own name in the team groups (<cluster>:<role>:<namespace>).
func (r *renderer) clusterObjects(c *v1alpha1.ManagedCluster, proxyObjs []runtime.Object) ([]Object, error) {
	file := ClusterManifest(c.Name)
	spec := r.spec.ForCluster(c)
	objs := append([]runtime.Object(nil), proxyObjs...)
	seen := map[string]bool{r.spec.Proxy.Namespace: true}
	// The teams' namespaces authstack creates; dex, the apps and the proxy
	// run in the cluster authstack is applied to, and rbac.Render returns
	// the users' own namespaces.
	for _, t := range spec.RBAC.Teams {
		if !t.CreateNamespace || seen[t.Namespace] {
			continue
		}
		seen[t.Namespace] = true
		ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: t.Namespace, Labels: r.labels("namespace")}}
		for k, v := range meta.PodSecurity(string(t.PodSecurity)) {
			ns.Labels[k] = v
		}
		objs = append(objs, ns)
	}
	users, err := rbac.Render(spec, r.labels("rbac"))
	if err != nil {
		return nil, fmt.Errorf("rbac: %w", err)
	}
	for _, o := range users {
		if ns, ok := o.(*corev1.Namespace); ok && seen[ns.Name] {
			continue
		}
		objs = append(objs, o)
	}
	var out []Object
	for _, o := range objs {
		u, err := bare(o)
		if err != nil {
			return nil, err
		}
		out = append(out, Object{File: file, Object: u})
	}
	sortObjects(out)
	return out, nil
}

// bare is a typed object as rendered: without the empty fields typed
// structs carry, the empty status of a Service or PodDisruptionBudget and
// the empty strategy of a Deployment included.
func bare(o runtime.Object) (*unstructured.Unstructured, error) {
	m, err := toUnstructured(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	clean(u)
	unstructured.RemoveNestedField(u.Object, "status")
	if s, ok, _ := unstructured.NestedMap(u.Object, "spec", "strategy"); ok && len(s) == 0 {
		unstructured.RemoveNestedField(u.Object, "spec", "strategy")
	}
	return u, nil
}
