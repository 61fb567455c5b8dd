package apply

import "testing"

func TestPruneKeepsWhatCascadesUnlessAllowed(t *testing.T) {
	ns := obj(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n")
	crd := obj(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x.dex.coreos.com}\n")
	crb := obj(t, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: authstack:x}\n")
	for _, tc := range []struct {
		opts                Options
		keepNS, keepCRD, cr bool
	}{
		{Options{}, true, true, false},
		{Options{PruneNamespaces: true}, false, true, false},
		{Options{PruneCRDs: true}, true, false, false},
	} {
		a := &applier{opts: tc.opts}
		if a.keeps(ns) != tc.keepNS || a.keeps(crd) != tc.keepCRD || a.keeps(crb) != tc.cr {
			t.Errorf("%+v: keeps namespace %v, CRD %v, ClusterRoleBinding %v; want %v, %v, %v", tc.opts, a.keeps(ns), a.keeps(crd), a.keeps(crb), tc.keepNS, tc.keepCRD, tc.cr)
		}
	}
}
