package v1alpha1

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateEdge checks spec.edge and what the provider decides elsewhere in
// the spec. A provider authstack does not know, or a field the provider
// would ignore, is refused: nothing is rendered that serves an app without
// a login, and nothing the user wrote is silently dropped.
func validateEdge(s *Spec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	e, p := &s.Edge, spec.Child("edge")
	provider := s.EdgeProvider()
	switch provider {
	case EdgeIngressNginx, EdgeEnvoyGateway, EdgeTraefik, EdgeGatewayAPI:
	default:
		// An unknown provider would receive routes without any auth: refuse.
		return append(errs, field.NotSupported(p.Child("provider"), e.Provider, EdgeProviders))
	}
	gateway := s.GatewayEdge()
	if gateway && len(e.ParentRefs) == 0 {
		errs = append(errs, field.Required(p.Child("parentRefs"), fmt.Sprintf(
			"the Gateway (and HTTPS listener) the routes attach to, such as [{name: eg, namespace: %s, sectionName: https}]; authstack does not render a Gateway", DefaultEnvoyGatewayNamespace)))
	}
	if !gateway && len(e.ParentRefs) > 0 {
		errs = append(errs, field.Forbidden(p.Child("parentRefs"), fmt.Sprintf("only with provider envoy-gateway or gateway-api; provider %s does not use Gateways", provider)))
	}
	seen := map[ParentRef]bool{}
	for i, r := range e.ParentRefs {
		rp := p.Child("parentRefs").Index(i)
		errs = append(errs, dnsSubdomain(r.Name, rp.Child("name"))...)
		if r.Namespace == "" {
			errs = append(errs, field.Required(rp.Child("namespace"), "the namespace of the Gateway: dex and the apps are in different namespaces, so a parentRef without one would name a different Gateway for each"))
		} else {
			errs = append(errs, dnsLabel(r.Namespace, rp.Child("namespace"))...)
		}
		if r.SectionName != "" {
			errs = append(errs, dnsSubdomain(r.SectionName, rp.Child("sectionName"))...)
		}
		if seen[r] {
			errs = append(errs, field.Duplicate(rp, r))
		}
		seen[r] = true
	}
	if e.Traefik != nil && provider != EdgeTraefik {
		errs = append(errs, field.Forbidden(p.Child("traefik"), "only with provider traefik"))
	}
	if t := e.Traefik; t != nil && provider == EdgeTraefik {
		switch t.Kind {
		case TraefikIngressRoute, TraefikIngress:
		default:
			errs = append(errs, field.NotSupported(p.Child("traefik", "kind"), t.Kind, []TraefikKind{TraefikIngressRoute, TraefikIngress}))
		}
		for i, ep := range t.EntryPoints {
			// Traefik entry point names are free-form, but they go into a
			// comma-separated annotation for kind Ingress.
			if ep == "" || strings.ContainsAny(ep, ", @\t\n") {
				errs = append(errs, field.Invalid(p.Child("traefik", "entryPoints").Index(i), ep, "must be the name of a Traefik entry point, such as websecure"))
			}
		}
	}
	if provider == EdgeIngressNginx {
		// validateApps keeps apps on class nginx. dex's class is written
		// into its Ingress by the chart (templates/authstack): an
		// IngressClass is an object name, so a DNS subdomain (k8s.io/api
		// networking/v1 IngressSpec.ingressClassName); anything else, such
		// as a newline, would add keys to the rendered Ingress.
		if d := s.Issuer.Dex; d != nil && d.IngressClassName != "" {
			errs = append(errs, dnsSubdomain(d.IngressClassName, spec.Child("issuer", "dex", "ingressClassName"))...)
		}
		return errs
	}
	if d := s.Issuer.Dex; d != nil {
		dp := spec.Child("issuer", "dex")
		errs = append(errs, edgeClass(s, d.IngressClassName, dp.Child("ingressClassName"))...)
		if gateway && d.TLS.CertManager != nil {
			// cert-manager's Gateway support reads annotations on the
			// Gateway, which authstack does not render
			// (cert-manager.io/docs/usage/gateway).
			errs = append(errs, field.Forbidden(dp.Child("tls", "certManager"), fmt.Sprintf(
				"with provider %s, TLS ends at the Gateway's listener: have cert-manager issue its certificate (cert-manager.io/cluster-issuer on the Gateway) and list dex's host there", provider)))
		}
	}
	for i := range s.Apps {
		a, ap := &s.Apps[i], spec.Child("apps").Index(i)
		errs = append(errs, edgeClass(s, a.IngressClassName, ap.Child("ingressClassName"))...)
		if a.Upstream.Protocol == "HTTPS" {
			errs = append(errs, field.Forbidden(ap.Child("upstream", "protocol"), fmt.Sprintf(
				"an HTTPS upstream is rendered only for ingress-nginx today; with provider %s serve the app over HTTP inside the cluster (Kubernetes Dashboard: --insecure-port), or use ingress-nginx", provider)))
		}
		if provider == EdgeGatewayAPI && a.Identity == IdentityHeaders {
			// Gateway API's ExternalAuth filter copies the auth response's
			// headers onto the request, overriding the client's
			// (gateway-api apis/v1 HTTPAuthConfig.AllowedResponseHeaders),
			// but a header oauth2-proxy omits (X-Auth-Request-Groups of a
			// user without groups) keeps the client's value, and the
			// standard API has no way to strip it before the filter.
			errs = append(errs, field.Forbidden(ap.Child("identity"), "identity headers cannot be protected with provider gateway-api: a header oauth2-proxy does not send (X-Auth-Request-Groups of a user in no group) reaches the app with whatever value the client wrote, and standard Gateway API cannot remove it before the auth filter; use provider envoy-gateway (authstack strips them with a ClientTrafficPolicy) or traefik, or identity token"))
		}
	}
	return errs
}

// edgeClass checks an ingressClassName against the provider: a Gateway
// needs none, Traefik any class but ingress-nginx's.
func edgeClass(s *Spec, class string, p *field.Path) field.ErrorList {
	switch s.EdgeProvider() {
	case EdgeEnvoyGateway, EdgeGatewayAPI:
		if class != "" {
			return field.ErrorList{field.Forbidden(p, fmt.Sprintf("provider %s attaches routes to spec.edge.parentRefs; an ingress class is not used (%q would be ignored)", s.EdgeProvider(), class))}
		}
	case EdgeTraefik:
		if class == DefaultIngressClass {
			return field.ErrorList{field.Invalid(p, class, fmt.Sprintf("class %q is ingress-nginx's; Traefik's is usually %q (traefik's --providers.kubernetesingress.ingressclass)", class, DefaultTraefikClass))}
		}
		return dnsSubdomain(class, p)
	}
	return nil
}

// edgeWarnings are the edge choices a user should know the cost of.
func edgeWarnings(s *Spec) []Warning {
	p := field.NewPath("spec", "edge", "provider").String()
	switch s.EdgeProvider() {
	case EdgeIngressNginx:
		// kubernetes.io/blog/2025/11/11/ingress-nginx-retirement: best-effort
		// maintenance until March 2026, then no releases or security fixes.
		return []Warning{{Field: p, Message: "ingress-nginx is retired (no releases or security fixes since March 2026); consider provider envoy-gateway, traefik or gateway-api (docs/edges.md)"}}
	case EdgeGatewayAPI:
		return []Warning{{Field: p, Message: "gateway-api uses the HTTPRoute ExternalAuth filter, experimental in Gateway API v1.6: the cluster needs the experimental-channel CRDs and an implementation that supports it; one that does not must refuse the route rather than serve it (docs/edges.md)"}}
	}
	return nil
}
