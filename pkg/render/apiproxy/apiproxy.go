// Package apiproxy renders authstack-apiproxy, the authenticating and
// impersonating proxy that stands in front of API servers whose flags
// nobody can set (apiServer.mode proxy): its Deployment, Service, Ingress,
// configuration, and the impersonate-only RBAC it needs in each cluster.
// The flags and files follow the contract of cmd/authstack-apiproxy.
package apiproxy

import (
	"fmt"
	"path"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/ingressnginx"
	"github.com/authstack/authstack/pkg/render/meta"
)

// Names of the proxy's objects, files and ports.
const (
	Name = v1alpha1.ProxyName
	// ImpersonatorRole is the ClusterRole the proxy's ServiceAccount holds in every cluster it serves.
	ImpersonatorRole = "authstack:apiproxy:impersonator"
	// TokenSecret is the service-account-token Secret authstack creates in
	// each of spec.clusters; apply copies its token into the cluster's
	// credentialSecret in the proxy's namespace.
	TokenSecret = Name + "-token"

	ConfigDir          = "/etc/authstack-apiproxy/config"
	TLSDir             = "/etc/authstack-apiproxy/tls"
	ClustersDir        = "/etc/authstack-apiproxy/clusters"
	AuthConfigKey      = "authentication-config.yaml"
	ClustersConfigKey  = "clusters.yaml"
	AuditCAKey         = "audit-ca.crt"
	SecurePort         = int32(8443)
	ProbePort          = int32(8081)
	ServicePort        = int32(443)
	IdleTimeout        = "15m"
	MaxStreamDuration  = "4h"
	ChecksumAnnotation = "authstack.dev/config-checksum"
)

// ImpersonatorRules are exactly what the proxy needs to forward a request as
// its user (Kubernetes docs, "User impersonation": impersonate on users,
// groups and serviceaccounts in the core group, and userextras/<key> in
// authentication.k8s.io for each extra it forwards). The extras the proxy's
// JWT authenticator sets: scopes, and authentication.kubernetes.io/credential-id
// for a token with a jti claim (k8s.io/apiserver
// plugin/pkg/authenticator/token/oidc getExtra; Keycloak, Okta and Entra ID
// tokens carry one), without which every such user gets 403. No wildcard.
func ImpersonatorRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"users", "groups", "serviceaccounts"}, Verbs: []string{"impersonate"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"userextras/scopes", "userextras/" + CredentialIDExtra}, Verbs: []string{"impersonate"}},
	}
}

// CredentialIDExtra is the extra the JWT authenticator sets from a token's
// jti (k8s.io/apiserver pkg/authentication/user CredentialIDKey).
const CredentialIDExtra = "authentication.kubernetes.io/credential-id"

// ProxyClusters is the --clusters-config file (contract: authstack.dev/v1alpha1 ProxyClusters).
type ProxyClusters struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Clusters   []ProxyCluster `json:"clusters"`
}

// ProxyCluster is one cluster of the clusters config, served under /<name>/.
type ProxyCluster struct {
	Name                 string `json:"name"`
	Server               string `json:"server"`
	CertificateAuthority string `json:"certificateAuthority"`
	TokenFile            string `json:"tokenFile"`
}

// Input is what the proxy's objects need besides the spec.
type Input struct {
	Spec *v1alpha1.Spec
	// Instance is the stack's name, in the labels.
	Instance string
	// Image is the resolved proxy image.
	Image string
	// AuthConfig is the rendered AuthenticationConfiguration.
	AuthConfig []byte
	// ClusterCAs are the CA bundles of spec.clusters, by cluster name.
	ClusterCAs map[string][]byte
	// AuditCA is the CA bundle of proxy.audit.caFile.
	AuditCA []byte
	// Checksum fingerprints the configuration, to roll the pods on change.
	Checksum string
	// IngressNamespace and IngressCIDRs are the ingress controller (expose ingress).
	IngressNamespace string
	IngressCIDRs     []string
}

// Output is the proxy as rendered.
type Output struct {
	// Objects go to the cluster the proxy runs in.
	Objects []runtime.Object
	// Clusters holds, for each of spec.clusters, the objects applied there
	// through its context.
	Clusters map[string][]runtime.Object
	// ClustersConfig is the --clusters-config file, nil for one cluster.
	ClustersConfig []byte
}

