// Package headlamp renders what Headlamp needs to log users in itself
// against the issuer: the values of its Helm chart (kubernetes-sigs/headlamp
// charts/headlamp, 0.45) and the data of the Secret its Deployment reads
// the OIDC settings from.
//
// The chart's "external secret" mode is used (config.oidc.externalSecret):
// the Deployment takes the variables below from the Secret with envFrom and
// passes them as -oidc-client-id=$(OIDC_CLIENT_ID), -oidc-client-secret,
// -oidc-idp-issuer-url and -oidc-scopes (charts/headlamp/templates/
// deployment.yaml), so the client secret is in a Secret only, never in the
// values file or a ConfigMap.
package headlamp

import (
	"strings"

	"sigs.k8s.io/yaml"
)

// The keys of the OIDC Secret, as the chart's Deployment names the
// variables it expands into Headlamp's flags.
const (
	EnvClientID     = "OIDC_CLIENT_ID"
	EnvClientSecret = "OIDC_CLIENT_SECRET"
	EnvIssuerURL    = "OIDC_ISSUER_URL"
	EnvScopes       = "OIDC_SCOPES"
)

// Settings are Headlamp's OIDC settings for one app.
type Settings struct {
	ClientID, ClientSecret, IssuerURL string
	// Scopes besides openid, which Headlamp always requests.
	Scopes []string
	// CallbackURL is https://<host>/oidc-callback.
	CallbackURL string
	// SecretName is the Secret holding the OIDC variables.
	SecretName string
	// IssuerCAConfigMap, when set, is a ConfigMap with the issuer's CA
	// (key ca.crt), mounted and given to -oidc-ca-file.
	IssuerCAConfigMap string
}

// SecretData is the Secret the Deployment reads with envFrom. Headlamp
// splits -oidc-scopes at commas (backend/cmd/headlamp.go).
func (s Settings) SecretData() map[string]string {
	return map[string]string{
		EnvClientID:     s.ClientID,
		EnvClientSecret: s.ClientSecret,
		EnvIssuerURL:    s.IssuerURL,
		EnvScopes:       strings.Join(s.Scopes, ","),
	}
}

// CAMountPath is where the issuer CA is mounted in Headlamp's container.
const CAMountPath = "/etc/headlamp-oidc"

// Values are the chart values authstack sets; everything else keeps the
// chart's default.
type Values struct {
	Config             Config             `json:"config"`
	ClusterRoleBinding ClusterRoleBinding `json:"clusterRoleBinding"`
	Ingress            Enabled            `json:"ingress"`
	VolumeMounts       []VolumeMount      `json:"volumeMounts,omitempty"`
	Volumes            []Volume           `json:"volumes,omitempty"`
}

// Config is the chart's config block.
type Config struct {
	OIDC OIDC `json:"oidc"`
	// UnsafeUseServiceAccountToken would act as Headlamp's own service
	// account for every visitor; kept false.
	UnsafeUseServiceAccountToken bool     `json:"unsafeUseServiceAccountToken"`
	ExtraArgs                    []string `json:"extraArgs,omitempty"`
}

// OIDC is the chart's config.oidc block.
type OIDC struct {
	Secret         SecretCreate   `json:"secret"`
	ExternalSecret ExternalSecret `json:"externalSecret"`
	CallbackURL    string         `json:"callbackURL"`
	UsePKCE        bool           `json:"usePKCE"`
}

// SecretCreate is config.oidc.secret: the chart must not make its own.
type SecretCreate struct {
	Create bool `json:"create"`
}

// ExternalSecret is config.oidc.externalSecret.
type ExternalSecret struct {
	Enabled   bool   `json:"enabled"`
	Name      string `json:"name"`
	HasScopes bool   `json:"hasScopes"`
}

// ClusterRoleBinding is the chart's binding of Headlamp's service account,
// to cluster-admin by default: users act with their own token, so none.
type ClusterRoleBinding struct {
	Create bool `json:"create"`
}

// Enabled switches a chart feature.
type Enabled struct {
	Enabled bool `json:"enabled"`
}

// VolumeMount and Volume are the chart's pass-through lists.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
}

// Volume is a ConfigMap volume.
type Volume struct {
	Name      string          `json:"name"`
	ConfigMap ConfigMapVolume `json:"configMap"`
}

// ConfigMapVolume names the ConfigMap of a volume.
type ConfigMapVolume struct {
	Name string `json:"name"`
}

// ChartValues are the Helm values for Headlamp's chart.
func (s Settings) ChartValues() Values {
	v := Values{
		Config: Config{OIDC: OIDC{
			Secret:         SecretCreate{Create: false},
			ExternalSecret: ExternalSecret{Enabled: true, Name: s.SecretName, HasScopes: true},
			CallbackURL:    s.CallbackURL,
			// Dex supports PKCE (S256); Headlamp sends the verifier with the code.
			UsePKCE: true,
		}},
		// authstack renders Headlamp's Ingress, with TLS and a NetworkPolicy.
		Ingress: Enabled{Enabled: false},
	}
	if s.IssuerCAConfigMap != "" {
		v.Config.ExtraArgs = []string{"-oidc-ca-file=" + CAMountPath + "/ca.crt"}
		v.VolumeMounts = []VolumeMount{{Name: "oidc-ca", MountPath: CAMountPath, ReadOnly: true}}
		v.Volumes = []Volume{{Name: "oidc-ca", ConfigMap: ConfigMapVolume{Name: s.IssuerCAConfigMap}}}
	}
	return v
}

// ValuesFile is the values file, with a header saying how to use it.
func (s Settings) ValuesFile(app, namespace string) ([]byte, error) {
	data, err := yaml.Marshal(s.ChartValues())
	if err != nil {
		return nil, err
	}
	head := "# Helm values for Headlamp (app " + app + ") rendered by authstack: Headlamp logs users in\n" +
		"# itself against the issuer. Install with:\n" +
		"#   helm upgrade --install " + app + " headlamp/headlamp -n " + namespace + " -f this-file\n" +
		"# after authstack apply, which creates Secret " + s.SecretName + " with the client settings.\n"
	return append([]byte(head), data...), nil
}
