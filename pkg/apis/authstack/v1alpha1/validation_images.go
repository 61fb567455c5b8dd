package v1alpha1

import (
	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateImages refuses image overrides that are not image references,
// parsed as the container runtimes parse them (github.com/distribution/
// reference, ParseNormalizedNamed). The chart writes the image into the
// Deployment: "dex:v2\n      hostNetwork: true" added hostNetwork to dex's
// Pod before this check.
func validateImages(im *Images, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ name, ref string }{{"dex", im.Dex}, {"oauth2Proxy", im.OAuth2Proxy}} {
		if f.ref == "" {
			continue
		}
		if _, err := reference.ParseNormalizedNamed(f.ref); err != nil {
			errs = append(errs, field.Invalid(p.Child(f.name), f.ref, "must be an image reference such as ghcr.io/dexidp/dex:v2.44.0 ("+err.Error()+")"))
		}
	}
	return errs
}

// validateDexCertManager checks dex's own cert-manager issuer, which the
// chart writes into the cert-manager.io/issuer annotation of dex's Ingress:
// an Issuer is an object name (a DNS subdomain). Unchecked, "a\nb: c"
// added keys to the Ingress.
func validateDexCertManager(s *Spec, spec *field.Path) field.ErrorList {
	d := s.Issuer.Dex
	if d == nil || d.TLS.CertManager == nil || d.TLS.CertManager.Issuer == "" {
		return nil
	}
	return dnsSubdomain(d.TLS.CertManager.Issuer, spec.Child("issuer", "dex", "tls", "certManager", "issuer"))
}
