package v1alpha1

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validSpec is the smallest spec that validates, written as a user would
// (before defaults).
func validSpec() *AuthStack {
	return &AuthStack{APIVersion: APIVersion, Kind: Kind, Spec: Spec{
		Cluster: Cluster{Name: "prod", KubernetesVersion: "1.34", Installer: InstallerKubeadm},
		Issuer: Issuer{Dex: &Dex{Host: "dex.example.com", Connectors: []Connector{{LDAP: &LDAPConnector{
			Host:       "ldap.example.com:636",
			UserSearch: LDAPUserSearch{BaseDN: "ou=people,dc=example,dc=com", Username: "mail", PreferredUsernameAttr: "uid"},
		}}}}},
		TLS: TLS{CertManager: &CertManager{Issuer: "letsencrypt"}},
	}}
}

// validate edits a valid spec, defaults and validates it.
func validate(edit func(*AuthStack)) field.ErrorList {
	s := validSpec()
	edit(s)
	SetDefaults(s)
	return Validate(s)
}

func str(s string) *string { return &s }

// wantError checks that one error is about the field at path and says want.
func wantError(t *testing.T, errs field.ErrorList, path, want string) {
	t.Helper()
	for _, e := range errs {
		if e.Field == path && strings.Contains(e.Error(), want) {
			return
		}
	}
	t.Errorf("no error at %s saying %q; got %v", path, want, errs)
}

func TestValidSpecIsValid(t *testing.T) {
	if errs := validate(func(*AuthStack) {}); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestPrefixesCannotBuildSystemNames(t *testing.T) {
	for _, p := range []string{"system", "sys", "s", "system:", "system:oidc:", "syst"} {
		for _, f := range []string{"usernamePrefix", "groupsPrefix"} {
			t.Run(f+"="+p, func(t *testing.T) {
				errs := validate(func(s *AuthStack) {
					if f == "usernamePrefix" {
						s.Spec.APIServer.UsernamePrefix = str(p)
					} else {
						s.Spec.APIServer.GroupsPrefix = str(p)
					}
				})
				wantError(t, errs, "spec.apiServer."+f, "system:")
			})
		}
	}
}

func TestPrefixesEndWithAColon(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.APIServer.GroupsPrefix = str("oidc") })
	wantError(t, errs, "spec.apiServer.groupsPrefix", `must end with ":"`)
	for _, ok := range []string{"oidc:", "corp:sso:", "a:"} {
		if errs := validate(func(s *AuthStack) { s.Spec.APIServer.GroupsPrefix = str(ok) }); len(errs) > 0 {
			t.Errorf("%q: %v", ok, errs)
		}
	}
}

func TestUnprefixedNeedsConsent(t *testing.T) {
	errs := validate(func(s *AuthStack) { s.Spec.APIServer.UsernamePrefix = str("") })
	wantError(t, errs, "spec.apiServer.usernamePrefix", "allowUnprefixed")
	if errs := validate(func(s *AuthStack) {
		s.Spec.APIServer.UsernamePrefix = str("")
		s.Spec.APIServer.AllowUnprefixed = true
	}); len(errs) > 0 {
		t.Errorf("allowUnprefixed: %v", errs)
	}
}

