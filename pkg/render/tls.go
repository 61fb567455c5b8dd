package render

import "github.com/authstack/authstack/pkg/render/certmanager"

// tlsFile holds the cert-manager Certificates of spec.tls.certManager.
const tlsFile = "manifests/tls.yaml"

// certificates renders a cert-manager Certificate for every host that
// spec.tls.certManager covers. Hosts with a Secret of the user's need
// nothing rendered: apply and doctor --live check that the Secret exists.
func (r *renderer) certificates() error {
	for _, c := range certmanager.Certificates(r.spec, r.labels("tls")) {
		if err := r.add(tlsFile, c); err != nil {
			return err
		}
	}
	return nil
}
