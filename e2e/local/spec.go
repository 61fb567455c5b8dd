//go:build e2e

package local

import (
	"bytes"
	"testing"
	"text/template"
)

// specParams fill in the tier's authstack.yaml.
type specParams struct {
	Dir         string
	Mode        string
	DexHost     string
	LDAPAddr    string
	Server      string
	ClusterCA   string
	TokenHost   string
	HeadersHost string
	// WithHeadersApp keeps the headers app; the prune test drops it.
	WithHeadersApp bool
	WithApps       bool
	// SigninHost, when set, puts every app behind one shared oauth2-proxy
	// on this sign-in host (spec.auth.host); TokenGroups and HeadersGroups
	// are the apps' allowedGroups.
	SigninHost                 string
	TokenGroups, HeadersGroups []string
	// Proxy, when set, makes the spec a managed cluster's (mode proxy):
	// authstack-apiproxy in front of the API servers of spec.clusters.
	Proxy *proxyParams
	// HeadersUserClaim is the headers app's userHeaderClaim ("": the default).
	HeadersUserClaim string
}

// proxyParams fill in spec.proxy and spec.clusters. The first cluster is
// also the one the proxy and dex run in (spec.cluster.name).
type proxyParams struct {
	// Host is proxy.host, a DNS name without port.
	Host string
	// CAFile signed the proxy's and the audit webhook's serving
	// certificates (proxy.tls.caFile, proxy.audit.caFile).
	CAFile string
	// AuditURL is proxy.audit.webhookURL.
	AuditURL string
	Clusters []proxyClusterParams
}

type proxyClusterParams struct {
	Name, Server, CA, Context string
}

var specTemplate = template.Must(template.New("spec").Parse(`apiVersion: authstack.dev/v1alpha1
kind: AuthStack
metadata:
  name: e2e
spec:
  cluster:
{{- if .Proxy }}
    name: {{ (index .Proxy.Clusters 0).Name }}
    kubernetesVersion: "1.37"
    installer: managed
    provider: other
{{- else }}
    name: e2e
    kubernetesVersion: "1.37"
    installer: authentication-config
{{- if .Server }}
    server: {{ .Server }}
    certificateAuthority: {{ .ClusterCA }}
{{- end }}
{{- end }}
  issuer:
    dex:
      host: {{ .DexHost }}
      caFile: issuer-ca.crt
      idTokenLifetime: 10m
      passwordConnector: ldap
      connectors:
        - id: ldap
          name: Example LDAP
          ldap:
            host: {{ .LDAPAddr }}
            insecureNoSSL: true
            bindDN: cn=admin,dc=example,dc=org
            bindPassword:
              file: ldap-bind.pw
            usernamePrompt: Username
            userSearch:
              baseDN: ou=people,dc=example,dc=org
              filter: "(objectClass=inetOrgPerson)"
              username: uid
              idAttr: uid
              emailAttr: mail
              nameAttr: cn
              preferredUsernameAttr: uid
            groupSearch:
              baseDN: ou=groups,dc=example,dc=org
              filter: "(objectClass=groupOfNames)"
              userMatchers:
                - userAttr: DN
                  groupAttr: member
              nameAttr: cn
{{- with .Proxy }}
  # installer managed: apiServer.mode defaults to proxy.
  proxy:
    host: {{ .Host }}
    replicas: 1
    tls:
      caFile: {{ .CAFile }}
    audit:
      webhookURL: {{ .AuditURL }}
      format: records
      caFile: {{ .CAFile }}
  clusters:
{{- range .Clusters }}
    - name: {{ .Name }}
      server: {{ .Server }}
      certificateAuthority: {{ .CA }}
      context: {{ .Context }}
{{- end }}
{{- else }}
  apiServer:
    mode: {{ .Mode }}
    authenticationConfigPath: {{ .Dir }}/apiserver/authentication-config.yaml
    issuerCAPath: {{ .Dir }}/apiserver/oidc-ca.crt
{{- end }}
  # nginx in front terminates TLS with the test CA, not the Ingresses' Secrets.
  tls:
    insecureHTTP: true
{{- if .SigninHost }}
  auth:
    host: {{ .SigninHost }}
    namespace: apps
{{- end }}
{{- if .WithApps }}
  apps:
    - name: dashboard
      host: {{ .TokenHost }}
      namespace: apps
      upstream:
        service: dashboard
        port: 80
      podSelector:
        app.kubernetes.io/name: dashboard
      identity: token
{{- with .TokenGroups }}
      allowedGroups: [{{ range $i, $g := . }}{{ if $i }}, {{ end }}{{ $g }}{{ end }}]
{{- end }}
{{- if .WithHeadersApp }}
    - name: prometheus
      host: {{ .HeadersHost }}
      namespace: apps
      upstream:
        service: prometheus
        port: 9090
      podSelector:
        app.kubernetes.io/name: prometheus
      identity: headers
{{- with .HeadersUserClaim }}
      userHeaderClaim: {{ . }}
{{- end }}
{{- with .HeadersGroups }}
      allowedGroups: [{{ range $i, $g := . }}{{ if $i }}, {{ end }}{{ $g }}{{ end }}]
{{- end }}
{{- end }}
{{- end }}
  rbac:
{{- if .Proxy }}
    # Only the team roles: what a user gets through the proxy is theirs.
    teams:
      - namespace: shop
        roles: [developer, watcher, devops]
{{- else }}
    readOnly:
      groups: [readonly-admins]
    userNamespaces:
      - user: alice@example.org
        namespace: alice
    teams:
      - namespace: shop
        roles: [developer]
{{- end }}
`))

func renderSpec(t testing.TB, p specParams) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := specTemplate.Execute(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
