package doctor

import (
	"strings"
	"testing"
)

// The Kubernetes docs' AuthenticationConfiguration examples: the valid one
// is read in v1 and v1beta1 with its CEL mappings and passes the prefix
// checks (its userValidationRules refuse system: names); the full example,
// which the API server refuses, is AS-05 naming each invalid field.
func TestUpstreamAuthenticationConfigurations(t *testing.T) {
	for _, f := range []string{"valid-token-v1.yaml", "valid-token-v1beta1.yaml"} {
		t.Run(f, func(t *testing.T) {
			got := findingsOf(t, Inputs{AuthenticationConfig: "testdata/authn-upstream/" + f})
			for code, fs := range got {
				if fs[0].Severity == Error || fs[0].Severity == Warning {
					t.Errorf("%s: %s", code, fs[0].Message)
				}
			}
		})
	}
	got := findingsOf(t, Inputs{AuthenticationConfig: "testdata/authn-upstream/full-example-v1.yaml"})
	f := got["AS-05"]
	if len(f) != 1 {
		t.Fatalf("AS-05 = %v", f)
	}
	for _, want := range []string{"jwt[0].issuer.certificateAuthority", "jwt[0].issuer.egressSelectorType", "jwt[0].claimMappings.username", "claim and expression can't both be set"} {
		if !strings.Contains(f[0].Message, want) {
			t.Errorf("AS-05 does not name %q: %s", want, f[0].Message)
		}
	}
}
