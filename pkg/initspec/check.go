package initspec

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Problem is one answer that is missing or wrong, named by the flag that
// gives it (the wizard asks the same question under the same key).
type Problem struct {
	// Flag is the flag name without dashes; empty when no flag maps to the field.
	Flag    string
	Field   string
	Message string
}

func (p Problem) String() string {
	if p.Flag == "" {
		return p.Field + ": " + p.Message
	}
	return "--" + p.Flag + ": " + p.Message
}

// Error lists every problem of a set of answers.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the answers do not make a valid spec (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate runs the spec's own defaulting and validation on the answers and
// returns every problem, each mapped to its flag.
func Validate(a Answers) []Problem {
	var problems []Problem
	if a.Issuer == "" && a.IssuerHost != "" && a.IssuerURL != "" {
		problems = append(problems, Problem{Flag: FlagIssuerURL, Field: "spec.issuer", Message: "give --issuer-host (dex deployed by authstack) or --issuer-url (an issuer you already run), not both"})
	}
	for _, app := range a.Apps {
		if _, err := ParseApp(app); err != nil {
			problems = append(problems, Problem{Flag: FlagApp, Field: "spec.apps", Message: err.Error()})
		}
	}
	s := Build(a)
	v1alpha1.SetDefaults(s)
	for _, e := range v1alpha1.Validate(s) {
		p := Problem{Flag: flagOf(e.Field), Field: e.Field, Message: message(e)}
		if hint, ok := requiredHints[p.Flag]; ok && e.Type == field.ErrorTypeRequired {
			p.Message += ": " + hint
		}
		problems = append(problems, p)
	}
	sort.SliceStable(problems, func(i, j int) bool { return flagOrder(problems[i].Flag) < flagOrder(problems[j].Flag) })
	return problems
}

// Check validates the answers and returns an error about the one question
// named by flag, or nil. The wizard calls it on every keystroke with the
// answer being typed, so partial answers elsewhere do not matter.
func Check(a Answers, flag string) error {
	var msgs []string
	for _, p := range Validate(a) {
		if p.Flag == flag {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// Spec builds, defaults and validates the spec the answers describe. The
// returned spec is not defaulted, so that it marshals short.
func Spec(a Answers) (*v1alpha1.AuthStack, error) {
	if problems := Validate(a); len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return Build(a), nil
}

func message(e *field.Error) string {
	switch e.Type {
	case field.ErrorTypeRequired:
		if e.Detail != "" {
			return "required: " + e.Detail
		}
		return "required"
	case field.ErrorTypeInvalid:
		if e.Detail != "" {
			if s, ok := e.BadValue.(string); ok && s != "" {
				return fmt.Sprintf("%q %s", s, e.Detail)
			}
			return e.Detail
		}
	case field.ErrorTypeDuplicate:
		return fmt.Sprintf("%v is given twice", e.BadValue)
	}
	return e.ErrorBody()
}

var indexes = regexp.MustCompile(`\[[^]]*\]`)

// flagOf maps a field path to the flag that sets it: the longest known
// prefix of the path without list indexes.
func flagOf(path string) string {
	p := indexes.ReplaceAllString(path, "")
	for p != "" {
		if f, ok := fieldFlags[p]; ok {
			return f
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return ""
}

func flagOrder(flag string) int {
	for i, f := range flagNames {
		if f == flag {
			return i
		}
	}
	return len(flagNames)
}

// requiredHints say more than "required" where the field alone is unclear.
var requiredHints = map[string]string{
	FlagIssuerHost:  "the public host of the dex that authstack deploys, such as dex.example.com (or --issuer-url for an issuer you already run)",
	FlagClusterName: "a DNS label such as prod",
}

const conn = "spec.issuer.dex.connectors."

var fieldFlags = map[string]string{
	"spec.cluster.name":                    FlagClusterName,
	"spec.cluster.installer":               FlagInstaller,
	"spec.cluster.kubernetesVersion":       FlagKubernetesVersion,
	"spec.apiServer":                       FlagKubernetesVersion,
	"spec.cluster.server":                  FlagServer,
	"spec.issuer":                          FlagIssuerHost,
	"spec.issuer.dex":                      FlagIssuerHost,
	"spec.issuer.dex.connectors":           FlagConnector,
	"spec.issuer.external":                 FlagIssuerURL,
	"spec.issuer.external.appClientSecret": FlagIssuerClientSecretEnv,
	conn + "ldap.host":                     FlagLDAPHost,
	conn + "ldap.startTLS":                 FlagLDAPStartTLS,
	conn + "ldap.bindDN":                   FlagLDAPBindDN,
	conn + "ldap.bindPassword":             FlagLDAPBindPasswordEnv,
	conn + "ldap.userSearch.baseDN":        FlagLDAPUserBaseDN,
	conn + "ldap.userSearch":               FlagLDAPUsernameAttr,
	conn + "ldap.groupSearch":              FlagLDAPGroupBaseDN,
	conn + "github.clientID":               FlagGitHubClientID,
	conn + "github.clientSecret":           FlagGitHubClientSecretEnv,
	conn + "github.orgs":                   FlagGitHubOrg,
	conn + "oidc.issuer":                   FlagOIDCIssuer,
	conn + "oidc.clientID":                 FlagOIDCClientID,
	conn + "oidc.clientSecret":             FlagOIDCClientSecretEnv,
	conn + "static":                        FlagStaticUser,
	conn + "static.users.hash":             FlagStaticPasswordHash,
	"spec.apps":                            FlagApp,
	"spec.rbac.bindings":                   FlagAdminGroup,
	"spec.rbac.readOnly":                   FlagReadOnlyGroup,
	"spec.rbac.userNamespaces":             FlagUserNamespace,
	"spec.rbac.teams":                      FlagTeamNamespace,
}
