package v1alpha1

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/authstack/authstack/pkg/images"
)

// Managed clusters: control planes whose API server flags nobody can set
// (EKS, GKE, AKS). authstack puts an authenticating, impersonating proxy
// (authstack-apiproxy) in front of their API servers instead; see
// docs/managed-clusters.md.

// InstallerManaged is a cluster whose API server authstack does not
// configure at all: no API server file is rendered, and the API server mode
// defaults to proxy.
const InstallerManaged Installer = "managed"

// ModeProxy has authstack-apiproxy verify the tokens with the API server's
// own JWT authenticator (the same AuthenticationConfiguration) and forward
// each request with impersonation headers; the API server's own flags stay
// as they are.
const ModeProxy APIServerMode = "proxy"

// Provider is who runs a managed control plane. It only changes the
// documentation hints and kubeconfig comments: the proxy is the same.
type Provider string

const (
	ProviderEKS   Provider = "eks"
	ProviderGKE   Provider = "gke"
	ProviderAKS   Provider = "aks"
	ProviderOther Provider = "other"
)

// ProxyExpose is how users reach the proxy.
type ProxyExpose string

const (
	// ExposeLoadBalancer is a Service of type LoadBalancer: TLS ends at the
	// proxy with its own certificate, and no ingress controller sits between
	// kubectl and the proxy's streaming timeouts (default).
	ExposeLoadBalancer ProxyExpose = "loadBalancer"
	// ExposeIngress is an ingress-nginx Ingress that terminates TLS and
	// re-encrypts to the proxy (backend-protocol HTTPS), with the read
	// timeouts and buffering that watch, exec and logs -f need.
	ExposeIngress ProxyExpose = "ingress"
)

// AuditFormat is what the proxy POSTs to the audit webhook.
type AuditFormat string

const (
	// AuditRecords are kube-oidc-proxy-style JSON records, POSTed to
	// <webhookURL>/api/v1/k8s-audit-log/webhook.
	AuditRecords AuditFormat = "records"
	// AuditEventList are audit.k8s.io/v1 EventList batches.
	AuditEventList AuditFormat = "eventlist"
)

// Proxy is authstack-apiproxy, the impersonating proxy of mode proxy.
type Proxy struct {
	// Host is the DNS name users reach the proxy at: https://<host>/ for the
	// cluster, or https://<host>/<cluster>/ for each of spec.clusters.
	Host string `json:"host"`
	// Namespace the proxy runs in (default authstack-proxy), created with
	// the restricted Pod Security Standard.
	Namespace string `json:"namespace,omitempty"`
	// Replicas of the proxy (default 2, with a PodDisruptionBudget).
	Replicas *int32 `json:"replicas,omitempty"`
	// Expose is loadBalancer (default) or ingress.
	Expose ProxyExpose `json:"expose,omitempty"`
	// IngressClassName of the Ingress (expose ingress; default nginx, the
	// only class whose annotations authstack knows).
	IngressClassName string `json:"ingressClassName,omitempty"`
	// TLS is the proxy's serving certificate.
	TLS ProxyTLS `json:"tls,omitempty"`
	// Image of the proxy (default ghcr.io/authstack/authstack-apiproxy:<authstack version>).
	Image string `json:"image,omitempty"`
	// Audit sends one event per request to a webhook, besides the log line
	// the proxy always writes.
	Audit *ProxyAudit `json:"audit,omitempty"`
}

// ProxyTLS is where the proxy's serving certificate comes from.
type ProxyTLS struct {
	// SecretName of a kubernetes.io/tls Secret in the proxy's namespace
	// (default authstack-apiproxy-tls).
	SecretName string `json:"secretName,omitempty"`
	// CertManager has cert-manager issue the certificate into SecretName
	// (a cert-manager.io/v1 Certificate for <host>).
	CertManager *CertManager `json:"certManager,omitempty"`
	// CAFile is a local path to the CA that signed the proxy's certificate,
	// when it is not publicly trusted; the kubeconfig embeds it.
	CAFile string `json:"caFile,omitempty"`
}

