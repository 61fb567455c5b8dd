package doctor

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

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
	var pod corev1.Pod
	if err := yaml.Unmarshal(data, &pod); err != nil {
		return inputErr(source, "not a Pod manifest: %v", err)
	}
	if pod.Kind != "Pod" || len(pod.Spec.Containers) == 0 {
		return inputErr(source, "expected a kube-apiserver Pod with one container, got kind %q", pod.Kind)
	}
	m.AddAPIServerPod(source, &pod)
	return nil
}

// AddAPIServerPod reads the flags of a kube-apiserver Pod.
func (m *Model) AddAPIServerPod(source string, pod *corev1.Pod) {
	c := pod.Spec.Containers[0]
	for _, cc := range pod.Spec.Containers {
		if cc.Name == "kube-apiserver" {
			c = cc
		}
	}
	args := append(append([]string{}, c.Command...), c.Args...)
	m.addFlags(source, parseFlags(args), func(name string) string { return "--" + name })
}

func parseFlags(args []string) map[string]string {
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			v = args[i+1]
			i++
		}
		flags[k] = v
	}
	return flags
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

// kubesprayFlags maps kubespray's kube_oidc_* variables to API server flags.
var kubesprayFlags = map[string]string{
	"kube_oidc_url": "oidc-issuer-url", "kube_oidc_client_id": "oidc-client-id", "kube_oidc_ca_file": "oidc-ca-file",
	"kube_oidc_username_claim": "oidc-username-claim", "kube_oidc_username_prefix": "oidc-username-prefix",
	"kube_oidc_groups_claim": "oidc-groups-claim", "kube_oidc_groups_prefix": "oidc-groups-prefix",
	"kube_oidc_signing_algs": "oidc-signing-algs",
}

// AddKubesprayVars reads kubespray inventory variables.
func (m *Model) AddKubesprayVars(source string, data []byte) error {
	var vars map[string]any
	if err := yaml.Unmarshal(data, &vars); err != nil {
		return inputErr(source, "not a YAML mapping of kubespray variables: %v", err)
	}
	if vars == nil {
		vars = map[string]any{}
	}
	m.Kubespray = &Kubespray{Source: source, Vars: vars}
	oidc := vars["kube_oidc_auth"] == true
	structured := vars["kube_apiserver_use_authentication_config_file"] == true
	flags := map[string]string{}
	if oidc {
		for v, f := range kubesprayFlags {
			if s, ok := vars[v]; ok && s != nil {
				flags[f] = fmt.Sprint(s)
			}
		}
		// kube_oidc_url may be missing: keep the view so the checks say so.
		if _, ok := flags["oidc-issuer-url"]; !ok {
			flags["oidc-issuer-url"] = ""
		}
	}
	if structured {
		flags[apiserver.AuthConfigFlag] = "(kube_apiserver_authentication_config_jwt)"
	}
	field := func(flag string) string {
		if flag == apiserver.AuthConfigFlag {
			return "kube_apiserver_use_authentication_config_file"
		}
		for v, f := range kubesprayFlags {
			if f == flag {
				return v
			}
		}
		return "kube_" + strings.ReplaceAll(flag, "-", "_")
	}
	if oidc {
		m.addFlags(source, flags, field)
	}
	if structured {
		jwt, _ := vars["kube_apiserver_authentication_config_jwt"].([]any)
		doc := map[string]any{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": jwt}
		b, err := yaml.Marshal(doc)
		if err != nil {
			return inputErr(source, "kube_apiserver_authentication_config_jwt: %v", err)
		}
		var cfg apiserverv1.AuthenticationConfiguration
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			return inputErr(source, "kube_apiserver_authentication_config_jwt: %v", err)
		}
		a := &APIServer{Source: source, Mode: "authentication-config", Validated: true, Invalid: apiserver.Validate(b)}
		for i, j := range cfg.JWT {
			a.JWT = append(a.JWT, jwtFromConfig(fmt.Sprintf("%s: kube_apiserver_authentication_config_jwt[%d]", source, i), j))
		}
		if oidc {
			a.Both = []string{source + ": kube_oidc_auth = true", source + ": kube_apiserver_use_authentication_config_file = true"}
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
		api, _ := d["apiServer"].(map[string]any)
		switch args := api["extraArgs"].(type) {
		case map[string]any:
			k.ArgsShape = "map"
			for n, v := range args {
				k.Args[n] = fmt.Sprint(v)
			}
		case []any:
			k.ArgsShape = "list"
			for _, it := range args {
				if e, ok := it.(map[string]any); ok {
					k.Args[fmt.Sprint(e["name"])] = fmt.Sprint(e["value"])
				}
			}
		}
		m.Kubeadm = k
		m.addFlags(source, k.Args, func(n string) string { return "apiServer.extraArgs." + n })
		return nil
	}
	return inputErr(source, "no ClusterConfiguration document (kind: ClusterConfiguration) in the file")
}
