package v1alpha1

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidSigningAlgs are the JOSE algorithms kube-apiserver accepts in
// --oidc-signing-algs (k8s.io/apiserver plugin/pkg/authenticator/token/oidc:
// allowedSigningAlgs); with an AuthenticationConfiguration it accepts them
// all (k8s.io/kubernetes pkg/kubeapiserver/options/authentication.go: "all
// known signing algs are allowed when using authentication config").
var ValidSigningAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// validateManaged checks installer managed, mode proxy, spec.proxy,
// spec.clusters, apiServer.signingAlgs and the team templates.
func validateManaged(s *Spec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	mode := s.APIServer.Mode
	cp := spec.Child("cluster")
	if s.Cluster.Installer == InstallerManaged && mode != ModeProxy && mode != "" {
		errs = append(errs, field.Invalid(spec.Child("apiServer", "mode"), mode,
			"installer managed means nobody can set the API server's flags or files, so mode "+string(mode)+" would never be applied: use mode proxy (the default for installer managed)"))
	}
	switch s.Cluster.Provider {
	case "":
	case ProviderEKS, ProviderGKE, ProviderAKS, ProviderOther:
		if s.Cluster.Installer != InstallerManaged {
			errs = append(errs, field.Forbidden(cp.Child("provider"), "only with installer managed"))
		}
	default:
		errs = append(errs, field.NotSupported(cp.Child("provider"), s.Cluster.Provider, []Provider{ProviderEKS, ProviderGKE, ProviderAKS, ProviderOther}))
	}
	if mode == ModeProxy {
		if s.Proxy == nil {
			errs = append(errs, field.Required(spec.Child("proxy"), "apiServer.mode proxy needs spec.proxy (at least host), the proxy users reach instead of the API server"))
		} else {
			errs = append(errs, validateProxy(s.Proxy, spec.Child("proxy"))...)
		}
		errs = append(errs, validateClusters(s, spec.Child("clusters"))...)
	} else {
		if s.Proxy != nil {
			errs = append(errs, field.Forbidden(spec.Child("proxy"), fmt.Sprintf("only with apiServer.mode proxy (the mode is %s): the proxy would not be rendered", mode)))
		}
		if len(s.Clusters) > 0 {
			errs = append(errs, field.Forbidden(spec.Child("clusters"), "several clusters are served through the proxy: only with apiServer.mode proxy"))
		}
	}
	errs = append(errs, signingAlgs(s, spec.Child("apiServer", "signingAlgs"))...)
	errs = append(errs, validateTeamTemplates(&s.RBAC, spec.Child("rbac"))...)
	return errs
}

func validateProxy(p *Proxy, fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Host == "" {
		errs = append(errs, field.Required(fp.Child("host"), "the DNS name users reach the proxy at, such as k8s.example.com"))
	} else if msgs := validation.IsDNS1123Subdomain(p.Host); len(msgs) > 0 {
		errs = append(errs, field.Invalid(fp.Child("host"), p.Host, "must be a DNS name without scheme, port or path (the proxy serves https on 443): "+strings.Join(msgs, "; ")))
	}
	errs = append(errs, dnsLabel(p.Namespace, fp.Child("namespace"))...)
	if p.Replicas != nil && *p.Replicas < 1 {
		errs = append(errs, field.Invalid(fp.Child("replicas"), *p.Replicas, "must be at least 1"))
	}
	switch p.Expose {
	case ExposeLoadBalancer:
		if p.IngressClassName != "" {
			errs = append(errs, field.Forbidden(fp.Child("ingressClassName"), "only with expose ingress"))
		}
	case ExposeIngress:
		// The Ingress carries ingress-nginx annotations (backend-protocol
		// HTTPS, read timeouts, no buffering) without which exec, logs -f and
		// watch break or the proxy is reached in plain HTTP.
		if p.IngressClassName != DefaultIngressClass {
			errs = append(errs, field.NotSupported(fp.Child("ingressClassName"), p.IngressClassName, []string{DefaultIngressClass}))
		}
	default:
		errs = append(errs, field.NotSupported(fp.Child("expose"), p.Expose, []ProxyExpose{ExposeLoadBalancer, ExposeIngress}))
	}
	errs = append(errs, dnsSubdomain(p.TLS.SecretName, fp.Child("tls", "secretName"))...)
	if cm := p.TLS.CertManager; cm != nil {
		if cm.Issuer == "" {
			errs = append(errs, field.Required(fp.Child("tls", "certManager", "issuer"), "name of the cert-manager issuer"))
		}
		if cm.Kind != "ClusterIssuer" && cm.Kind != "Issuer" {
			errs = append(errs, field.NotSupported(fp.Child("tls", "certManager", "kind"), cm.Kind, []string{"ClusterIssuer", "Issuer"}))
		}
	}
	if p.Image != "" {
		if _, err := reference.ParseNormalizedNamed(p.Image); err != nil {
			errs = append(errs, field.Invalid(fp.Child("image"), p.Image, "must be an image reference such as ghcr.io/authstack/authstack-apiproxy:v0.3.0 ("+err.Error()+")"))
		}
	}
	if a := p.Audit; a != nil {
		ap := fp.Child("audit")
		// Events carry who did what, and request bodies: never in clear text.
		errs = append(errs, httpsURL(a.WebhookURL, ap.Child("webhookURL"))...)
		if a.Format != AuditRecords && a.Format != AuditEventList {
			errs = append(errs, field.NotSupported(ap.Child("format"), a.Format, []AuditFormat{AuditRecords, AuditEventList}))
		}
	}
	return errs
}

