package kubeapiserver

import (
	"reflect"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// What render prints into kube_apiserver_authentication_config_jwt, doctor
// reads back as the same authenticators.
func TestKubesprayJWTRoundTrips(t *testing.T) {
	prefix := "oidc:"
	want := apiserverv1.JWTAuthenticator{
		Issuer: apiserverv1.Issuer{URL: "https://dex.example.com", Audiences: []string{"kubernetes"}},
		ClaimMappings: apiserverv1.ClaimMappings{
			Username: apiserverv1.PrefixedClaimOrExpression{Claim: "email", Prefix: &prefix},
			Groups:   apiserverv1.PrefixedClaimOrExpression{Claim: "groups", Prefix: &prefix},
		},
		ClaimValidationRules: []apiserverv1.ClaimValidationRule{{Claim: "hd", RequiredValue: "example.com"}},
	}
	v, err := KubesprayJWTValue(want)
	if err != nil {
		t.Fatal(err)
	}
	cfg, raw, err := KubesprayAuthConfig(map[string]any{KubesprayJWT: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.JWT) != 1 || !reflect.DeepEqual(cfg.JWT[0], want) {
		t.Errorf("read back %+v\nwant %+v", cfg.JWT, want)
	}
	if !strings.Contains(string(raw), "kind: AuthenticationConfiguration") {
		t.Errorf("the YAML for validation is not an AuthenticationConfiguration:\n%s", raw)
	}
}

func TestKubesprayAuthConfigRefusesANonList(t *testing.T) {
	_, _, err := KubesprayAuthConfig(map[string]any{KubesprayJWT: map[string]any{"issuer": map[string]any{"url": "https://x"}}})
	if err == nil || !strings.Contains(err.Error(), KubesprayJWT) {
		t.Errorf("err = %v, want a refusal naming %s", err, KubesprayJWT)
	}
}
