package v1alpha1

import (
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// plainPath is the path set ingress-nginx accepts in a Prefix or Exact
// Ingress path when strict-validate-path-type is on (the default since
// v1.12): letters, digits, "-", ".", "_", "~" and "/"
// (ingress-nginx pkg/util/ingress/ingress.go, alphaNumericChars). The same
// set is what can sit between the backticks of a Traefik PathPrefix rule
// without ending it: with a backtick, dex's path
// "/x`)||PathPrefix(`/" made the dex IngressRoute match every host.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9._~/-]*$`)

// validatePaths checks the URL paths authstack writes into Ingress paths
// and edge route rules.
func validatePaths(s *Spec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if d := s.Issuer.Dex; d != nil && !plainPath.MatchString(d.Path) {
		errs = append(errs, field.Invalid(spec.Child("issuer", "dex", "path"), d.Path, "must hold only letters, digits, '-', '.', '_', '~' and '/' (it becomes an Ingress path and a route rule; ingress-nginx refuses other characters in Prefix paths)"))
	}
	return errs
}