func TestStringsThatReachFlagsCannotInjectFlags(t *testing.T) {
	flags := func(s *AuthStack) { s.Spec.APIServer.Mode = ModeFlags }
	tests := []struct {
		name string
		edit func(*AuthStack)
		path string
	}{
		{"username claim with a second flag", func(s *AuthStack) { s.Spec.APIServer.UsernameClaim = "email --oidc-groups-prefix=" }, "spec.apiServer.usernameClaim"},
		{"groups claim with a newline", func(s *AuthStack) { s.Spec.APIServer.GroupsClaim = "groups\n--oidc-username-prefix=-" }, "spec.apiServer.groupsClaim"},
		{"claim name with =", func(s *AuthStack) { s.Spec.APIServer.UsernameClaim = "a=b" }, "spec.apiServer.usernameClaim"},
		{"required claim name with a space", func(s *AuthStack) { s.Spec.APIServer.RequiredClaims = map[string]string{"hd x": "a"} }, "spec.apiServer.requiredClaims[hd x]"},
		{"required claim value with a newline", func(s *AuthStack) {
			s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "example.com\n--oidc-username-prefix=-"}
		}, "spec.apiServer.requiredClaims[hd]"},
		{"required claim value with a newline, authentication config", func(s *AuthStack) {
			s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "example.com\n"}
		}, "spec.apiServer.requiredClaims[hd]"},
		{"required claim value with a space in flags", func(s *AuthStack) {
			flags(s)
			s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "a, b"}
		}, "spec.apiServer.requiredClaims[hd]"},
		{"audience with a space in flags", func(s *AuthStack) { flags(s); s.Spec.APIServer.Audiences = []string{"kubernetes --x"} }, "spec.apiServer.audiences[0]"},
		{"kubectl client id with a space", func(s *AuthStack) { s.Spec.Kubectl.ClientID = "kubernetes --x" }, "spec.kubectl.clientID"},
		{"prefix with a space", func(s *AuthStack) { s.Spec.APIServer.UsernamePrefix = str("oidc: --x=:") }, "spec.apiServer.usernamePrefix"},
		{"CA path with a space", func(s *AuthStack) { flags(s); s.Spec.APIServer.IssuerCAPath = "/etc/ca.crt --x" }, "spec.apiServer.issuerCAPath"},
		{"config path with a newline", func(s *AuthStack) { s.Spec.APIServer.AuthenticationConfigPath = "/etc/a.yaml\n--x" }, "spec.apiServer.authenticationConfigPath"},
		{"dex path with a space", func(s *AuthStack) { s.Spec.Issuer.Dex.Path = "/dex --x" }, "spec.issuer.dex.path"},
		{"external issuer with a space", func(s *AuthStack) {
			s.Spec.Issuer.Dex = nil
			s.Spec.Issuer.External = &ExternalIssuer{URL: "https://idp.example.com/a --oidc-username-prefix=-"}
		}, "spec.issuer.external.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, validate(tt.edit), tt.path, "")
		})
	}
	for _, ok := range []string{"email", "preferred_username", "https://example.com/claims/groups", "cognito:groups"} {
		if errs := validate(func(s *AuthStack) { s.Spec.APIServer.GroupsClaim = ok }); len(errs) > 0 {
			t.Errorf("claim %q: %v", ok, errs)
		}
	}
}

func TestRequiredClaimsTheInstallerCannotEnforceAreRefused(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.Cluster.Installer = InstallerKubespray
		s.Spec.APIServer.Mode = ModeFlags
		s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "example.com"}
	})
	wantError(t, errs, "spec.apiServer.requiredClaims", "use mode authentication-config")
	errs = validate(func(s *AuthStack) {
		s.Spec.APIServer.Mode = ModeFlags
		s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "example.com", "tenant": "a"}
	})
	wantError(t, errs, "spec.apiServer.requiredClaims", "one required claim")
	if errs := validate(func(s *AuthStack) {
		s.Spec.Cluster.Installer = InstallerKubespray
		s.Spec.APIServer.RequiredClaims = map[string]string{"hd": "example.com", "tenant": "a"}
	}); len(errs) > 0 {
		t.Errorf("kubespray with an AuthenticationConfiguration enforces required claims: %v", errs)
	}
}

func TestUserAndTeamNamespacesCannotBeNamespacesTheClusterOrTheStackUses(t *testing.T) {
	withApp := func(s *AuthStack) {
		s.Spec.Apps = []App{{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders}}
	}
	for _, ns := range []string{"kube-system", "kube-public", "kube-node-lease", "default", "dex", "ingress-nginx", "monitoring"} {
		t.Run(ns, func(t *testing.T) {
			errs := validate(func(s *AuthStack) {
				withApp(s)
				s.Spec.RBAC.UserNamespaces = []UserNamespace{{User: "alice@example.com", Namespace: ns}}
				s.Spec.RBAC.Teams = []Team{{Namespace: ns}}
			})
			wantError(t, errs, "spec.rbac.userNamespaces[0].namespace", "")
			wantError(t, errs, "spec.rbac.teams[0].namespace", "")
		})
	}
	errs := validate(func(s *AuthStack) {
		s.Spec.Issuer.Dex.Namespace = "sso"
		s.Spec.RBAC.UserNamespaces = []UserNamespace{{User: "alice@example.com", Namespace: "sso"}}
	})
	wantError(t, errs, "spec.rbac.userNamespaces[0].namespace", "dex runs there")
	if errs := validate(func(s *AuthStack) {
		withApp(s)
		s.Spec.RBAC.UserNamespaces = []UserNamespace{{User: "alice@example.com"}}
		s.Spec.RBAC.Teams = []Team{{Namespace: "shop"}}
	}); len(errs) > 0 {
		t.Errorf("ordinary namespaces: %v", errs)
	}
}

