package dex

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group of dex's custom resources.
const crdGroup = "dex.coreos.com"

// The resources dex's kubernetes storage keeps its state in, as dex v2.45
// names them (storage/kubernetes/types.go). Plural names are dex's own,
// including "signingkeies" and "offlinesessionses".
var crdNames = []apiextensionsv1.CustomResourceDefinitionNames{
	{Plural: "authcodes", Singular: "authcode", Kind: "AuthCode"},
	{Plural: "authrequests", Singular: "authrequest", Kind: "AuthRequest"},
	{Plural: "oauth2clients", Singular: "oauth2client", Kind: "OAuth2Client"},
	{Plural: "signingkeies", Singular: "signingkey", Kind: "SigningKey"},
	{Plural: "refreshtokens", Singular: "refreshtoken", Kind: "RefreshToken"},
	{Plural: "passwords", Singular: "password", Kind: "Password"},
	{Plural: "offlinesessionses", Singular: "offlinesessions", Kind: "OfflineSessions"},
	{Plural: "connectors", Singular: "connector", Kind: "Connector"},
	{Plural: "devicerequests", Singular: "devicerequest", Kind: "DeviceRequest"},
	{Plural: "devicetokens", Singular: "devicetoken", Kind: "DeviceToken"},
}

// Resources are the plural names of dex's custom resources, for the Role
// that lets dex use them and nothing else.
func Resources() []string {
	out := make([]string, len(crdNames))
	for i, n := range crdNames {
		out[i] = n.Plural
	}
	return out
}

// StorageVerbs are what dex's kubernetes storage does with its resources
// (storage/kubernetes/client.go at v2.45.1: GET of one object or a list,
// POST, PUT, DELETE; crdHandling check only lists). It never patches,
// watches or deletes a collection.
var StorageVerbs = []string{"create", "delete", "get", "list", "update"}

// CRDs are dex's custom resource definitions. authstack applies them before
// dex starts, so dex (with crdHandling: check) needs no cluster-wide right
// to create CRDs and does not crash on its first start while they appear.
func CRDs(labels map[string]string) []*apiextensionsv1.CustomResourceDefinition {
	preserve := true
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(crdNames))
	for _, n := range crdNames {
		l := make(map[string]string, len(labels))
		for k, v := range labels {
			l[k] = v
		}
		out = append(out, &apiextensionsv1.CustomResourceDefinition{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: n.Plural + "." + crdGroup, Labels: l},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: crdGroup,
				Names: n,
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: &preserve,
					}},
				}},
			},
		})
	}
	return out
}
