package v1alpha1

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// managed turns the valid spec into a managed cluster behind the proxy.
func managed(s *AuthStack) {
	s.Spec.Cluster.Installer = InstallerManaged
	s.Spec.Cluster.Provider = ProviderEKS
	s.Spec.Proxy = &Proxy{Host: "k8s.example.com"}
}

func TestManagedDefaultsToProxyMode(t *testing.T) {
	s := validSpec()
	managed(s)
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	p := s.Spec.Proxy
	if s.Spec.APIServer.Mode != ModeProxy || p.Namespace != DefaultProxyNamespace || *p.Replicas != 2 || p.Expose != ExposeLoadBalancer {
		t.Errorf("defaults: mode %s, proxy %+v", s.Spec.APIServer.Mode, p)
	}
	if got := s.Spec.AuthConfigAPIVersion(); got != "apiserver.config.k8s.io/v1" {
		t.Errorf("the proxy reads v1 whatever the cluster's version, got %s", got)
	}
}

func TestManagedRefusesModesThatNeedAPIServerFlags(t *testing.T) {
	for _, m := range []APIServerMode{ModeFlags, ModeAuthConfig} {
		errs := validate(func(s *AuthStack) { managed(s); s.Spec.APIServer.Mode = m })
		wantError(t, errs, "spec.apiServer.mode", "installer managed")
	}
}

func TestProxyModeNeedsProxy(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.APIServer.Mode = ModeProxy })
	wantError(t, errs, "spec.proxy", "needs spec.proxy")
	// Proxy mode works on a self-managed installer too.
	if errs := validate(func(s *AuthStack) {
		s.Spec.APIServer.Mode = ModeProxy
		s.Spec.Proxy = &Proxy{Host: "k8s.example.com"}
	}); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestProxyAndClustersOnlyInProxyMode(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.Proxy = &Proxy{Host: "k8s.example.com"}
		s.Spec.Clusters = []ManagedCluster{{Name: "a", Server: "https://a.example.com", CertificateAuthority: "a.crt", Context: "a"}}
	})
	wantError(t, errs, "spec.proxy", "only with apiServer.mode proxy")
	wantError(t, errs, "spec.clusters", "only with apiServer.mode proxy")
}

func TestProxyFields(t *testing.T) {
	zero := int32(0)
	errs := validate(func(s *AuthStack) {
		managed(s)
		s.Spec.Proxy = &Proxy{Host: "https://k8s.example.com", Replicas: &zero, Expose: ExposeIngress, IngressClassName: "traefik",
			Audit: &ProxyAudit{WebhookURL: "http://audit.example.com", Format: "json"}}
	})
	wantError(t, errs, "spec.proxy.host", "without scheme")
	wantError(t, errs, "spec.proxy.replicas", "at least 1")
	wantError(t, errs, "spec.proxy.ingressClassName", "nginx")
	wantError(t, errs, "spec.proxy.audit.webhookURL", "https")
	wantError(t, errs, "spec.proxy.audit.format", "records")
}

func TestClusters(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		managed(s)
		s.Spec.Clusters = []ManagedCluster{
			{Name: "prod-a", Server: "https://a.example.com", CertificateAuthority: "a.crt", Context: "a"},
			{Name: "prod-a", Server: "http://b.example.com"},
			{Name: "healthz", Server: "https://c.example.com", CertificateAuthority: "c.crt", Context: "c", CredentialSecret: CredentialSecretRef{Name: "authstack-apiproxy-prod-a"}},
		}
	})
	wantError(t, errs, "spec.clusters[1].name", "Duplicate")
	wantError(t, errs, "spec.clusters[1].server", "https")
	wantError(t, errs, "spec.clusters[1].certificateAuthority", "CA bundle")
	wantError(t, errs, "spec.clusters[1].context", "context")
	wantError(t, errs, "spec.clusters[2].name", "serves itself")
	wantError(t, errs, "spec.clusters[2].credentialSecret.name", "Duplicate")
}