func TestAppsNeedAnIngressClassWhoseAuthAuthstackRenders(t *testing.T) {
	app := func(class string) func(*AuthStack) {
		return func(s *AuthStack) {
			s.Spec.Apps = []App{{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders, IngressClassName: class}}
		}
	}
	for _, class := range []string{"traefik", "haproxy", "nginx-internal", "NGINX"} {
		wantError(t, validate(app(class)), "spec.apps[0].ingressClassName", "only ingress-nginx")
	}
	s := validSpec()
	app("")(s)
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 || s.Spec.Apps[0].IngressClassName != "nginx" {
		t.Errorf("an empty class must default to nginx, explicitly: %q, %v", s.Spec.Apps[0].IngressClassName, errs)
	}
}

func TestUnverifiedEmailsCannotNameUsers(t *testing.T) {
	upstream := func(s *AuthStack) {
		s.Spec.Issuer.Dex.Connectors = append(s.Spec.Issuer.Dex.Connectors, Connector{OIDC: &OIDCConnector{
			Issuer: "https://login.example.com", ClientID: "dex", ClientSecret: &SecretRef{Env: "X"}, InsecureSkipEmailVerified: true,
		}})
	}
	errs := validate(upstream)
	wantError(t, errs, "spec.issuer.dex.connectors[1].oidc.insecureSkipEmailVerified", "email")
	errs = validate(func(s *AuthStack) {
		upstream(s)
		s.Spec.APIServer.UsernameClaim = "sub"
		s.Spec.Apps = []App{{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders, AllowedEmailDomains: []string{"example.com"}}}
	})
	wantError(t, errs, "spec.issuer.dex.connectors[1].oidc.insecureSkipEmailVerified", "allowedEmailDomains")
	if errs := validate(func(s *AuthStack) {
		upstream(s)
		s.Spec.APIServer.UsernameClaim = "sub"
	}); len(errs) > 0 {
		t.Errorf("with sub as the username: %v", errs)
	}
}

func TestOpenAppsBehindAnExternalIssuerAreWarnedAbout(t *testing.T) {
	spec := func(edit func(*App)) *AuthStack {
		s := validSpec()
		s.Spec.Issuer.Dex = nil
		s.Spec.Issuer.External = &ExternalIssuer{URL: "https://login.example.com", AppClientSecret: &SecretRef{Env: "X"}}
		a := App{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders}
		if edit != nil {
			edit(&a)
		}
		s.Spec.Apps = []App{a}
		SetDefaults(s)
		if errs := Validate(s); len(errs) > 0 {
			t.Fatal(errs)
		}
		return s
	}
	ws := nonEdgeWarnings(spec(nil))
	if len(ws) != 1 || ws[0].Field != "spec.apps[0]" || !strings.Contains(ws[0].Message, "every user") {
		t.Fatalf("warnings = %v, want one about spec.apps[0] admitting every user", ws)
	}
	for name, edit := range map[string]func(*App){
		"groups":  func(a *App) { a.AllowedGroups = []string{"sre"} },
		"domains": func(a *App) { a.AllowedEmailDomains = []string{"example.com"} },
	} {
		if ws := nonEdgeWarnings(spec(edit)); len(ws) > 0 {
			t.Errorf("%s: %v", name, ws)
		}
	}
}