// ClustersConfig renders the --clusters-config file of spec.clusters.
func ClustersConfig(spec *v1alpha1.Spec) ([]byte, error) {
	if len(spec.Clusters) == 0 {
		return nil, nil
	}
	cfg := ProxyClusters{APIVersion: v1alpha1.APIVersion, Kind: "ProxyClusters"}
	for _, c := range spec.Clusters {
		cfg.Clusters = append(cfg.Clusters, ProxyCluster{
			Name: c.Name, Server: c.Server,
			CertificateAuthority: path.Join(ClustersDir, c.Name, "ca.crt"),
			TokenFile:            path.Join(ClustersDir, c.Name, "token"),
		})
	}
	return yaml.Marshal(cfg)
}

// Args are the proxy's command-line flags.
func Args(spec *v1alpha1.Spec) []string {
	args := []string{
		"--authentication-config=" + path.Join(ConfigDir, AuthConfigKey),
		"--secure-port=" + strconv.Itoa(int(SecurePort)),
		"--tls-cert-file=" + path.Join(TLSDir, corev1.TLSCertKey),
		"--tls-private-key-file=" + path.Join(TLSDir, corev1.TLSPrivateKeyKey),
		"--probe-bind-address=:" + strconv.Itoa(int(ProbePort)),
		"--idle-timeout=" + IdleTimeout,
		"--max-stream-duration=" + MaxStreamDuration,
	}
	if len(spec.Clusters) > 0 {
		args = append(args, "--clusters-config="+path.Join(ConfigDir, ClustersConfigKey))
	}
	if a := spec.Proxy.Audit; a != nil {
		args = append(args, "--audit-webhook-url="+a.WebhookURL, "--audit-webhook-format="+string(a.Format))
		if a.CAFile != "" {
			args = append(args, "--audit-webhook-ca-file="+path.Join(ConfigDir, AuditCAKey))
		}
	}
	return args
}

// Render renders the proxy.
func Render(in Input) (*Output, error) {
	spec := in.Spec
	p := spec.Proxy
	if p == nil {
		return nil, fmt.Errorf("spec.proxy is not set")
	}
	r := &renderer{in: in, p: p, labels: meta.Labels(in.Instance, Name)}
	clusters, err := ClustersConfig(spec)
	if err != nil {
		return nil, err
	}
	out := &Output{ClustersConfig: clusters, Clusters: map[string][]runtime.Object{}}
	cm, err := r.configMap(clusters)
	if err != nil {
		return nil, err
	}
	out.Objects = append(out.Objects, r.rbac()...)
	out.Objects = append(out.Objects, cm, r.deployment(), r.pdb(), r.service(), r.networkPolicy())
	if p.Expose == v1alpha1.ExposeIngress {
		out.Objects = append(out.Objects, r.ingress())
	}
	if p.TLS.CertManager != nil {
		out.Objects = append(out.Objects, r.certificate())
	}
	for _, c := range spec.Clusters {
		objs := []runtime.Object{r.namespace()}
		objs = append(objs, r.rbac()...)
		objs = append(objs, r.tokenSecret())
		out.Clusters[c.Name] = objs
	}
	return out, nil
}

type renderer struct {
	in     Input
	p      *v1alpha1.Proxy
	labels map[string]string
}

func (r *renderer) meta(name string, namespaced bool) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Labels: meta.Copy(r.labels)}
	if namespaced {
		m.Namespace = r.p.Namespace
	}
	return m
}

func (r *renderer) selector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": Name, "app.kubernetes.io/instance": r.in.Instance}
}

// namespace is the proxy's Namespace in each of spec.clusters, labelled as
// the stack's Namespaces are (component "namespace"): the cluster the
// proxy runs in may be one of them, where both renders apply this object.
func (r *renderer) namespace() *corev1.Namespace {
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: r.p.Namespace, Labels: meta.Labels(r.in.Instance, "namespace")}}
	for k, v := range meta.RestrictedPodSecurity {
		ns.Labels[k] = v
	}
	return ns
}

// rbac is the proxy's identity in a cluster: a ServiceAccount that may
// impersonate and nothing else.
func (r *renderer) rbac() []runtime.Object {
	return []runtime.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: r.meta(Name, true)},
		&rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: r.meta(ImpersonatorRole, false),
			Rules:      ImpersonatorRules(),
		},
		&rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: r.meta(ImpersonatorRole, false),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ImpersonatorRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: Name, Namespace: r.p.Namespace}},
		},
	}
}