func TestSigningAlgsOnlyWhereEnforced(t *testing.T) {
	errs := validate(func(s *AuthStack) { managed(s); s.Spec.APIServer.SigningAlgs = []string{"RS256"} })
	wantError(t, errs, "spec.apiServer.signingAlgs", "no signing algorithms field")
	errs = validate(func(s *AuthStack) {
		s.Spec.Cluster.Installer = InstallerKubespray
		s.Spec.APIServer.Mode = ModeFlags
		s.Spec.APIServer.SigningAlgs = []string{"RS256"}
	})
	wantError(t, errs, "spec.apiServer.signingAlgs", "kubespray has no variable")
	errs = validate(func(s *AuthStack) {
		s.Spec.APIServer.Mode = ModeFlags
		s.Spec.APIServer.SigningAlgs = []string{"RS256", "HS256"}
	})
	wantError(t, errs, "spec.apiServer.signingAlgs[1]", "ES256")
	if errs := validate(func(s *AuthStack) {
		s.Spec.APIServer.Mode = ModeFlags
		s.Spec.APIServer.SigningAlgs = []string{"RS256", "ES256"}
	}); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestTeamTemplates(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.RBAC.Teams = []Team{{Namespace: "shop", Roles: []TeamRole{"sre", "nobody"}}}
		s.Spec.RBAC.TeamTemplates = []TeamTemplate{
			{Name: "sre", Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}}}},
			{Name: "auditor", Extend: true, Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}},
			{Name: TeamDeveloper, Extend: true, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}}}},
		}
	})
	wantError(t, errs, "spec.rbac.teams[0].roles[1]", "sre")
	wantError(t, errs, "spec.rbac.teamTemplates[0].rules[0]", "wildcard reaches Secrets")
	wantError(t, errs, "spec.rbac.teamTemplates[1].extend", "only a built-in team role")
	wantError(t, errs, "spec.rbac.teamTemplates[1].rules[0].nonResourceURLs", "ClusterRole")
	wantError(t, errs, "spec.rbac.teamTemplates[2].rules[0].verbs", "impersonate")
	// allowEscalation is the explicit way out, as for roles.
	if errs := validate(func(s *AuthStack) {
		s.Spec.RBAC.Teams = []Team{{Namespace: "shop", Roles: []TeamRole{"sre"}}}
		s.Spec.RBAC.TeamTemplates = []TeamTemplate{{Name: "sre", AllowEscalation: true,
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}}}}}
	}); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestTeamGroupPatterns(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.RBAC.TeamGroupPattern = "team-<role>"
		s.Spec.RBAC.ClusterTeamGroupPattern = "<cluster>-<namespace>"
		s.Spec.RBAC.ClusterTeamRoles = []TeamRole{TeamWatcher, TeamWatcher}
	})
	wantError(t, errs, "spec.rbac.teamGroupPattern", "<namespace>")
	wantError(t, errs, "spec.rbac.clusterTeamGroupPattern", "<role>")
	wantError(t, errs, "spec.rbac.clusterTeamGroupPattern", "remove <namespace>")
	wantError(t, errs, "spec.rbac.clusterTeamRoles[1]", "Duplicate")

	s := validSpec()
	s.Spec.RBAC.TeamGroupPattern = "k8s-<cluster>-<namespace>-<role>"
	SetDefaults(s)
	if got := s.Spec.TeamGroup(TeamDeveloper, "shop"); got != "k8s-prod-shop-developer" {
		t.Errorf("TeamGroup = %q", got)
	}
	if got := s.Spec.ClusterTeamGroup(TeamWatcher); got != "prod:watcher" {
		t.Errorf("ClusterTeamGroup = %q", got)
	}
}

// The proxy's image is parsed like spec.images: the renderer writes it into
// the proxy's Deployment.
func TestProxyImageIsAnImageReference(t *testing.T) {
	for _, im := range []string{"ghcr.io/a/apiproxy:v1\n        hostNetwork: true", "Apiproxy:v1", "apiproxy:$TAG", "apiproxy:v1 #x"} {
		wantError(t, validate(func(s *AuthStack) { managed(s); s.Spec.Proxy.Image = im }), "spec.proxy.image", "image reference")
	}
	for _, im := range []string{"authstack-apiproxy:dev", "ghcr.io/authstack/authstack-apiproxy:v0.3.0", "registry.local:5000/apiproxy@sha256:" + strings.Repeat("b", 64)} {
		if errs := validate(func(s *AuthStack) { managed(s); s.Spec.Proxy.Image = im }); len(errs) > 0 {
			t.Errorf("%s refused: %v", im, errs)
		}
	}
}
