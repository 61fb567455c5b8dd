package doctor

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
	"github.com/authstack/authstack/pkg/render/apiserver"
)

// structuredAlgs are the algorithms an AuthenticationConfiguration accepts:
// every asymmetric one the API server allows.
var structuredAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// AddAuthenticationConfig reads an AuthenticationConfiguration file
// (v1 or v1beta1) and keeps the API server's own verdict on it.
func (m *Model) AddAuthenticationConfig(source string, data []byte) error {
	var cfg apiserverv1.AuthenticationConfiguration
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return inputErr(source, "not an AuthenticationConfiguration: %v", err)
	}
	if cfg.Kind != "AuthenticationConfiguration" {
		return inputErr(source, "kind is %q, expected AuthenticationConfiguration", cfg.Kind)
	}
	a := &APIServer{Source: source, Mode: "authentication-config", Validated: true, Invalid: apiserver.Validate(data)}
	for i, j := range cfg.JWT {
		a.JWT = append(a.JWT, jwtFromConfig(fmt.Sprintf("%s: jwt[%d]", source, i), j))
	}
	m.APIServers = append(m.APIServers, a)
	return nil
}

func jwtFromConfig(where string, j apiserverv1.JWTAuthenticator) *JWTAuth {
	c := j.ClaimMappings
	ja := &JWTAuth{
		Source: where, Issuer: j.Issuer.URL, IssuerField: where + ".issuer.url",
		Audiences: j.Issuer.Audiences, AudField: where + ".issuer.audiences",
		HasCA: j.Issuer.CertificateAuthority != "", CAField: where + ".issuer.certificateAuthority", CAPEM: j.Issuer.CertificateAuthority,
		UsernameClaim: c.Username.Claim, UsernameExpr: c.Username.Expression, UserField: where + ".claimMappings.username",
		UserPrefField: where + ".claimMappings.username.prefix",
		GroupsClaim:   c.Groups.Claim, GroupsExpr: c.Groups.Expression, GroupsField: where + ".claimMappings.groups",
		GroupsPrefField: where + ".claimMappings.groups.prefix",
		SigningAlgs:     structuredAlgs, AlgsField: where,
	}
	if c.Username.Prefix != nil {
		ja.UsernamePref = *c.Username.Prefix
	}
	if c.Groups.Prefix != nil {
		ja.GroupsPref = *c.Groups.Prefix
	}
	for _, r := range j.UserValidationRules {
		ja.UserRules = append(ja.UserRules, r.Expression)
	}
	for _, r := range j.ClaimValidationRules {
		if r.Expression != "" {
			ja.ClaimRules = append(ja.ClaimRules, ClaimRule{Expression: r.Expression, Message: r.Message})
			continue
		}
		if ja.RequiredClaims == nil {
			ja.RequiredClaims = map[string]string{}
		}
		ja.RequiredClaims[r.Claim] = r.RequiredValue
	}
	return ja
}

// AddAPIServerManifest reads the flags of a kube-apiserver static Pod.
func (m *Model) AddAPIServerManifest(source string, data []byte) error {
	man, err := kubeapiserver.ParseManifest(data)
	if err != nil {
		return inputErr(source, "%v", err)
	}
	m.addFlags(source, kubeapiserver.Effective(man.Args.Flags()), func(name string) string { return "--" + name })
	return nil
}

// AddAPIServerPod reads the flags of a kube-apiserver Pod. A command line
// the API server would misread is kept as an invalid input.
func (m *Model) AddAPIServerPod(source string, pod *corev1.Pod) {
	args, err := kubeapiserver.PodArgs(pod)
	if err != nil {
		m.Invalid = append(m.Invalid, Finding{
			Message:  fmt.Sprintf("%s: the API server's command line cannot be read: %v; nothing of it was checked", source, err),
			Evidence: []string{source},
			Fix:      "write each flag as --name=value",
		})
		return
	}
	m.addFlags(source, kubeapiserver.Effective(args.Flags()), func(name string) string { return "--" + name })
}

// parseFlags reads kube-apiserver flags as the API server would, into the
// value it ends up with for each.
func parseFlags(args []string) (map[string]string, error) {
	a, err := kubeapiserver.ParseArgs(args)
	if err != nil {
		return nil, err
	}
	return kubeapiserver.Effective(a.Flags()), nil
}

