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
	// HeadersUserClaim is the headers app's userHeaderClaim ("": the default).
	HeadersUserClaim string
}

var specTemplate = template.Must(template.New("spec").Parse(`apiVersion: authstack.dev/v1alpha1
kind: AuthStack
metadata:
  name: e2e
spec:
  cluster:
    name: e2e
    kubernetesVersion: "1.37"
    installer: authentication-config
{{- if .Server }}
    server: {{ .Server }}
    certificateAuthority: {{ .ClusterCA }}
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
  apiServer:
    mode: {{ .Mode }}
    authenticationConfigPath: {{ .Dir }}/apiserver/authentication-config.yaml
    issuerCAPath: {{ .Dir }}/apiserver/oidc-ca.crt
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
    readOnly:
      groups: [readonly-admins]
    userNamespaces:
      - user: alice@example.org
        namespace: alice
    teams:
      - namespace: shop
        roles: [developer]
`))

func renderSpec(t testing.TB, p specParams) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := specTemplate.Execute(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