// dex's GitHub connector without orgs admits every GitHub account: said at
// the connector, and at every app that sets no limit of its own.
func TestGitHubWithoutOrgsIsWarnedAbout(t *testing.T) {
	spec := func(orgs []GitHubOrg, groups []string) *AuthStack {
		s := validSpec()
		s.Spec.Issuer.Dex.Connectors = []Connector{{GitHub: &GitHubConnector{ClientID: "x", ClientSecret: &SecretRef{Env: "GH"}, Orgs: orgs}}}
		s.Spec.Apps = []App{{Name: "grafana", Host: "grafana.example.com", Namespace: "monitoring", Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders, AllowedGroups: groups}}
		SetDefaults(s)
		if errs := Validate(s); len(errs) > 0 {
			t.Fatal(errs)
		}
		return s
	}
	ws := nonEdgeWarnings(spec(nil, nil))
	if len(ws) != 2 || ws[0].Field != "spec.issuer.dex.connectors[0].github.orgs" || ws[1].Field != "spec.apps[0]" || !strings.Contains(ws[1].Message, "every GitHub account") {
		t.Fatalf("warnings = %v, want one at the connector and one at the app", ws)
	}
	if ws := nonEdgeWarnings(spec(nil, []string{"acme:sre"})); len(ws) != 1 {
		t.Errorf("an app with allowedGroups: warnings = %v, want only the connector's", ws)
	}
	if ws := nonEdgeWarnings(spec([]GitHubOrg{{Name: "acme"}}, nil)); len(ws) != 0 {
		t.Errorf("orgs listed: warnings = %v, want none", ws)
	}
}

func externalIssuer(s *AuthStack) {
	s.Spec.Issuer = Issuer{External: &ExternalIssuer{URL: "https://keycloak.example.com/realms/a", AppClientSecret: &SecretRef{Env: "X"}}}
}

func tokenApp(s *AuthStack) {
	s.Spec.Apps = append(s.Spec.Apps, App{Name: "dash", Host: "dash.example.com", Namespace: "apps", Identity: IdentityToken,
		Upstream: Upstream{Service: "dash", Port: 443}, AppNetworkPolicy: AppNetworkPolicy{PodSelector: map[string]string{"a": "b"}}})
}

// The id token an external issuer gives a proxy has the proxy's client id as
// audience (OIDC Core 1.0 section 2: aud contains the RP's client_id); the
// API server must accept it, or the app gets 401.
func TestExternalIssuerTokenAppAudience(t *testing.T) {
	t.Run("defaults accept the proxy's client", func(t *testing.T) {
		s := validSpec()
		externalIssuer(s)
		tokenApp(s)
		SetDefaults(s)
		if errs := Validate(s); len(errs) > 0 {
			t.Fatal(errs)
		}
		if got := s.Spec.APIServer.Audiences; !slices.Contains(got, "oauth2-proxy-dash") || !slices.Contains(got, "kubernetes") {
			t.Errorf("audiences = %v, want kubernetes and oauth2-proxy-dash", got)
		}
	})
	t.Run("audiences without the proxy's client", func(t *testing.T) {
		errs := validate(func(s *AuthStack) {
			externalIssuer(s)
			tokenApp(s)
			s.Spec.APIServer.Audiences = []string{"kubernetes"}
		})
		wantError(t, errs, "spec.apiServer.audiences", `"oauth2-proxy-dash"`)
	})
	t.Run("flags mode has one audience", func(t *testing.T) {
		errs := validate(func(s *AuthStack) {
			externalIssuer(s)
			tokenApp(s)
			s.Spec.APIServer.Mode = ModeFlags
		})
		wantError(t, errs, "spec.apiServer.audiences", "authentication-config")
	})
	t.Run("headers app needs nothing", func(t *testing.T) {
		errs := validate(func(s *AuthStack) {
			externalIssuer(s)
			tokenApp(s)
			s.Spec.Apps[0].Identity = IdentityHeaders
			s.Spec.APIServer.Mode = ModeFlags
		})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
	})
	t.Run("dex: audiences without the kubectl client", func(t *testing.T) {
		errs := validate(func(s *AuthStack) {
			tokenApp(s)
			s.Spec.APIServer.Audiences = []string{"other"}
		})
		wantError(t, errs, "spec.apiServer.audiences", `"kubernetes"`)
	})
}

func withRBAC(r RBAC) func(*AuthStack) { return func(s *AuthStack) { s.Spec.RBAC = r } }

var (
	ops       = Subjects{Groups: []string{"ops"}}
	readPods  = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}
	deployer  = Role{Name: "deployer", Kind: "Role", Namespaces: []string{"shop"}, Rules: []rbacv1.PolicyRule{readPods}}
	podReader = Role{Name: "pod-reader", Rules: []rbacv1.PolicyRule{readPods}}
)