// addFlags turns kube-apiserver flags into a view of the API server;
// field names a flag as the file spells it.
func (m *Model) addFlags(source string, flags map[string]string, field func(string) string) {
	var oidc []string
	for k := range flags {
		if strings.HasPrefix(k, "oidc-") {
			oidc = append(oidc, k)
		}
	}
	sort.Strings(oidc)
	_, hasConfig := flags[apiserver.AuthConfigFlag]
	issuer, hasIssuer := flags["oidc-issuer-url"]
	if !hasConfig && !hasIssuer {
		return
	}
	a := &APIServer{Source: source, Mode: "flags"}
	if hasConfig {
		a.Mode = "authentication-config"
	}
	if hasConfig && len(oidc) > 0 {
		a.Both = []string{fmt.Sprintf("%s: %s = %q", source, field(apiserver.AuthConfigFlag), flags[apiserver.AuthConfigFlag])}
		for _, k := range oidc {
			a.Both = append(a.Both, fmt.Sprintf("%s: %s = %q", source, field(k), flags[k]))
		}
	}
	if hasIssuer {
		j := &JWTAuth{
			Source: source + ": " + field("oidc-*"), Flags: true,
			Issuer: issuer, IssuerField: fmt.Sprintf("%s: %s", source, field("oidc-issuer-url")),
			AudField: fmt.Sprintf("%s: %s", source, field("oidc-client-id")),
			CAField:  fmt.Sprintf("%s: %s", source, field("oidc-ca-file")),
			HasCA:    flags["oidc-ca-file"] != "",
			CAFile:   flags["oidc-ca-file"],
		}
		if id := flags["oidc-client-id"]; id != "" {
			j.Audiences = []string{id}
		}
		j.UsernameClaim = flags["oidc-username-claim"]
		if j.UsernameClaim == "" {
			j.UsernameClaim = "sub"
		}
		j.UserField = fmt.Sprintf("%s: %s", source, field("oidc-username-claim"))
		j.UserPrefField = fmt.Sprintf("%s: %s", source, field("oidc-username-prefix"))
		j.GroupsPrefField = fmt.Sprintf("%s: %s", source, field("oidc-groups-prefix"))
		// The API server's defaults: an empty or unset prefix means the
		// issuer URL and '#' for claims other than email; "-" means none.
		// Groups have no default and no "-" (kubernetes
		// pkg/kubeapiserver/options/authentication.go ToAuthenticationConfig).
		p := flags["oidc-username-prefix"]
		switch {
		case p == "-":
			p = ""
		case p == "" && j.UsernameClaim != "email":
			p = issuer + "#"
		}
		j.UsernamePref = p
		j.GroupsClaim = flags["oidc-groups-claim"]
		j.GroupsPref = flags["oidc-groups-prefix"]
		j.GroupsField = fmt.Sprintf("%s: %s", source, field("oidc-groups-claim"))
		j.SigningAlgs = []string{"RS256"}
		if s := flags["oidc-signing-algs"]; s != "" {
			j.SigningAlgs = strings.Split(s, ",")
		}
		j.AlgsField = fmt.Sprintf("%s: %s", source, field("oidc-signing-algs"))
		// --oidc-required-claim is a mapStringString flag: key=value pairs
		// separated by commas (kubernetes pkg/kubeapiserver/options/authentication.go).
		if s := flags["oidc-required-claim"]; s != "" {
			j.RequiredClaims = map[string]string{}
			for _, kv := range strings.Split(s, ",") {
				k, v, _ := strings.Cut(kv, "=")
				j.RequiredClaims[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		a.JWT = append(a.JWT, j)
	}
	m.APIServers = append(m.APIServers, a)
}

// AddKubesprayVars reads kubespray inventory variables, as kubespray's
// templates turn them into flags (kubeapiserver.Options says which).
func (m *Model) AddKubesprayVars(source string, data []byte) error {
	var vars map[string]any
	if err := yaml.Unmarshal(data, &vars); err != nil {
		return inputErr(source, "not a YAML mapping of kubespray variables: %v", err)
	}
	if vars == nil {
		vars = map[string]any{}
	}
	// Ansible renders the Jinja of a value before kubespray uses it: a
	// template is never the value itself.
	vars, err := kubeapiserver.ExpandKubesprayVars(vars)
	if err != nil {
		name, _, _ := strings.Cut(err.Error(), ":")
		if loc := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `[ \t]*:`).FindIndex(data); loc != nil {
			return inputErr(source, "the value at line %d: %v", lineAt(data, loc[0]), err)
		}
		return inputErr(source, "%v", err)
	}
	m.Kubespray = &Kubespray{Source: source, Vars: vars}
	list, oidc, structured := kubeapiserver.KubesprayFlags(vars)
	flags := kubeapiserver.Effective(list)
	if oidc {
		// kube_oidc_url may be missing: keep the view so the checks say so.
		if _, ok := flags["oidc-issuer-url"]; !ok {
			flags["oidc-issuer-url"] = ""
		}
	}
	if structured {
		flags[apiserver.AuthConfigFlag] = "(" + kubeapiserver.KubesprayJWT + ")"
	}
	field := func(flag string) string {
		if v := kubeapiserver.KubesprayVar(flag); v != "" {
			return v
		}
		// kubespray passes other flags only through this map.
		return "kube_kubeadm_apiserver_extra_args." + flag
	}
	if oidc {
		m.addFlags(source, flags, field)
	}
	if structured {
		cfg, b, err := kubeapiserver.KubesprayAuthConfig(vars)
		if err != nil {
			return inputErr(source, "%v", err)
		}
		a := &APIServer{Source: source, Mode: "authentication-config", Validated: true, Invalid: apiserver.Validate(b)}
		for i, j := range cfg.JWT {
			a.JWT = append(a.JWT, jwtFromConfig(fmt.Sprintf("%s: kube_apiserver_authentication_config_jwt[%d]", source, i), j))
		}
		if oidc {
			a.Both = []string{source + ": " + kubeapiserver.KubesprayOIDC + " = true", source + ": " + field(apiserver.AuthConfigFlag) + " = true"}
		}
		m.APIServers = append(m.APIServers, a)
	}
	return nil
}

// AddKubeadmConfig reads the API server extraArgs of a kubeadm ClusterConfiguration.
func (m *Model) AddKubeadmConfig(source string, data []byte) error {
	docs, err := splitYAML(source, data)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d["kind"] != "ClusterConfiguration" {
			continue
		}
		k := &Kubeadm{Source: source, Args: map[string]string{}}
		k.APIVersion, _ = d["apiVersion"].(string)
		k.KubernetesVersion, _ = d["kubernetesVersion"].(string)
		api, _ := d["apiServer"].(map[string]any)
		flags, shape, err := kubeapiserver.ParseKubeadmExtraArgs(api["extraArgs"])
		if err != nil {
			return inputErr(source, "%v", err)
		}
		k.ArgsShape, k.Args = shape, kubeapiserver.Effective(flags)
		m.Kubeadm = k
		m.addFlags(source, k.Args, func(n string) string { return "apiServer.extraArgs." + n })
		return nil
	}
	return inputErr(source, "no ClusterConfiguration document (kind: ClusterConfiguration) in the file")
}