// ProxyAudit is the proxy's audit webhook.
type ProxyAudit struct {
	// WebhookURL receives the events (https).
	WebhookURL string `json:"webhookURL"`
	// Format is records (default) or eventlist.
	Format AuditFormat `json:"format,omitempty"`
	// CAFile is a local path to the CA bundle that signed the webhook's
	// certificate, when it is not publicly trusted (an in-house collector);
	// the proxy's ConfigMap carries it. Default: the image's trust store.
	CAFile string `json:"caFile,omitempty"`
}

// ManagedCluster is one cluster behind the proxy, served under
// https://<proxy.host>/<name>/.
type ManagedCluster struct {
	// Name of the cluster: the path segment, the <cluster> of team group
	// names in that cluster, and the kubeconfig cluster and context.
	Name string `json:"name"`
	// Server is the cluster's API server URL as the proxy reaches it.
	Server string `json:"server"`
	// CertificateAuthority is a local path to the CA bundle of that API
	// server; it is embedded in the proxy's clusters config.
	CertificateAuthority string `json:"certificateAuthority"`
	// Context is the kubeconfig context authstack apply uses to install the
	// impersonator RBAC and the users' RBAC in that cluster.
	Context string `json:"context"`
	// CredentialSecret is the Secret in the proxy's namespace holding the
	// bearer token of the proxy's ServiceAccount in that cluster (default
	// name authstack-apiproxy-<name>, key token). authstack apply copies it
	// from the token Secret it creates in that cluster.
	CredentialSecret CredentialSecretRef `json:"credentialSecret,omitempty"`
}

// CredentialSecretRef is a key of a Secret in the proxy's namespace (defaulted).
type CredentialSecretRef struct {
	// Name of the Secret.
	Name string `json:"name,omitempty"`
	// Key in the Secret's data.
	Key string `json:"key,omitempty"`
}

// TeamTemplate defines the rules of a team role: a built-in one (devops,
// developer, watcher, developer-with-port-forward), replaced or extended,
// or a new role that teams[].roles may name.
type TeamTemplate struct {
	// Name of the team role.
	Name TeamRole `json:"name"`
	// Extend adds the rules to those of the built-in role of the same name
	// instead of replacing them.
	Extend bool `json:"extend,omitempty"`
	// Rules are rbac.authorization.k8s.io/v1 PolicyRules of namespaced
	// resources. escalate, bind, impersonate and wildcard Secrets are
	// refused unless allowEscalation is set.
	Rules []rbacv1.PolicyRule `json:"rules"`
	// AllowEscalation accepts rules that let the team grant itself more.
	AllowEscalation bool `json:"allowEscalation,omitempty"`
}

// Placeholders of the team group patterns.
const (
	PatternCluster   = "<cluster>"
	PatternRole      = "<role>"
	PatternNamespace = "<namespace>"
)

// Defaults of mode proxy.
const (
	DefaultProxyNamespace        = "authstack-proxy"
	DefaultProxyReplicas         = int32(2)
	DefaultProxyTLSSecret        = "authstack-apiproxy-tls"
	DefaultTeamGroupPattern      = PatternCluster + ":" + PatternRole + ":" + PatternNamespace
	DefaultClusterTeamGroupPatrn = PatternCluster + ":" + PatternRole
	// ProxyName names the proxy's objects (Deployment, ServiceAccount, ...).
	ProxyName = "authstack-apiproxy"
)

// BuiltinTeamRoles are the team role templates authstack defines.
var BuiltinTeamRoles = []TeamRole{TeamDevops, TeamDeveloper, TeamWatcher, TeamDeveloperWithPortForward}

