package doctor

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A dump of what runs (kubectl get deploy,cm,secret -o yaml) is evidence
// too: dex from its Secrets and Deployment, oauth2-proxy from its ConfigMap
// and Secret.
func TestManifestsDump(t *testing.T) {
	dump := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: dex, namespace: dex, labels: {app.kubernetes.io/name: dex}}
  spec: {replicas: 3}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: oauth2-proxy-grafana, namespace: monitoring}
  data:
    oauth2_proxy.cfg: |
      oidc_issuer_url = "https://dex.example.com"
      client_id = "oauth2-proxy-grafana"
      redirect_url = "https://grafana.example.com/oauth2/callback"
      whitelist_domains = ["grafana.example.com"]
- apiVersion: v1
  kind: Secret
  metadata: {name: oauth2-proxy-grafana, namespace: monitoring}
  data: {client-secret: d3Jvbmc=, cookie-secret: c2hvcnQ=}
- apiVersion: v1
  kind: Secret
  metadata: {name: dex-env, namespace: dex}
  stringData: {CLIENT_SECRET_GRAFANA: right-secret}
- apiVersion: v1
  kind: Secret
  metadata: {name: dex-config, namespace: dex}
  stringData:
    config.yaml: |
      issuer: https://dex.example.com
      storage: {type: memory}
      staticClients:
      - id: oauth2-proxy-grafana
        secretEnv: CLIENT_SECRET_GRAFANA
        redirectURIs: [https://grafana.example.com/oauth2/callback]
`
	path := filepath.Join(t.TempDir(), "dump.yaml")
	if err := os.WriteFile(path, []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(Inputs{Manifests: []string{path}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range Diagnose(m).Findings {
		got[f.Code] = true
		if strings.Contains(f.Message+strings.Join(f.Evidence, " "), "right-secret") {
			t.Errorf("%s shows a secret value", f.Code)
		}
	}
	for _, code := range []string{"AS-44", "AS-42", "AS-50"} {
		if !got[code] {
			t.Errorf("no %s finding from the dump; got %v", code, got)
		}
	}
}

// authstack's kubeconfig runs kubelogin's binary directly (so a kuberc can
// allow it alone); doctor must still see a kubelogin user there.
func TestAddKubeconfigRecognizesKubeloginRunDirectly(t *testing.T) {
	m := &Model{}
	data := []byte(`apiVersion: v1
kind: Config
users:
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubectl-oidc_login
      args: [get-token, --oidc-issuer-url=https://dex.example.com, --oidc-client-id=kubernetes]
`)
	if err := m.AddKubeconfig("kubeconfig.yaml", data); err != nil {
		t.Fatal(err)
	}
	if len(m.Kubeconfigs) != 1 || !m.Kubeconfigs[0].OIDCLogin || m.Kubeconfigs[0].ClientID != "kubernetes" {
		t.Errorf("users = %+v", m.Kubeconfigs)
	}
}

// The prefixes doctor reads from flags are the API server's: an empty
// --oidc-username-prefix is the issuer URL and '#' like an unset one
// (except for email), "-" is none, and groups have no default and no "-".
func TestFlagPrefixesAsTheAPIServerReadsThem(t *testing.T) {
	const iss = "https://dex.example.com"
	cases := []struct {
		name       string
		flags      []string
		user, grps string
	}{
		{"unset, claim sub", nil, iss + "#", ""},
		{"empty, claim sub", []string{"--oidc-username-prefix="}, iss + "#", ""},
		{"unset, claim email", []string{"--oidc-username-claim=email"}, "", ""},
		{"empty, claim email", []string{"--oidc-username-claim=email", "--oidc-username-prefix="}, "", ""},
		{"dash", []string{"--oidc-username-prefix=-", "--oidc-groups-prefix=-"}, "", "-"},
		{"set", []string{"--oidc-username-prefix=oidc:", "--oidc-groups-prefix=oidc:"}, "oidc:", "oidc:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Model{}
			args := append([]string{"kube-apiserver", "--oidc-issuer-url=" + iss, "--oidc-client-id=kubernetes", "--oidc-groups-claim=groups"}, c.flags...)
			flags, err := parseFlags(args)
			if err != nil {
				t.Fatal(err)
			}
			m.addFlags("flags", flags, func(n string) string { return "--" + n })
			j := m.jwts()[0]
			if j.UsernamePref != c.user || j.GroupsPref != c.grps {
				t.Errorf("prefixes %q %q, want %q %q", j.UsernamePref, j.GroupsPref, c.user, c.grps)
			}
		})
	}
}

// A syntax error in one artifact is a finding with file and line, and the
// other artifacts are still checked.
func TestSyntaxErrorsAreFindings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ing := write("ing.yaml", "kind: Ingress\nmetadata:\n  name: a\n bad: x\n")
	cfg := write("proxy.cfg", "client_id = \"x\"\nscope = [\"openid\"\n")
	m, err := Load(Inputs{Ingress: []string{ing}, OAuth2ProxyConfigs: []string{cfg}, DexConfig: filepath.Join(healthyDir, "dex.yaml"), Now: testNow})
	if err != nil {
		t.Fatalf("a syntax error stopped doctor: %v", err)
	}
	r := Diagnose(m)
	var got []string
	for _, f := range r.Findings {
		if f.Code == "AS-00" && f.Severity == Error {
			got = append(got, strings.Join(f.Evidence, " "))
		}
	}
	want := []string{ing + ":3", cfg + ":2"}
	sort.Strings(got)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("AS-00 evidence %v, want %v", got, want)
	}
	if m.Dex == nil || !contains(r.Ran, "AS-44") {
		t.Error("the valid dex config was not checked")
	}
}

// oauth2-proxy configured by flags and OAUTH2_PROXY_* variables in its
// Deployment (the oauth2-proxy Helm chart's form, and ingress-nginx's
// oauth-external-auth example) is evidence as much as a config file; the
// findings name the flag or variable to change.
func TestProxyDeploymentFlagsAndEnv(t *testing.T) {
	dump := `apiVersion: v1
kind: Secret
metadata: {name: oauth2-proxy, namespace: auth}
stringData: {client-secret: s3cret, cookie-secret: short}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: oauth2-proxy, namespace: auth}
data:
  oauth2_proxy.cfg: |
    email_domains = [ "*" ]
    cookie_secure = true
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: oauth2-proxy, namespace: auth}
spec:
  template:
    spec:
      containers:
      - name: oauth2-proxy
        image: quay.io/oauth2-proxy/oauth2-proxy:v7.12.0
        args:
        - --provider=oidc
        - --oidc-issuer-url=https://dex.example.com
        - --redirect-url=https://grafana.example.com/oauth2/callback
        - --whitelist-domain=grafana.example.com
        - --cookie-secure=false
        - --config=/etc/oauth2_proxy/oauth2_proxy.cfg
        env:
        - {name: OAUTH2_PROXY_CLIENT_ID, value: grafana}
        - name: OAUTH2_PROXY_COOKIE_SECRET
          valueFrom: {secretKeyRef: {name: oauth2-proxy, key: cookie-secret}}
        volumeMounts:
        - {name: configmain, mountPath: /etc/oauth2_proxy}
      volumes:
      - name: configmain
        configMap: {name: oauth2-proxy}