// A binding to a role nothing creates grants nothing, silently; a role the
// spec defines, a built-in one or one declared as existing is fine.
func TestBindingsNeedADefinedRole(t *testing.T) {
	bad := []struct {
		name string
		rbac RBAC
		path string
	}{
		{"role nothing creates", RBAC{Bindings: []Binding{{Name: "b", Role: "default", Namespace: "shop", Subjects: ops}}}, "spec.rbac.bindings[0].role"},
		{"cluster role nothing creates", RBAC{Bindings: []Binding{{Name: "b", ClusterRole: "veiw", Subjects: ops}}}, "spec.rbac.bindings[0].clusterRole"},
		{"user's cluster role nothing creates", RBAC{Users: []UserAccess{{Name: "a", ClusterRoles: []string{"view", "viewer"}}}}, "spec.rbac.users[0].clusterRoles[1]"},
		{"Role defined in another namespace", RBAC{Roles: []Role{deployer}, Bindings: []Binding{{Name: "b", Role: "deployer", Namespace: "web", Subjects: ops}}}, "spec.rbac.bindings[0].role"},
		{"a Role is no ClusterRole", RBAC{Roles: []Role{deployer}, Bindings: []Binding{{Name: "b", ClusterRole: "deployer", Subjects: ops}}}, "spec.rbac.bindings[0].clusterRole"},
		{"authstack role the spec does not render", RBAC{Bindings: []Binding{{Name: "b", ClusterRole: "authstack:read-only", Subjects: ops}}}, "spec.rbac.bindings[0].clusterRole"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, validate(withRBAC(tt.rbac)), tt.path, "spec.rbac.roles")
		})
	}
	good := []struct {
		name string
		rbac RBAC
	}{
		{"built-in", RBAC{Bindings: []Binding{{Name: "b", ClusterRole: "edit", Namespace: "shop", Subjects: ops}}, Users: []UserAccess{{Name: "a", ClusterRoles: []string{"cluster-admin", "view", "admin"}}}}},
		{"Role of the spec", RBAC{Roles: []Role{deployer}, Bindings: []Binding{{Name: "b", Role: "deployer", Namespace: "shop", Subjects: ops}}}},
		{"ClusterRole of the spec", RBAC{Roles: []Role{podReader}, Users: []UserAccess{{Name: "a", ClusterRoles: []string{"pod-reader"}}}, Bindings: []Binding{{Name: "b", ClusterRole: "pod-reader", Namespace: "shop", Subjects: ops}}}},
		{"authstack role the spec renders", RBAC{ReadOnly: &ops, Bindings: []Binding{{Name: "b", ClusterRole: "authstack:read-only", Subjects: Subjects{Users: []string{"x"}}}}}},
		{"existing roles", RBAC{ExistingRoles: []ExistingRole{{Name: "prometheus-reader"}, {Name: "db-admin", Namespace: "shop"}}, Bindings: []Binding{
			{Name: "b", ClusterRole: "prometheus-reader", Subjects: ops}, {Name: "c", Role: "db-admin", Namespace: "shop", Subjects: ops}}}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			if errs := validate(withRBAC(tt.rbac)); len(errs) > 0 {
				t.Fatal(errs)
			}
		})
	}
}