// tokenSecret asks the token controller of a remote cluster for a token of
// the proxy's ServiceAccount there (Kubernetes docs, "Manually create a
// long-lived API token for a ServiceAccount"): the proxy runs elsewhere and
// cannot mount a projected token of that cluster.
func (r *renderer) tokenSecret() *corev1.Secret {
	m := r.meta(TokenSecret, true)
	m.Annotations = map[string]string{corev1.ServiceAccountNameKey: Name}
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: m, Type: corev1.SecretTypeServiceAccountToken}
}

func (r *renderer) configMap(clusters []byte) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(Name, true),
		Data:       map[string]string{AuthConfigKey: string(r.in.AuthConfig)},
	}
	if clusters != nil {
		cm.Data[ClustersConfigKey] = string(clusters)
	}
	if hasAuditCA(r.in.Spec) {
		if len(r.in.AuditCA) == 0 {
			return nil, fmt.Errorf("spec.proxy.audit.caFile %s: no CA bundle", r.in.Spec.Proxy.Audit.CAFile)
		}
		cm.Data[AuditCAKey] = string(r.in.AuditCA)
	}
	for _, c := range r.in.Spec.Clusters {
		ca := r.in.ClusterCAs[c.Name]
		if len(ca) == 0 {
			return nil, fmt.Errorf("spec.clusters: cluster %s has no CA bundle (certificateAuthority %s)", c.Name, c.CertificateAuthority)
		}
		cm.Data[caKey(c.Name)] = string(ca)
	}
	return cm, nil
}

func caKey(cluster string) string { return "ca-" + cluster + ".crt" }

func (r *renderer) deployment() *appsv1.Deployment {
	spec := r.in.Spec
	f, t := false, true
	uid := int64(65532)
	restricted := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t, RunAsNonRoot: &t,
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	mounts := []corev1.VolumeMount{
		{Name: "config", MountPath: ConfigDir, ReadOnly: true},
		{Name: "tls", MountPath: TLSDir, ReadOnly: true},
	}
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: Name},
			Items:                r.configItems(),
		}}},
		{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: r.p.TLS.SecretName}}},
	}
	if len(spec.Clusters) > 0 {
		var sources []corev1.VolumeProjection
		for _, c := range spec.Clusters {
			sources = append(sources,
				corev1.VolumeProjection{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: Name},
					Items:                []corev1.KeyToPath{{Key: caKey(c.Name), Path: path.Join(c.Name, "ca.crt")}},
				}},
				corev1.VolumeProjection{Secret: &corev1.SecretProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: c.CredentialSecret.Name},
					Items:                []corev1.KeyToPath{{Key: c.CredentialSecret.Key, Path: path.Join(c.Name, "token")}},
				}})
		}
		mounts = append(mounts, corev1.VolumeMount{Name: "clusters", MountPath: ClustersDir, ReadOnly: true})
		volumes = append(volumes, corev1.Volume{Name: "clusters", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: sources}}})
	}
	probe := func(p string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: p, Port: intstr.FromString("probes")}}, PeriodSeconds: 10}
	}
	podMeta := r.meta("", false)
	podMeta.Annotations = map[string]string{ChecksumAnnotation: r.in.Checksum}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: r.meta(Name, true),
		Spec: appsv1.DeploymentSpec{
			Replicas: r.p.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: r.selector()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: podMeta,
				Spec: corev1.PodSpec{
					ServiceAccountName: Name,
					// One cluster: the proxy impersonates with the token of its
					// own ServiceAccount. Several: with the tokens of spec.clusters.
					AutomountServiceAccountToken: ptrBool(len(spec.Clusters) == 0),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &t, RunAsUser: &uid, RunAsGroup: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								LabelSelector: &metav1.LabelSelector{MatchLabels: r.selector()},
								TopologyKey:   corev1.LabelHostname,
							},
						}},
					}},
					Containers: []corev1.Container{{
						Name:            "apiproxy",
						Image:           r.in.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            Args(spec),
						Ports: []corev1.ContainerPort{
							{Name: "https", ContainerPort: SecurePort},
							{Name: "probes", ContainerPort: ProbePort},
						},
						ReadinessProbe:  probe("/readyz"),
						LivenessProbe:   probe("/healthz"),
						Resources:       resources(),
						SecurityContext: restricted,
						VolumeMounts:    mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

func (r *renderer) configItems() []corev1.KeyToPath {
	items := []corev1.KeyToPath{{Key: AuthConfigKey, Path: AuthConfigKey}}
	if len(r.in.Spec.Clusters) > 0 {
		items = append(items, corev1.KeyToPath{Key: ClustersConfigKey, Path: ClustersConfigKey})
	}
	if hasAuditCA(r.in.Spec) {
		items = append(items, corev1.KeyToPath{Key: AuditCAKey, Path: AuditCAKey})
	}
	return items
}

// hasAuditCA says whether the proxy trusts the audit webhook through
// proxy.audit.caFile rather than the image's trust store.
func hasAuditCA(spec *v1alpha1.Spec) bool {
	return spec.Proxy != nil && spec.Proxy.Audit != nil && spec.Proxy.Audit.CAFile != ""
}

// pdb keeps one proxy up while nodes drain; with one replica it would block
// every drain, so maxUnavailable rather than minAvailable.
func (r *renderer) pdb() *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: r.meta(Name, true),
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: r.selector()}},
	}
}

