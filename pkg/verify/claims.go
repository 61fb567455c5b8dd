package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// claimsHop verifies the id token's signature and compares its claims with
// the API server settings.
func (v *verifier) claimsHop(ctx context.Context) bool {
	ctx = oidc.ClientContext(ctx, v.httpClient())
	// The audience is checked against the API server's list below, which
	// may name more than the kubectl client.
	idToken, err := v.provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, v.rawToken)
	if err != nil {
		v.report.fail(HopClaims, "the id token does not verify against the issuer's keys: %v", err)
		return false
	}
	claims := map[string]any{}
	if err := idToken.Claims(&claims); err != nil {
		v.report.fail(HopClaims, "claims: %v", err)
		return false
	}
	v.claims = claims
	detail, problems := checkClaims(v.spec, claims)
	if len(problems) > 0 {
		v.report.fail(HopClaims, "%s", strings.Join(problems, "; "))
		return false
	}
	v.report.pass(HopClaims, "%s", detail)
	return true
}

// checkClaims compares an id token's claims with what the API server is
// configured to accept, the way the API server's JWT authenticator does.
func checkClaims(spec *v1alpha1.Spec, claims map[string]any) (detail string, problems []string) {
	api := spec.APIServer
	var ok []string
	if iss, _ := claims["iss"].(string); iss != spec.IssuerURL() {
		problems = append(problems, fmt.Sprintf("iss is %q but the API server expects exactly %q", iss, spec.IssuerURL()))
	} else {
		ok = append(ok, "iss matches")
	}
	aud := stringList(claims["aud"])
	if i := slices.IndexFunc(aud, func(a string) bool { return slices.Contains(api.Audiences, a) }); i < 0 {
		problems = append(problems, fmt.Sprintf("aud %v holds none of the API server's audiences %v", aud, api.Audiences))
	} else {
		ok = append(ok, "aud "+aud[i])
	}
	user, isString := claims[api.UsernameClaim].(string)
	switch {
	case !isString || user == "":
		problems = append(problems, fmt.Sprintf("username claim %q is missing or not a string (the scopes %v may not ask for it)", api.UsernameClaim, spec.Kubectl.ExtraScopes))
	default:
		ok = append(ok, fmt.Sprintf("%s %s", api.UsernameClaim, user))
	}
	if api.UsernameClaim == "email" {
		if verified, present := claims["email_verified"]; present && verified != true {
			problems = append(problems, "email_verified is not true: the API server rejects email usernames that the issuer has not verified")
		} else if present {
			ok = append(ok, "email_verified")
		}
	}
	if api.GroupsClaim != "" {
		g, present := claims[api.GroupsClaim]
		switch list, isList := g.([]any); {
		case !present:
			ok = append(ok, fmt.Sprintf("no %s claim (the user is in no group)", api.GroupsClaim))
		case !isList || len(stringList(g)) != len(list):
			problems = append(problems, fmt.Sprintf("groups claim %q is %T, not a list of strings", api.GroupsClaim, g))
		default:
			ok = append(ok, fmt.Sprintf("%s %v", api.GroupsClaim, stringList(g)))
		}
	}
	for _, k := range sortedKeys(api.RequiredClaims) {
		if got, _ := claims[k].(string); got != api.RequiredClaims[k] {
			problems = append(problems, fmt.Sprintf("required claim %s is %q, not %q", k, got, api.RequiredClaims[k]))
		}
	}
	return strings.Join(ok, ", "), problems
}

// stringList reads a claim that is a string or a list of strings.
func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []string:
		return t
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// prefixed applies an API server prefix; "-" means none in flags mode.
func prefixed(prefix *string, name string) string {
	if prefix == nil || *prefix == "-" {
		return name
	}
	return *prefix + name
}
