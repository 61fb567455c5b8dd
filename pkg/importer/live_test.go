package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/authstack/authstack/pkg/doctor"
)

// objects decodes the Kubernetes objects of YAML files.
func objects(t *testing.T, files ...string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, obj)
		}
	}
	return out
}

// TestLiveImportIsTheFileImport runs the dashboard setup in a (fake)
// cluster: dex's config in the ConfigMap of dex's examples/k8s, the rest as
// applied. --live must import what the files import, and find the Pods
// behind the app's Service for its NetworkPolicy.
func TestLiveImportIsTheFileImport(t *testing.T) {
	dir := filepath.Join("testdata", "dashboard")
	fromFiles, err := doctor.Load(doctor.Inputs{
		DexConfig: filepath.Join(dir, "dex-config.yaml"), APIServerManifest: filepath.Join(dir, "kube-apiserver.yaml"),
		Manifests: []string{filepath.Join(dir, "manifests.yaml")}, RBAC: []string{filepath.Join(dir, "rbac.yaml")},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{ClusterName: "platform", KubernetesVersion: "1.29"}
	want, err := Import(fromFiles, opts)
	if err != nil {
		t.Fatal(err)
	}

	objs := objects(t, filepath.Join(dir, "kube-apiserver.yaml"), filepath.Join(dir, "manifests.yaml"), filepath.Join(dir, "rbac.yaml"))
	dexCfg, err := os.ReadFile(filepath.Join(dir, "dex-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dex", Name: "dex"}, Data: map[string]string{"config.yaml": string(dexCfg)}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "kubernetes-dashboard", Name: "kubernetes-dashboard-kong-proxy"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "kong"}}},
	)
	client := fake.NewSimpleClientset(objs...)
	m := &doctor.Model{}
	live, gaps, err := CollectLive(context.Background(), m, client)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 0 {
		t.Errorf("gaps while collecting: %v", gaps)
	}
	opts.PodSelectors = live.PodSelectors
	got, err := Import(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Spec.Issuer.Dex.Namespace != "dex" {
		t.Errorf("dex namespace = %q, want dex (where its config is)", got.Spec.Spec.Issuer.Dex.Namespace)
	}
	// The Service's selector is known live: the app gets its NetworkPolicy.
	app := got.Spec.Spec.Apps[0]
	if !reflect.DeepEqual(app.PodSelector, map[string]string{"app.kubernetes.io/name": "kong"}) || app.NetworkPolicy != nil {
		t.Errorf("app podSelector %v networkPolicy %v, want the Service's selector", app.PodSelector, app.NetworkPolicy)
	}
	got.Spec.Spec.Issuer.Dex.Namespace = ""
	got.Spec.Spec.Apps[0].PodSelector, got.Spec.Spec.Apps[0].NetworkPolicy = want.Spec.Spec.Apps[0].PodSelector, want.Spec.Spec.Apps[0].NetworkPolicy
	if !reflect.DeepEqual(got.Spec, want.Spec) {
		a, _ := Marshal(got, "live")
		b, _ := Marshal(want, "files")
		t.Errorf("live import differs from the file import:\n%s\nfiles:\n%s", a, b)
	}
	if !reflect.DeepEqual(got.Generated, want.Generated) {
		t.Errorf("live import keeps other secrets than the file import (%d vs %d values)", len(got.Generated), len(want.Generated))
	}
}