func (r *renderer) service() *corev1.Service {
	s := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(Name, true),
		Spec: corev1.ServiceSpec{
			Selector: r.selector(),
			// The probe and metrics port stays inside the cluster.
			Ports: []corev1.ServicePort{{Name: "https", Port: ServicePort, TargetPort: intstr.FromString("https"), Protocol: corev1.ProtocolTCP}},
		},
	}
	if r.p.Expose == v1alpha1.ExposeLoadBalancer {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
	}
	return s
}

// IngressAnnotations make ingress-nginx work for the API: it re-encrypts to
// the proxy (backend-protocol HTTPS), keeps streams open as long as the
// proxy does (proxy-read-timeout and proxy-send-timeout, 60 s by default,
// would cut idle watch, exec and logs -f), and passes watch events and exec
// output as they come (proxy-buffering off). The request body limit is the
// API server's own, 3 MiB (k8s.io/apiserver MaxRequestBodyBytes).
// Annotations as documented by ingress-nginx (user-guide/nginx-configuration/annotations).
func IngressAnnotations() map[string]string {
	const streamSeconds = "14400" // MaxStreamDuration
	return map[string]string{
		ingressnginx.Prefix + "backend-protocol":        "HTTPS",
		ingressnginx.Prefix + "proxy-read-timeout":      streamSeconds,
		ingressnginx.Prefix + "proxy-send-timeout":      streamSeconds,
		ingressnginx.Prefix + "proxy-buffering":         "off",
		ingressnginx.Prefix + "proxy-request-buffering": "off",
		ingressnginx.Prefix + "proxy-body-size":         "3m",
	}
}

func (r *renderer) ingress() *networkingv1.Ingress {
	m := r.meta(Name, true)
	m.Annotations = IngressAnnotations()
	prefix := networkingv1.PathTypePrefix
	class := r.p.IngressClassName
	host := r.p.Host
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: m,
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: r.p.TLS.SecretName}},
			Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: Name, Port: networkingv1.ServiceBackendPort{Name: "https"}},
				}}},
			}}}},
		},
	}
}

// networkPolicy lets clients reach the https port only: from anywhere for
// a LoadBalancer (the clients' addresses are unknown and the proxy
// authenticates every request), from the ingress controller otherwise.
// The probe and metrics port gets no rule: the kubelet's probes come from
// the node, which NetworkPolicies always admit.
func (r *renderer) networkPolicy() *networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	port := intstr.FromString("https")
	rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}}}
	if r.p.Expose == v1alpha1.ExposeIngress {
		rule.From = append(rule.From, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{corev1.LabelMetadataName: r.in.IngressNamespace},
		}})
		for _, c := range r.in.IngressCIDRs {
			rule.From = append(rule.From, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
		}
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: r.meta(Name, true),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: r.selector()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{rule},
		},
	}
}

// certificate asks cert-manager for the proxy's certificate
// (cert-manager.io/v1 Certificate: secretName, dnsNames, issuerRef).
func (r *renderer) certificate() *unstructured.Unstructured {
	cm := r.p.TLS.CertManager
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "Certificate",
		"spec": map[string]any{
			"secretName": r.p.TLS.SecretName,
			"dnsNames":   []any{r.p.Host},
			"issuerRef":  map[string]any{"name": cm.Issuer, "kind": cm.Kind, "group": "cert-manager.io"},
		},
	}}
	u.SetName(Name)
	u.SetNamespace(r.p.Namespace)
	u.SetLabels(meta.Copy(r.labels))
	return u
}

func resources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
}

func ptrBool(b bool) *bool { return &b }
