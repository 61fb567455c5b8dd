package apiproxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// protobufBody encodes obj as kubectl sends built-in objects.
func protobufBody(t *testing.T, obj runtime.Object) []byte {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := protobuf.NewSerializer(scheme, scheme).Encode(obj, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// kubectl 1.37 sends built-in objects as protobuf: the records webhook
// gets their type and metadata (a JSON-only capture sent {} for every
// kubectl create), still never a Secret's, and the API server still gets
// the body unchanged.
func TestCaptureBodyOfProtobufRequests(t *testing.T) {
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "team", Labels: map[string]string{"app": "shop"}},
		Data:       map[string]string{"mode": "fast"}}
	secret := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "hunter2"}}
	capture := func(resource string, body []byte, ct string) []byte {
		req := httptest.NewRequest("POST", "/api/v1/namespaces/team/"+resource, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		got := captureBody(req, &genericapirequest.RequestInfo{Verb: "create", Resource: resource})
		forwarded, _ := io.ReadAll(req.Body)
		if !bytes.Equal(forwarded, body) {
			t.Errorf("%s: the body forwarded differs from the body sent", resource)
		}
		return got
	}

	got := capture("configmaps", protobufBody(t, cm), "application/vnd.kubernetes.protobuf")
	var summary struct {
		APIVersion, Kind string
		Metadata         metav1.ObjectMeta
		Data             map[string]string
	}
	if err := json.Unmarshal(got, &summary); err != nil {
		t.Fatalf("protobuf ConfigMap recorded as %q: %v", got, err)
	}
	if summary.APIVersion != "v1" || summary.Kind != "ConfigMap" || summary.Metadata.Name != "settings" ||
		summary.Metadata.Namespace != "team" || summary.Metadata.Labels["app"] != "shop" {
		t.Errorf("protobuf ConfigMap recorded as %s", got)
	}
	if summary.Data != nil {
		t.Errorf("the summary claims to hold the data: %s", got)
	}

	// Secrets: neither by resource nor by kind.
	pb := protobufBody(t, secret)
	if got := capture("secrets", pb, "application/vnd.kubernetes.protobuf"); got != nil {
		t.Errorf("a protobuf Secret was captured: %s", got)
	}
	if got := capture("configmaps", pb, "application/vnd.kubernetes.protobuf"); got != nil {
		t.Errorf("a protobuf Secret posted to another resource was captured: %s", got)
	}
	// JSON stays as it is.
	js := []byte(`{"kind":"ConfigMap","metadata":{"name":"settings"},"data":{"mode":"fast"}}`)
	if got := capture("configmaps", js, "application/json"); !bytes.Equal(got, js) {
		t.Errorf("JSON body recorded as %s", got)
	}
	// Not an object: nothing, and no panic.
	for _, body := range [][]byte{[]byte("k8s\x00\xff\xff"), []byte("k8s\x00"), []byte("not protobuf")} {
		if got := capture("configmaps", body, "application/vnd.kubernetes.protobuf"); got != nil {
			t.Errorf("%q recorded as %s", body, got)
		}
	}
	if strings.Contains(string(got), "hunter2") {
		t.Error("secret data captured")
	}
}

func FuzzProtobufMetadata(f *testing.F) {
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Add([]byte{0x08, 0x96, 0x01, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, msg []byte) {
		_ = protobufMetadata(msg)
		_ = protobufSummary(append(append([]byte{}, protobufPrefix...), msg...))
	})
}
