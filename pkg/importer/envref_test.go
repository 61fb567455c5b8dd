package importer

import (
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/doctor"
)

// dex expands $NAME in every string of a connector config from its own
// environment (dex's examples/k8s/dex.yaml: clientID: $GITHUB_CLIENT_ID).
// Carried into the spec as it is, "$GITHUB_CLIENT_ID" became an empty
// clientID at the rendered dex, which has no such variable. Such a
// connector is not imported, the field named; the secrets stay references.
func TestImportDoesNotCarryAnExpandedConnectorField(t *testing.T) {
	m := model()
	m.Dex.Connectors = append(m.Dex.Connectors, &doctor.DexConnector{Index: 1, Type: "oidc", ID: "entra", Config: map[string]any{
		"issuer": "https://login.microsoftonline.com/${TENANT_ID}/v2.0", "clientID": "k8s", "clientSecret": "$ENTRA_SECRET",
		"redirectURI": "$DEX_CALLBACK",
	}})
	res, gaps := importGaps(t, m)
	if n := len(res.Spec.Spec.Issuer.Dex.Connectors); n != 1 {
		t.Errorf("%d connectors imported, want only the ldap one", n)
	}
	if !strings.Contains(gaps, "dex.yaml: connectors[1] | config.issuer") {
		t.Errorf("no gap for connectors[1] config.issuer in:\n%s", gaps)
	}
	// With no connector left, the refusal says why each was left out.
	m.Dex.Connectors = m.Dex.Connectors[1:]
	_, err := Import(m, Options{ClusterName: "c", KubernetesVersion: "1.33"})
	if err == nil || !strings.Contains(err.Error(), "connectors[1]: config.issuer: ${TENANT_ID} is expanded by dex from its environment") {
		t.Errorf("err = %v", err)
	}
}

// The secret of the same connector alone from the environment is imported
// as a reference, as before; redirectURI is rendered and not looked at.
func TestImportKeepsAConnectorWithOnlyItsSecretFromTheEnvironment(t *testing.T) {
	m := model()
	m.Dex.Connectors = append(m.Dex.Connectors, &doctor.DexConnector{Index: 1, Type: "github", ID: "gh", Config: map[string]any{
		"clientID": "abc", "clientSecret": "$GITHUB_CLIENT_SECRET", "redirectURI": "$DEX_CALLBACK", "orgs": []any{map[string]any{"name": "corp"}},
	}})
	res, _ := importGaps(t, m)
	if n := len(res.Spec.Spec.Issuer.Dex.Connectors); n != 2 {
		t.Fatalf("%d connectors imported, want 2", n)
	}
	if g := res.Spec.Spec.Issuer.Dex.Connectors[1].GitHub; g == nil || g.ClientID != "abc" || g.ClientSecret == nil || g.ClientSecret.Env != "GITHUB_CLIENT_SECRET" {
		t.Errorf("github connector = %+v", g)
	}
}

// A kubeadm ClusterConfiguration names the cluster's version: import takes
// its minor version, as kubespray's kube_version, unless it is a label.
func TestImportTakesKubeadmsKubernetesVersion(t *testing.T) {
	for v, want := range map[string]string{"v1.33.4": "1.33", "1.34.0": "1.34", "stable-1": ""} {
		m := model()
		m.Kubeadm = &doctor.Kubeadm{Source: "kubeadm.yaml", APIVersion: "kubeadm.k8s.io/v1beta4", KubernetesVersion: v}
		res, err := Import(m, Options{ClusterName: "c"})
		switch {
		case want == "" && (err == nil || !strings.Contains(err.Error(), "Kubernetes version is not in any artifact")):
			t.Errorf("%s: err = %v, want the version asked for", v, err)
		case want != "" && err != nil:
			t.Errorf("%s: %v", v, err)
		case want != "" && res.Spec.Spec.Cluster.KubernetesVersion != want:
			t.Errorf("%s: version %q, want %q", v, res.Spec.Spec.Cluster.KubernetesVersion, want)
		}
	}
}