// Rules that hand out more power than they name (escalate, bind,
// impersonate, a wildcard reaching Secrets) need allowEscalation; a role
// never takes the name of a built-in or authstack role it would replace.
func TestRolesAreLeastPrivilege(t *testing.T) {
	role := func(rules ...rbacv1.PolicyRule) RBAC { return RBAC{Roles: []Role{{Name: "r", Rules: rules}}} }
	bad := []struct {
		name string
		rbac RBAC
		path string
		want string
	}{
		{"escalate", role(rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"escalate"}}), "spec.rbac.roles[0].rules[0].verbs", "allowEscalation"},
		{"bind", role(rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles"}, Verbs: []string{"bind"}}), "spec.rbac.roles[0].rules[0].verbs", "allowEscalation"},
		{"impersonate", role(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}}), "spec.rbac.roles[0].rules[0].verbs", "allowEscalation"},
		{"every verb on roles", role(rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles"}, Verbs: []string{"*"}}), "spec.rbac.roles[0].rules[0].verbs", "allowEscalation"},
		{"every verb on secrets", role(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}}), "spec.rbac.roles[0].rules[0]", "Secrets"},
		{"reading every core resource", role(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"*"}, Verbs: []string{"list"}}), "spec.rbac.roles[0].rules[0]", "Secrets"},
		{"everything", role(rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}), "spec.rbac.roles[0].rules[0].verbs", "allowEscalation"},
		{"no verbs", role(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}}), "spec.rbac.roles[0].rules[0].verbs", "Required"},
		{"no resources", role(rbacv1.PolicyRule{APIGroups: []string{""}, Verbs: []string{"get"}}), "spec.rbac.roles[0].rules[0]", "resources"},
		{"URLs in a Role", RBAC{Roles: []Role{{Name: "r", Kind: "Role", Namespaces: []string{"a"}, Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}}}}}, "spec.rbac.roles[0].rules[0].nonResourceURLs", "ClusterRole"},
		{"Role without namespaces", RBAC{Roles: []Role{{Name: "r", Kind: "Role", Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].namespaces", "Required"},
		{"ClusterRole with namespaces", RBAC{Roles: []Role{{Name: "r", Namespaces: []string{"a"}, Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].namespaces", "Forbidden"},
		{"another kind", RBAC{Roles: []Role{{Name: "r", Kind: "RoleBinding", Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].kind", "Unsupported"},
		{"built-in name", RBAC{Roles: []Role{{Name: "cluster-admin", Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].name", "built-in"},
		{"authstack name", RBAC{Roles: []Role{{Name: "authstack:read-only", Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].name", "authstack:"},
		{"system name", RBAC{Roles: []Role{{Name: "system:node", Rules: []rbacv1.PolicyRule{readPods}}}}, "spec.rbac.roles[0].name", "system:"},
		{"duplicate", RBAC{Roles: []Role{podReader, podReader}}, "spec.rbac.roles[1].name", "Duplicate"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, validate(withRBAC(tt.rbac)), tt.path, tt.want)
		})
	}
	t.Run("acknowledged escalation warns", func(t *testing.T) {
		r := role(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}})
		r.Roles[0].AllowEscalation = true
		s := validSpec()
		s.Spec.RBAC = r
		SetDefaults(s)
		if errs := Validate(s); len(errs) > 0 {
			t.Fatal(errs)
		}
		if ws := Warnings(s); !slices.ContainsFunc(ws, func(w Warning) bool { return w.Field == "spec.rbac.roles[0]" }) {
			t.Errorf("no warning for the acknowledged role: %v", ws)
		}
	})
}

// kubelogin asks another issuer for no dex-only scope by default.
func TestExternalIssuerKubectlScopes(t *testing.T) {
	s := validSpec()
	externalIssuer(s)
	SetDefaults(s)
	if got := s.Spec.Kubectl.ExtraScopes; slices.Contains(got, "groups") {
		t.Errorf("kubectl extra scopes %v request dex's groups scope from an external issuer", got)
	}
	errs := validate(func(s *AuthStack) {
		externalIssuer(s)
		s.Spec.Issuer.External.Scopes = []string{"email groups"}
	})
	wantError(t, errs, "spec.issuer.external.scopes[0]", "one scope")
	wantError(t, errs, "spec.issuer.external.scopes", "openid")
}

// A namespace authstack creates enforces restricted unless the spec says
// otherwise; a weaker level is valid but warned about, a level where
// authstack creates nothing is refused (it would be dropped), and one
// namespace cannot be asked for at two levels.
func TestCreatedNamespacesHaveOneCheckedPodSecurityLevel(t *testing.T) {
	app := func(ns string, n NamespaceCreation) App {
		return App{Name: "grafana-" + ns, Host: "app-" + ns + ".example.com", Namespace: ns, Upstream: Upstream{Service: "grafana", Port: 80}, Identity: IdentityHeaders, AllowedGroups: []string{"sre"}, NamespaceCreation: n}
	}
	s := validSpec()
	s.Spec.Apps = []App{app("monitoring", NamespaceCreation{CreateNamespace: true})}
	s.Spec.RBAC.Teams = []Team{{Namespace: "team-a", NamespaceCreation: NamespaceCreation{CreateNamespace: true, PodSecurity: PodSecurityPrivileged}}}
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := s.Spec.Apps[0].PodSecurity; got != PodSecurityRestricted {
		t.Errorf("default level = %q, want restricted", got)
	}
	ws := nonEdgeWarnings(s)
	if len(ws) != 1 || ws[0].Field != "spec.rbac.teams[0].podSecurity" || !strings.Contains(ws[0].Message, "privileged") {
		t.Errorf("warnings = %v, want one about team-a's privileged level", ws)
	}

	wantError(t, validate(func(s *AuthStack) {
		s.Spec.Apps = []App{app("monitoring", NamespaceCreation{PodSecurity: PodSecurityBaseline})}
	}), "spec.apps[0].podSecurity", "set createNamespace: true")
	wantError(t, validate(func(s *AuthStack) {
		s.Spec.RBAC.Teams = []Team{{Namespace: "team-a", NamespaceCreation: NamespaceCreation{CreateNamespace: true, PodSecurity: "Restricted"}}}
	}), "spec.rbac.teams[0].podSecurity", "supported values")
	wantError(t, validate(func(s *AuthStack) {
		s.Spec.Apps = []App{app("monitoring", NamespaceCreation{CreateNamespace: true}), app("monitoring", NamespaceCreation{CreateNamespace: true, PodSecurity: PodSecurityBaseline})}
		s.Spec.Apps[1].Name = "prometheus"
	}), "spec.apps[1].podSecurity", "restricted by spec.apps[0].podSecurity")
	// dex's namespace is restricted: an app there cannot lower it.
	wantError(t, validate(func(s *AuthStack) {
		s.Spec.Apps = []App{app("dex", NamespaceCreation{CreateNamespace: true, PodSecurity: PodSecurityPrivileged})}
	}), "spec.apps[0].podSecurity", "by spec.issuer.dex.namespace")
	if errs := validate(func(s *AuthStack) {
		s.Spec.Apps = []App{app("dex", NamespaceCreation{CreateNamespace: true})}
	}); len(errs) > 0 {
		t.Errorf("an app created in dex's namespace at the same level: %v", errs)
	}
}

// A kind cluster's API server URL is known at render time: the rendered
// kind config pins it, so it must be an address kind can bind.
func TestKindServerIsPinnedAndBindable(t *testing.T) {
	s := validSpec()
	s.Spec.Cluster.Installer = InstallerKind
	SetDefaults(s)
	if errs := Validate(s); len(errs) > 0 {
		t.Fatal(errs)
	}
	if s.Spec.Cluster.Server != DefaultKindServer {
		t.Errorf("kind server defaulted to %q, want %s", s.Spec.Cluster.Server, DefaultKindServer)
	}
	if addr, port, err := s.Spec.Cluster.KindAPIServer(); err != nil || addr != "127.0.0.1" || port != 6443 {
		t.Errorf("KindAPIServer = %s %d %v, want 127.0.0.1 6443", addr, port, err)
	}
	for _, bad := range []string{"https://kind.example.com:6443", "https://127.0.0.1", "https://127.0.0.1:6443/prefix"} {
		wantError(t, validate(func(s *AuthStack) {
			s.Spec.Cluster.Installer = InstallerKind
			s.Spec.Cluster.Server = bad
		}), "spec.cluster.server", "https://IP:PORT")
	}
	if errs := validate(func(s *AuthStack) { s.Spec.Cluster.Server = "" }); len(errs) > 0 {
		t.Errorf("kubeadm without a server is a valid spec (only the kubeconfig needs it): %v", errs)
	}
}

// An org without a name matches no GitHub account and a user matcher without
// its attributes finds no group: both are mistakes that would lock users out
// or strip their groups without a word, so they are refused.
func TestGitHubOrgsAndLDAPUserMatchersNeedTheirNames(t *testing.T) {
	errs := validate(func(s *AuthStack) {
		s.Spec.Issuer.Dex.Connectors = append(s.Spec.Issuer.Dex.Connectors, Connector{GitHub: &GitHubConnector{
			ClientID: "id", ClientSecret: &SecretRef{Env: "GITHUB_SECRET"}, Orgs: []GitHubOrg{{Teams: []string{"admins"}}},
		}})
		s.Spec.Issuer.Dex.Connectors[0].LDAP.GroupSearch = LDAPGroupSearch{BaseDN: "ou=groups,dc=example,dc=com", UserMatchers: []UserMatcher{{}}}
	})
	wantError(t, errs, "spec.issuer.dex.connectors[1].github.orgs[0].name", "Required")
	wantError(t, errs, "spec.issuer.dex.connectors[0].ldap.groupSearch.userMatchers[0].userAttr", "Required")
	wantError(t, errs, "spec.issuer.dex.connectors[0].ldap.groupSearch.userMatchers[0].groupAttr", "Required")
}
