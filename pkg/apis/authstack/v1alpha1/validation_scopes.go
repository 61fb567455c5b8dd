package v1alpha1

import "strings"

// scopeToken reports whether sc is one OAuth 2.0 scope that every consumer
// of authstack's output reads as one: RFC 6749 section 3.3 allows the
// printable ASCII characters but space, '"' and '\'; a comma is refused
// too, because kubelogin's --oidc-extra-scope is a pflag StringSlice (split
// at commas, with CSV quoting; int128/kubelogin pkg/cmd/authentication.go)
// and Headlamp splits -oidc-scopes at commas, so "a,b" would be one scope
// to oauth2-proxy and two to kubectl and Headlamp.
func scopeToken(sc string) bool {
	if sc == "" || strings.ContainsRune(sc, ',') {
		return false
	}
	for _, r := range sc {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}