func validateClusters(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	secrets := sets.New[string]()
	for i := range s.Clusters {
		c := &s.Clusters[i]
		cp := p.Index(i)
		errs = append(errs, dnsLabel(c.Name, cp.Child("name"))...)
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		names.Insert(c.Name)
		// The proxy serves its own endpoints next to the cluster paths.
		if slices.Contains([]string{"healthz", "readyz", "livez", "metrics", "api", "apis", "version", "openapi"}, c.Name) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, "is a path the API server or the proxy serves itself; choose another cluster name"))
		}
		errs = append(errs, httpsURL(c.Server, cp.Child("server"))...)
		if c.CertificateAuthority == "" {
			errs = append(errs, field.Required(cp.Child("certificateAuthority"), "a local path to the CA bundle of the cluster's API server (the proxy verifies it; managed clusters use a private CA)"))
		}
		if c.Context == "" {
			errs = append(errs, field.Required(cp.Child("context"), "the kubeconfig context authstack apply installs the proxy's RBAC in the cluster with (kubectl config get-contexts)"))
		}
		errs = append(errs, dnsSubdomain(c.CredentialSecret.Name, cp.Child("credentialSecret", "name"))...)
		if msgs := validation.IsConfigMapKey(c.CredentialSecret.Key); len(msgs) > 0 {
			errs = append(errs, field.Invalid(cp.Child("credentialSecret", "key"), c.CredentialSecret.Key, strings.Join(msgs, "; ")))
		}
		if secrets.Has(c.CredentialSecret.Name) {
			errs = append(errs, field.Duplicate(cp.Child("credentialSecret", "name"), c.CredentialSecret.Name))
		}
		secrets.Insert(c.CredentialSecret.Name)
		if s.Proxy != nil && c.CredentialSecret.Name == s.Proxy.TLS.SecretName {
			errs = append(errs, field.Invalid(cp.Child("credentialSecret", "name"), c.CredentialSecret.Name, "is the proxy's TLS Secret"))
		}
	}
	return errs
}

// signingAlgs allows --oidc-signing-algs only where something enforces it:
// the flag of a kube-apiserver authstack configures. An
// AuthenticationConfiguration has no such field (k8s.io/apiserver
// pkg/apis/apiserver/v1 JWTAuthenticator), and the proxy reads one.
func signingAlgs(s *Spec, p *field.Path) field.ErrorList {
	algs := s.APIServer.SigningAlgs
	if len(algs) == 0 {
		return nil
	}
	var errs field.ErrorList
	switch {
	case s.APIServer.Mode != ModeFlags:
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
			"mode %s reads an AuthenticationConfiguration, which has no signing algorithms field: every asymmetric algorithm (%s) is accepted as long as the issuer's keys match, so the list would not be enforced; remove signingAlgs",
			s.APIServer.Mode, strings.Join(ValidSigningAlgs, ", ")))}
	case s.Cluster.Installer == InstallerKubespray:
		return field.ErrorList{field.Forbidden(p, "kubespray has no variable for --oidc-signing-algs, so the list would not be enforced; remove signingAlgs or give the flag to kubespray by hand (kube_kubeadm_apiserver_extra_args)")}
	}
	seen := sets.New[string]()
	for i, a := range algs {
		if !slices.Contains(ValidSigningAlgs, a) {
			errs = append(errs, field.NotSupported(p.Index(i), a, ValidSigningAlgs))
		}
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(p.Index(i), a))
		}
		seen.Insert(a)
	}
	return errs
}

