package dex

import (
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/formats/dexconfig"
)

// dex replaces $NAME, ${NAME} and $1 in connector configs from its
// environment: a spec value holding one is refused, the secret references
// authstack writes are not, and a $ that os.ExpandEnv leaves alone (the
// "*$" of Active Directory's computer accounts) is fine.
func TestCheckExpansion(t *testing.T) {
	refs := map[string]bool{"bindPW": true, "clientSecret": true}
	for name, tc := range map[string]struct {
		cfg  any
		want string
	}{
		"secret references": {dexconfig.LDAPConfig{Host: "ldap:636", BindPW: "$LDAP_BIND_PW_CORP"}, ""},
		"a lone $ before )": {dexconfig.LDAPConfig{Host: "ldap:636", UserSearch: dexconfig.LDAPUserSearch{Filter: "(!(sAMAccountName=*$))"}}, ""},
		"a positional":      {dexconfig.LDAPConfig{Host: "ldap:636", UserSearch: dexconfig.LDAPUserSearch{Filter: "(uid=$1)"}}, `userSearch.filter: "(uid=$1)" holds "$1"`},
		"a name":            {dexconfig.OIDCConfig{Issuer: "https://login.example.com/$TENANT/v2.0", ClientID: "k"}, `issuer: "https://login.example.com/$TENANT/v2.0" holds "$T"`},
		"braces":            {dexconfig.GitHubConfig{ClientID: "${ID}"}, `clientID: "${ID}" holds "${"`},
		"two dollars":       {dexconfig.LDAPConfig{BindDN: "cn=a$$b"}, `bindDN: "cn=a$$b" holds "$$"`},
		"in a list":         {dexconfig.GitHubConfig{ClientID: "k", Orgs: []dexconfig.GitHubOrg{{Name: "corp", Teams: []string{"a", "$b"}}}}, `orgs[0].teams[1]: "$b"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkExpansion(tc.cfg, refs)
			if tc.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %s", err, tc.want)
			}
		})
	}
}
