package v1alpha1

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// plainClientID is what a dex client id rendered by authstack may hold:
// its secret's environment variable name (DexEnvName) must be a valid
// Secret key and a name a shell and dex's env lookup take as one variable.
// "$" would make a key the API server refuses, and "É" is not ASCII.
var plainClientID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// validateDexEnvNames refuses dex client ids whose secrets would land in
// the same environment variable of dex's Secret: "app-a", "app.a" and
// "APP_A" all become CLIENT_SECRET_APP_A, so one client would be given the
// other's secret and its oauth2-proxy would fail every login with a secret
// dex does not know.
func validateDexEnvNames(s *Spec, spec *field.Path) field.ErrorList {
	if s.Issuer.Dex == nil {
		return nil
	}
	var errs field.ErrorList
	type owner struct{ id, field string }
	seen := map[string]owner{}
	check := func(id string, p *field.Path) {
		if id == "" {
			return
		}
		if !plainClientID.MatchString(id) {
			errs = append(errs, field.Invalid(p, id, "a dex client id authstack renders must be letters, digits, '.', '-' and '_' (its secret is passed to dex in an environment variable named after it)"))
			return
		}
		env := DexEnvName("CLIENT_SECRET", id)
		// The same id twice is one client (duplicates are refused elsewhere).
		if prev, ok := seen[env]; ok && prev.id != id {
			errs = append(errs, field.Invalid(p, id, fmt.Sprintf("its secret would share dex's environment variable %s with client %q of %s: client ids must differ in more than case, '-', '.' and '_'", env, prev.id, prev.field)))
			return
		}
		seen[env] = owner{id, p.String()}
	}
	check(s.Kubectl.ClientID, spec.Child("kubectl", "clientID"))
	check(s.Auth.ClientID, spec.Child("auth", "clientID"))
	for i := range s.Apps {
		check(s.Apps[i].ClientID, spec.Child("apps").Index(i).Child("clientID"))
	}
	return errs
}
