package v1alpha1

import (
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TLS says where the serving certificate of every host of the stack comes
// from: dex's host, each app's host (and, with a shared sign-in host, that
// one too). Without certManager each host names a kubernetes.io/tls Secret
// the user provides (issuer.dex.tls.secretName, apps[].tlsSecretName).
type TLS struct {
	// CertManager makes authstack render a cert-manager Certificate
	// (cert-manager.io/v1) for every host, written to the host's Secret
	// (issuer.dex.tls.secretName, default dex-tls; apps[].tlsSecretName,
	// default <name>-tls). issuer.dex.tls.certManager, when set, wins for
	// dex's host: dex's Ingress then keeps its cert-manager annotation.
	CertManager *CertManager `json:"certManager,omitempty"`
	// InsecureHTTP accepts hosts with no TLS source: their Ingresses are
	// rendered without a tls section, so the ingress controller serves them
	// with its default certificate or not at all. For local tests only;
	// validate warns about each such host.
	InsecureHTTP bool `json:"insecureHTTP,omitempty"`
}

// TLSSource is where a host's certificate comes from.
type TLSSource string

const (
	// TLSCertificate is a cert-manager Certificate authstack renders (spec.tls.certManager).
	TLSCertificate TLSSource = "certificate"
	// TLSIngressAnnotation is cert-manager's ingress-shim, asked by an
	// annotation on dex's Ingress (issuer.dex.tls.certManager).
	TLSIngressAnnotation TLSSource = "ingress-annotation"
	// TLSSecret is a Secret the user provides.
	TLSSecret TLSSource = "secret"
	// TLSNone is no certificate at all (only with spec.tls.insecureHTTP).
	TLSNone TLSSource = "none"
	// TLSGateway is the listener of the user's Gateway (spec.edge.parentRefs):
	// HTTPRoutes carry no certificate, the Gateway terminates TLS with its own.
	TLSGateway TLSSource = "gateway-listener"
)

// TLSHost is one host the stack serves, and where its certificate comes from.
type TLSHost struct {
	// Host is the DNS name, without port, as the Ingress rule and the
	// certificate name it.
	Host      string
	Namespace string
	// SecretName is the kubernetes.io/tls Secret the Ingress (or Gateway
	// listener) reads; empty for TLSNone.
	SecretName string
	Source     TLSSource
	// CertManager is the issuer for TLSCertificate and TLSIngressAnnotation.
	CertManager *CertManager
	// Field is the spec field that names the host.
	Field *field.Path
	// SecretField is the spec field that names the Secret.
	SecretField *field.Path
}

// Hosts lists every host of the stack that needs TLS, in spec order: dex's
// host, then each app's host. It is the one list that validation, the
// Certificates and doctor read.
//
// Hook for the lead's merge: a shared sign-in host (spec.auth.host) is one
// more TLSHost here, in oauth2-proxy's namespace; a Gateway API edge
// (spec.edge) can serve the same list from Gateway listeners, with
// CertManagerAnnotations on the Gateway (cert-manager's gateway-shim)
// instead of rendered Certificates.
func (s *Spec) Hosts() []TLSHost {
	var out []TLSHost
	spec := field.NewPath("spec")
	if d := s.Issuer.Dex; d != nil {
		dp := spec.Child("issuer", "dex")
		h := TLSHost{Host: Hostname(d.Host), Namespace: d.Namespace, SecretName: d.TLS.SecretName,
			Field: dp.Child("host"), SecretField: dp.Child("tls", "secretName")}
		switch {
		case s.GatewayEdge():
			h.Source = TLSGateway
		case d.TLS.CertManager != nil:
			h.Source, h.CertManager = TLSIngressAnnotation, d.TLS.CertManager
		default:
			h.Source, h.CertManager = s.hostSource(d.TLS.SecretName)
		}
		out = append(out, h)
	}
	for i := range s.Apps {
		a := &s.Apps[i]
		ap := spec.Child("apps").Index(i)
		h := TLSHost{Host: Hostname(a.Host), Namespace: a.Namespace, SecretName: a.TLSSecretName,
			Field: ap.Child("host"), SecretField: ap.Child("tlsSecretName")}
		h.Source, h.CertManager = s.hostSource(a.TLSSecretName)
		out = append(out, h)
	}
	if s.SharedSignin() {
		au := spec.Child("auth")
		h := TLSHost{Host: Hostname(s.Auth.Host), Namespace: s.Auth.Namespace, SecretName: s.Auth.TLSSecretName,
			Field: au.Child("host"), SecretField: au.Child("tlsSecretName")}
		h.Source, h.CertManager = s.hostSource(s.Auth.TLSSecretName)
		out = append(out, h)
	}
	return out
}

// hostSource is the certificate source of a host without a setting of its
// own: spec.tls.certManager, else the Secret it names, else none.
func (s *Spec) hostSource(secretName string) (TLSSource, *CertManager) {
	switch {
	case s.GatewayEdge():
		return TLSGateway, nil
	case s.TLS.CertManager != nil:
		return TLSCertificate, s.TLS.CertManager
	case secretName != "":
		return TLSSecret, nil
	}
	return TLSNone, nil
}

// CertificateGroup is one cert-manager Certificate: the hosts of one
// namespace that share a Secret.
type CertificateGroup struct {
	Namespace   string
	SecretName  string
	DNSNames    []string
	CertManager *CertManager
}

// CertificateGroups are the Certificates spec.tls.certManager asks for, one
// per namespace and Secret (hosts that share a Secret get one certificate
// naming them all), sorted by namespace and Secret.
func (s *Spec) CertificateGroups() []CertificateGroup {
	idx := map[[2]string]int{}
	var out []CertificateGroup
	for _, h := range s.Hosts() {
		if h.Source != TLSCertificate {
			continue
		}
		k := [2]string{h.Namespace, h.SecretName}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, CertificateGroup{Namespace: h.Namespace, SecretName: h.SecretName, CertManager: h.CertManager})
		}
		g := &out[i]
		dup := false
		for _, n := range g.DNSNames {
			dup = dup || n == h.Host
		}
		if !dup {
			g.DNSNames = append(g.DNSNames, h.Host)
		}
	}
	for i := range out {
		sort.Strings(out[i].DNSNames)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].SecretName < out[j].SecretName
	})
	return out
}