`
	path := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(path, []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	// --oauth2-proxy-config takes the Deployment as well as --manifests.
	if m, err := Load(Inputs{OAuth2ProxyConfigs: []string{path}, Now: testNow}); err != nil || len(m.Proxies) != 1 {
		t.Fatalf("--oauth2-proxy-config with a Deployment: %v, %d proxies", err, len(m.Proxies))
	}
	m, err := Load(Inputs{Manifests: []string{path}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Proxies) != 1 || m.Proxies[0].ClientID != "grafana" || m.Proxies[0].App != "oauth2-proxy" {
		t.Fatalf("proxies %+v", m.Proxies)
	}
	want := map[string]string{"AS-57": "arg --cookie-secure", "AS-50": "env OAUTH2_PROXY_COOKIE_SECRET"}
	for _, f := range Diagnose(m).Findings {
		if strings.Contains(f.Message+strings.Join(f.Evidence, " "), "short") {
			t.Errorf("%s shows a secret value", f.Code)
		}
		if w, ok := want[f.Code]; ok && strings.Contains(strings.Join(f.Evidence, " "), w) {
			delete(want, f.Code)
		}
	}
	for code, w := range want {
		t.Errorf("no %s finding naming %s", code, w)
	}
}

// doctor reads dex's config in every form users keep it in, through the
// same model render prints with: the dex Helm chart's values carry it
// under config:, a Secret under config.yaml.
func TestAddDexConfigReadsHelmValuesAndSecrets(t *testing.T) {
	for name, src := range map[string]string{
		"values.yaml": "replicaCount: 1\nconfig:\n  issuer: https://dex.example.com\n  storage: {type: memory}\n  staticClients:\n  - id: kubectl\n    public: true\n    redirectURIs: [http://localhost:8000]\n",
		"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: dex}\nstringData:\n  config.yaml: |\n    issuer: https://dex.example.com\n    staticClients:\n    - id: kubectl\n      public: true\n",
	} {
		t.Run(name, func(t *testing.T) {
			m := &Model{Now: testNow}
			if err := m.AddDexConfig(name, []byte(src)); err != nil {
				t.Fatal(err)
			}
			if m.Dex.Issuer != "https://dex.example.com" || m.Dex.Client("kubectl") == nil || !m.Dex.Client("kubectl").Public {
				t.Errorf("dex read as %+v", m.Dex)
			}
		})
	}
}

// Required claims keep tokens out; import carries them into the spec, so
// the model keeps them in both forms the API server reads.
func TestRequiredClaimsFromFlagsAndAuthenticationConfig(t *testing.T) {
	m := &Model{}
	pod := `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    command: [kube-apiserver, --oidc-issuer-url=https://dex.example.com, --oidc-client-id=kubernetes, "--oidc-required-claim=hd=example.com"]
`
	if err := m.AddAPIServerManifest("kube-apiserver.yaml", []byte(pod)); err != nil {
		t.Fatal(err)
	}
	auth := `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: https://dex.example.com, audiences: [kubernetes]}
  claimValidationRules:
  - {claim: hd, requiredValue: example.com}
  - {expression: "claims.email_verified == true", message: unverified}
  claimMappings:
    username: {claim: email, prefix: "oidc:"}
`
	if err := m.AddAuthenticationConfig("auth.yaml", []byte(auth)); err != nil {
		t.Fatal(err)
	}
	for i, a := range m.APIServers {
		j := a.JWT[0]
		if j.RequiredClaims["hd"] != "example.com" {
			t.Errorf("view %d (%s): required claims = %v, want hd=example.com", i, a.Source, j.RequiredClaims)
		}
	}
	if r := m.APIServers[1].JWT[0].ClaimRules; len(r) != 1 || r[0].Expression != "claims.email_verified == true" {
		t.Errorf("claim rules = %+v, want the CEL rule", r)
	}
}

// authstack's dex config Secret without its config.yaml is a broken
// artifact, named as such, not a Secret doctor passes over in silence.
func TestDexConfigSecretWithoutItsConfigIsNamed(t *testing.T) {
	m := &Model{Now: testNow}
	err := m.AddIngresses("dump.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: dex-config, namespace: dex}\nstringData: {config: \"issuer: x\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "no config.yaml key") || !strings.Contains(err.Error(), "dex/dex-config") {
		t.Fatalf("err = %v, want the Secret dex/dex-config named with its missing config.yaml", err)
	}
}

// A YAML map with none of a kubeconfig's sections (a values file, an
// oauth2-proxy alpha config given to --kubeconfig by mistake) is an input
// error, not a kubeconfig without findings.
func TestAddKubeconfigRefusesAFileWithNoKubeconfigSections(t *testing.T) {
	for _, data := range []string{"{}\n", "foo: bar\n", "upstreamConfig:\n  upstreams: []\n", "apiVersion: v1\nkind: Config\n"} {
		m := &Model{}
		err := m.AddKubeconfig("values.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), "values.yaml") || !strings.Contains(err.Error(), "no clusters, contexts or users") {
			t.Errorf("%q: err = %v", data, err)
		}
	}
}
