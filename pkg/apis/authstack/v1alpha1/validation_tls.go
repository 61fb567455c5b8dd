package v1alpha1

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateTLS refuses a host whose certificate comes from nowhere: its
// Ingress would name no Secret (or one nothing creates), the ingress
// controller would answer with its own self-signed certificate, and the
// API server and oauth2-proxy, which reach dex through its public URL,
// would fail to verify it. Only spec.tls.insecureHTTP accepts that.
func validateTLS(s *Spec) field.ErrorList {
	var errs field.ErrorList
	tp := field.NewPath("spec", "tls")
	if cm := s.TLS.CertManager; cm != nil {
		errs = append(errs, certManagerRef(cm, tp.Child("certManager"))...)
		if s.GatewayEdge() {
			// HTTPRoutes carry no certificate: the user's Gateway listener
			// terminates TLS, and a rendered Certificate would be read by nothing.
			errs = append(errs, field.Invalid(tp.Child("certManager"), cm.Issuer,
				"with a Gateway edge the Gateway's listeners terminate TLS: annotate your Gateway for cert-manager's gateway-shim (docs/tls.md) instead"))
		}
	}
	type key struct{ ns, secret string }
	sources := map[key]TLSHost{}
	for _, h := range s.Hosts() {
		if h.Source == TLSGateway {
			continue
		}
		if h.Source == TLSNone {
			if !s.TLS.InsecureHTTP {
				errs = append(errs, field.Required(h.SecretField, fmt.Sprintf(
					"host %s has no TLS certificate: name a kubernetes.io/tls Secret you provide in namespace %s, or set spec.tls.certManager so that authstack renders a cert-manager Certificate for every host (spec.tls.insecureHTTP: true accepts it without TLS, for local tests only)",
					h.Host, h.Namespace)))
			}
			continue
		}
		errs = append(errs, dnsSubdomain(h.SecretName, h.SecretField)...)
		// One Secret written by two sources (dex's ingress-shim and a
		// rendered Certificate, or cert-manager and the user) flips
		// between certificates, each missing the other's host.
		k := key{h.Namespace, h.SecretName}
		if prev, ok := sources[k]; ok && prev.Source != h.Source {
			errs = append(errs, field.Invalid(h.SecretField, h.SecretName, fmt.Sprintf(
				"Secret %s/%s is also the Secret of %s (%s), whose certificate comes from %s, not %s: give each its own Secret",
				h.Namespace, h.SecretName, prev.Host, prev.SecretField, describeTLSSource(prev.Source), describeTLSSource(h.Source))))
			continue
		}
		sources[k] = h
	}
	return errs
}

// certManagerRef checks the issuer a cert-manager setting names.
func certManagerRef(cm *CertManager, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if cm.Issuer == "" {
		errs = append(errs, field.Required(p.Child("issuer"), "name of the cert-manager Issuer or ClusterIssuer"))
	} else {
		errs = append(errs, dnsSubdomain(cm.Issuer, p.Child("issuer"))...)
	}
	if cm.Kind != "ClusterIssuer" && cm.Kind != "Issuer" {
		errs = append(errs, field.NotSupported(p.Child("kind"), cm.Kind, []string{"ClusterIssuer", "Issuer"}))
	}
	return errs
}

func describeTLSSource(s TLSSource) string {
	switch s {
	case TLSCertificate:
		return "the Certificate of spec.tls.certManager"
	case TLSIngressAnnotation:
		return "issuer.dex.tls.certManager (cert-manager's ingress-shim)"
	case TLSSecret:
		return "a Secret you provide"
	case TLSGateway:
		return "the listener of your Gateway"
	}
	return "nowhere"
}

// tlsWarnings names every host served without TLS under insecureHTTP.
func tlsWarnings(s *Spec) []Warning {
	var ws []Warning
	for _, h := range s.Hosts() {
		if h.Source == TLSGateway {
			continue
		}
		if h.Source == TLSNone {
			ws = append(ws, Warning{Field: h.SecretField.String(), Message: fmt.Sprintf(
				"host %s is rendered without TLS (spec.tls.insecureHTTP): logins and tokens cross the network in clear unless something in front terminates TLS; for local tests only",
				h.Host)})
		}
	}
	return ws
}