// CertManagerAnnotations are the annotations that make cert-manager's
// ingress-shim (on an Ingress) or gateway-shim (on a Gateway) issue the
// certificate of every TLS entry of the object
// (cert-manager docs, usage/ingress and usage/gateway: cert-manager.io/issuer
// for a namespaced Issuer, cert-manager.io/cluster-issuer for a ClusterIssuer).
func CertManagerAnnotations(cm *CertManager) map[string]string {
	if cm == nil {
		return nil
	}
	if cm.Kind == "Issuer" {
		return map[string]string{"cert-manager.io/issuer": cm.Issuer}
	}
	return map[string]string{"cert-manager.io/cluster-issuer": cm.Issuer}
}

// setTLSDefaults names the Secret of every host whose certificate
// cert-manager issues; a host with neither cert-manager nor a Secret keeps
// an empty name, for validation to refuse (or, with insecureHTTP, to be
// served without TLS).
func setTLSDefaults(spec *Spec) {
	if cm := spec.TLS.CertManager; cm != nil {
		defaultString(&cm.Kind, "ClusterIssuer")
	}
	if d := spec.Issuer.Dex; d != nil && (d.TLS.CertManager != nil || spec.TLS.CertManager != nil) {
		defaultString(&d.TLS.SecretName, "dex-tls")
	}
	if spec.TLS.CertManager != nil {
		if spec.SharedSignin() {
			defaultString(&spec.Auth.TLSSecretName, "oauth2-proxy-tls")
		}
		for i := range spec.Apps {
			a := &spec.Apps[i]
			defaultString(&a.TLSSecretName, a.Name+"-tls")
		}
	}
}
