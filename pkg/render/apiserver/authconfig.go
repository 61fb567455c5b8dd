// Package apiserver renders the kube-apiserver side of the stack: the
// AuthenticationConfiguration file or the --oidc-* flags, and their
// translation for each installer (kubespray, kubeadm, kind).
package apiserver

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authenticationcel "k8s.io/apiserver/pkg/authentication/cel"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

// JWTAuthenticator returns the spec's issuer as the API server's typed
// JWT authenticator. caPEM is the issuer CA bundle, or empty when the
// issuer's certificate is publicly trusted.
func JWTAuthenticator(spec *v1alpha1.Spec, caPEM string) apiserverv1.JWTAuthenticator {
	a := spec.APIServer
	j := apiserverv1.JWTAuthenticator{
		Issuer: apiserverv1.Issuer{
			URL:                  spec.IssuerURL(),
			Audiences:            a.Audiences,
			CertificateAuthority: caPEM,
		},
		ClaimMappings: apiserverv1.ClaimMappings{
			Username: apiserverv1.PrefixedClaimOrExpression{Claim: a.UsernameClaim, Prefix: ptr(*a.UsernamePrefix)},
			Groups:   apiserverv1.PrefixedClaimOrExpression{Claim: a.GroupsClaim, Prefix: ptr(*a.GroupsPrefix)},
		},
	}
	if len(a.Audiences) > 1 {
		j.Issuer.AudienceMatchPolicy = apiserverv1.AudienceMatchPolicyMatchAny
	}
	for _, k := range sortedKeys(a.RequiredClaims) {
		j.ClaimValidationRules = append(j.ClaimValidationRules, apiserverv1.ClaimValidationRule{Claim: k, RequiredValue: a.RequiredClaims[k]})
	}
	for _, r := range a.ClaimValidationRules {
		j.ClaimValidationRules = append(j.ClaimValidationRules, apiserverv1.ClaimValidationRule{Expression: r.Expression, Message: r.Message})
	}
	// Without a prefix (allowUnprefixed) a token could name a user or group
	// the cluster reserves, such as system:masters; the API server itself
	// does not refuse them, so the configuration does.
	if *a.UsernamePrefix == "" {
		j.UserValidationRules = append(j.UserValidationRules, apiserverv1.UserValidationRule{
			Expression: "!user.username.startsWith('system:')",
			Message:    "usernames from this issuer must not start with system:",
		})
	}
	if *a.GroupsPrefix == "" {
		j.UserValidationRules = append(j.UserValidationRules, apiserverv1.UserValidationRule{
			Expression: "user.groups.all(g, !g.startsWith('system:'))",
			Message:    "groups from this issuer must not start with system:",
		})
	}
	return j
}

// AuthenticationConfiguration renders the file given to the API server with
// --authentication-config, in the version the cluster's Kubernetes reads,
// and checks it with the API server's own validation.
func AuthenticationConfiguration(spec *v1alpha1.Spec, caPEM string) ([]byte, error) {
	cfg := apiserverv1.AuthenticationConfiguration{JWT: []apiserverv1.JWTAuthenticator{JWTAuthenticator(spec, caPEM)}}
	cfg.APIVersion = spec.AuthConfigAPIVersion()
	cfg.Kind = "AuthenticationConfiguration"
	// v1beta1 has the same fields as v1 for everything authstack sets.
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}

// codecs decode the API server's configuration types. Built on first use,
// not at package initialisation, which every command pays (even version).
var codecs = sync.OnceValue(func() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict)
})

// celCompiler is built once per process: building its CEL environment costs
// more than validating a configuration with it.
var celCompiler = sync.OnceValue(authenticationcel.NewDefaultCompiler)

// Validate decodes an AuthenticationConfiguration file strictly and applies
// the validation the API server runs at start-up.
func Validate(data []byte) error {
	obj, _, err := codecs().UniversalDecoder().Decode(data, nil, &apiserverapi.AuthenticationConfiguration{})
	if err != nil {
		return fmt.Errorf("authentication configuration: %w", err)
	}
	cfg, ok := obj.(*apiserverapi.AuthenticationConfiguration)
	if !ok {
		return fmt.Errorf("authentication configuration: decoded %T", obj)
	}
	if errs := validation.ValidateAuthenticationConfiguration(celCompiler(), cfg, nil); len(errs) > 0 {
		return fmt.Errorf("authentication configuration is invalid: %w", errs.ToAggregate())
	}
	return nil
}

// Flag is one kube-apiserver command-line flag, without the leading dashes.
type Flag = kubeapiserver.Flag

// OIDCFlagNames are every --oidc-* flag; switching to an AuthenticationConfiguration removes them all.
var OIDCFlagNames = kubeapiserver.OIDCFlags()

// AuthConfigFlag is the flag that points the API server at the file.
const AuthConfigFlag = kubeapiserver.AuthConfigFlag

// Flags returns the API server flags for the spec's mode. hasCA says whether
// the issuer CA file is installed at spec.apiServer.issuerCAPath.
func Flags(spec *v1alpha1.Spec, hasCA bool) []Flag {
	a := spec.APIServer
	if a.Mode == v1alpha1.ModeAuthConfig {
		return []Flag{{Name: AuthConfigFlag, Value: a.AuthenticationConfigPath}}
	}
	flags := []Flag{
		{Name: "oidc-issuer-url", Value: spec.IssuerURL()},
		{Name: "oidc-client-id", Value: a.Audiences[0]},
	}
	if hasCA {
		flags = append(flags, Flag{Name: "oidc-ca-file", Value: a.IssuerCAPath})
	}
	flags = append(flags,
		Flag{Name: "oidc-username-claim", Value: a.UsernameClaim},
		Flag{Name: "oidc-username-prefix", Value: *a.UsernamePrefix},
		Flag{Name: "oidc-groups-claim", Value: a.GroupsClaim},
		Flag{Name: "oidc-groups-prefix", Value: *a.GroupsPrefix},
	)
	// A StringSlice flag: one comma-separated value (validation allows it in
	// mode flags only, and not for kubespray, which has no variable for it).
	if len(a.SigningAlgs) > 0 {
		flags = append(flags, Flag{Name: "oidc-signing-algs", Value: strings.Join(a.SigningAlgs, ",")})
	}
	// One key=value per flag: kube-apiserver does not split the value at
	// commas (MapStringStringNoSplit). Validation allows one in flags mode.
	for _, k := range sortedKeys(a.RequiredClaims) {
		flags = append(flags, Flag{Name: "oidc-required-claim", Value: k + "=" + a.RequiredClaims[k]})
	}
	return flags
}

// CheckFlags refuses a flag value that would not stay one value of one
// flag. Validation refuses such specs already; this keeps a renderer from
// writing a second flag if a value ever gets past it.
func CheckFlags(flags []Flag) error {
	for _, f := range flags {
		if v1alpha1.UnsafeInFlag(f.Value) {
			return fmt.Errorf("kube-apiserver flag --%s: value %q has whitespace, control characters, quotes or backslashes", f.Name, f.Value)
		}
	}
	return nil
}

// RemovedFlags are the flags that must not stay on the API server in the
// spec's mode: it refuses --oidc-* together with --authentication-config.
func RemovedFlags(spec *v1alpha1.Spec) []string {
	if spec.APIServer.Mode == v1alpha1.ModeAuthConfig {
		return OIDCFlagNames
	}
	return []string{AuthConfigFlag}
}

func ptr(s string) *string { return &s }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