func knownTeamRole(r *RBAC, role TeamRole, p *field.Path) field.ErrorList {
	if r.KnownTeamRole(role) {
		return nil
	}
	known := append([]TeamRole(nil), BuiltinTeamRoles...)
	for _, t := range r.TeamTemplates {
		if !slices.Contains(known, t.Name) {
			known = append(known, t.Name)
		}
	}
	return field.ErrorList{field.NotSupported(p, role, known)}
}

func validateTeamTemplates(r *RBAC, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[TeamRole]()
	for i, t := range r.TeamTemplates {
		tp := p.Child("teamTemplates").Index(i)
		errs = append(errs, dnsLabel(string(t.Name), tp.Child("name"))...)
		if names.Has(t.Name) {
			errs = append(errs, field.Duplicate(tp.Child("name"), t.Name))
		}
		names.Insert(t.Name)
		if t.Extend && !slices.Contains(BuiltinTeamRoles, t.Name) {
			errs = append(errs, field.Invalid(tp.Child("extend"), true, fmt.Sprintf("only a built-in team role (%s) can be extended; %s is new, so its rules are all it has", joinRoles(BuiltinTeamRoles), t.Name)))
		}
		if len(t.Rules) == 0 {
			errs = append(errs, field.Required(tp.Child("rules"), "at least one rule"))
		}
		// A team role is bound in a namespace: no non-resource URLs.
		errs = append(errs, policyRules(t.Rules, KindRole, t.AllowEscalation, "team template", tp.Child("rules"))...)
	}
	errs = append(errs, groupPattern(r.TeamGroupPattern, true, p.Child("teamGroupPattern"))...)
	errs = append(errs, groupPattern(r.ClusterTeamGroupPattern, false, p.Child("clusterTeamGroupPattern"))...)
	if r.TeamGroupPattern != "" && r.TeamGroupPattern == r.ClusterTeamGroupPattern {
		errs = append(errs, field.Invalid(p.Child("clusterTeamGroupPattern"), r.ClusterTeamGroupPattern, "must differ from teamGroupPattern"))
	}
	seen := sets.New[TeamRole]()
	for i, role := range r.ClusterTeamRoles {
		rp := p.Child("clusterTeamRoles").Index(i)
		errs = append(errs, knownTeamRole(r, role, rp)...)
		if seen.Has(role) {
			errs = append(errs, field.Duplicate(rp, role))
		}
		seen.Insert(role)
	}
	return errs
}

// groupPattern checks a team group pattern. Without <role> every role of a
// team would be one group, and without <namespace> (in a namespace
// pattern) a member of one namespace's team would be in every namespace's.
func groupPattern(v string, namespaced bool, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	var errs field.ErrorList
	if !strings.Contains(v, PatternRole) {
		errs = append(errs, field.Invalid(p, v, "must contain "+PatternRole+": each team role needs a group of its own"))
	}
	if namespaced && !strings.Contains(v, PatternNamespace) {
		errs = append(errs, field.Invalid(p, v, "must contain "+PatternNamespace+": otherwise a member of one namespace's team is a member of every namespace's"))
	}
	if !namespaced && strings.Contains(v, PatternNamespace) {
		errs = append(errs, field.Invalid(p, v, "a cluster-wide group has no namespace: remove "+PatternNamespace))
	}
	if strings.HasPrefix(v, "system:") {
		errs = append(errs, field.Invalid(p, v, `must not start with "system:"`))
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		errs = append(errs, field.Invalid(p, v, "must not contain whitespace or control characters"))
	}
	return errs
}

func joinRoles(roles []TeamRole) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}