// setManagedDefaults fills the fields of managed.go; SetDefaults calls it
// before the API server mode is defaulted.
func setManagedDefaults(spec *Spec) {
	if spec.APIServer.Mode == "" && spec.Cluster.Installer == InstallerManaged {
		spec.APIServer.Mode = ModeProxy
	}
	if p := spec.Proxy; p != nil {
		defaultString(&p.Namespace, DefaultProxyNamespace)
		if p.Replicas == nil {
			n := DefaultProxyReplicas
			p.Replicas = &n
		}
		if p.Expose == "" {
			p.Expose = ExposeLoadBalancer
		}
		if p.Expose == ExposeIngress {
			defaultString(&p.IngressClassName, DefaultIngressClass)
		}
		defaultString(&p.TLS.SecretName, DefaultProxyTLSSecret)
		defaultString(&p.Image, images.APIProxy())
		if p.TLS.CertManager != nil {
			defaultString(&p.TLS.CertManager.Kind, "ClusterIssuer")
		}
		if p.Audit != nil && p.Audit.Format == "" {
			p.Audit.Format = AuditRecords
		}
	}
	for i := range spec.Clusters {
		c := &spec.Clusters[i]
		defaultString(&c.CredentialSecret.Name, ProxyName+"-"+c.Name)
		defaultString(&c.CredentialSecret.Key, "token")
	}
	defaultString(&spec.RBAC.TeamGroupPattern, DefaultTeamGroupPattern)
	defaultString(&spec.RBAC.ClusterTeamGroupPattern, DefaultClusterTeamGroupPatrn)
}

// ProxyMode reports whether users reach the cluster through authstack-apiproxy.
func (s *Spec) ProxyMode() bool { return s.APIServer.Mode == ModeProxy }

// ProxyURL is the URL kubectl reaches a cluster at through the proxy:
// https://<host>/ for the one cluster ("" cluster), https://<host>/<cluster>
// for one of spec.clusters.
func (s *Spec) ProxyURL(cluster string) string {
	if s.Proxy == nil {
		return ""
	}
	if cluster == "" {
		return "https://" + s.Proxy.Host
	}
	return "https://" + s.Proxy.Host + "/" + cluster
}

// ForCluster is the spec as one of spec.clusters sees it: its name is the
// <cluster> of the team groups there. The copy shares everything else.
func (s *Spec) ForCluster(c *ManagedCluster) *Spec {
	out := *s
	out.Cluster.Name = c.Name
	out.Cluster.Server = c.Server
	out.Cluster.CertificateAuthority = c.CertificateAuthority
	return &out
}

// ClusterTeamGroup is the group granted a team role in every namespace:
// rbac.clusterTeamGroupPattern, <cluster>:<role> by default.
func (s *Spec) ClusterTeamGroup(role TeamRole) string {
	return expandTeamPattern(s.RBAC.ClusterTeamGroupPattern, DefaultClusterTeamGroupPatrn, s.Cluster.Name, role, "")
}

func expandTeamPattern(pattern, def, cluster string, role TeamRole, namespace string) string {
	if pattern == "" {
		pattern = def
	}
	return strings.NewReplacer(PatternCluster, cluster, PatternRole, string(role), PatternNamespace, namespace).Replace(pattern)
}

// TeamTemplate returns the template of a team role the spec defines, if any.
func (r *RBAC) TeamTemplate(role TeamRole) *TeamTemplate {
	for i := range r.TeamTemplates {
		if r.TeamTemplates[i].Name == role {
			return &r.TeamTemplates[i]
		}
	}
	return nil
}

// KnownTeamRole reports whether teams may name a role: a built-in template
// or one of rbac.teamTemplates.
func (r *RBAC) KnownTeamRole(role TeamRole) bool {
	return slices.Contains(BuiltinTeamRoles, role) || r.TeamTemplate(role) != nil
}

// TeamRoles are the team roles the spec uses, in teams and clusterTeamRoles, sorted.
func (r *RBAC) TeamRoles() []TeamRole {
	used := sets.New[TeamRole]()
	for _, t := range r.Teams {
		used.Insert(t.Roles...)
	}
	used.Insert(r.ClusterTeamRoles...)
	return sets.List(used)
}
