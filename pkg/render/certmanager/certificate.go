// Package certmanager renders the cert-manager Certificates that
// spec.tls.certManager asks for, as typed objects of cert-manager.io/v1.
//
// The types are authstack's own: the fields below are those of the
// Certificate CRD (github.com/cert-manager/cert-manager,
// deploy/crds/cert-manager.io_certificates.yaml, v1.21) that authstack
// sets. The cert-manager Go module carries the same types but needs its
// whole dependency graph (cloud DNS SDKs, Vault, Venafi); the integration
// test creates these objects against the real CRD instead.
package certmanager

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Group and version of cert-manager's Certificate.
const (
	Group      = "cert-manager.io"
	APIVersion = Group + "/v1"
	Kind       = "Certificate"
)

// GVR is the resource of Certificates, for clients that read them.
var GVR = schema.GroupVersionResource{Group: Group, Version: "v1", Resource: "certificates"}

// Certificate is cert-manager's request for a certificate kept in a Secret.
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CertificateSpec `json:"spec"`
}

// CertificateSpec holds the fields of spec authstack sets.
type CertificateSpec struct {
	// SecretName is the kubernetes.io/tls Secret cert-manager writes.
	SecretName string `json:"secretName"`
	// DNSNames are the subject alternative names.
	DNSNames []string `json:"dnsNames"`
	// IssuerRef names the Issuer or ClusterIssuer that signs.
	IssuerRef IssuerRef `json:"issuerRef"`
	// PrivateKey says how the key is made and when it is replaced.
	PrivateKey *PrivateKey `json:"privateKey,omitempty"`
}

// IssuerRef is cert-manager's ObjectReference to an issuer.
type IssuerRef struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Group string `json:"group"`
}

// PrivateKey is the private key settings of a Certificate.
type PrivateKey struct {
	// RotationPolicy Always makes a new key at each renewal, so a key that
	// leaked stops being valid with the certificate.
	RotationPolicy string `json:"rotationPolicy"`
}

// DeepCopyObject makes Certificate a runtime.Object.
func (c *Certificate) DeepCopyObject() runtime.Object {
	out := *c
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.DNSNames = append([]string(nil), c.Spec.DNSNames...)
	if c.Spec.PrivateKey != nil {
		pk := *c.Spec.PrivateKey
		out.Spec.PrivateKey = &pk
	}
	return &out
}

// Certificates renders one Certificate per namespace and Secret that
// spec.tls.certManager covers (see v1alpha1.Spec.CertificateGroups). Each is
// named after its Secret, as cert-manager's ingress-shim names the ones it
// makes.
func Certificates(spec *v1alpha1.Spec, labels map[string]string) []*Certificate {
	var out []*Certificate
	for _, g := range spec.CertificateGroups() {
		l := make(map[string]string, len(labels))
		for k, v := range labels {
			l[k] = v
		}
		out = append(out, &Certificate{
			TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
			ObjectMeta: metav1.ObjectMeta{Name: g.SecretName, Namespace: g.Namespace, Labels: l},
			Spec: CertificateSpec{
				SecretName: g.SecretName,
				DNSNames:   g.DNSNames,
				IssuerRef:  IssuerRef{Name: g.CertManager.Issuer, Kind: g.CertManager.Kind, Group: Group},
				PrivateKey: &PrivateKey{RotationPolicy: "Always"},
			},
		})
	}
	return out
}
