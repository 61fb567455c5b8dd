package apply

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

type corev1ConfigMap struct{ name, namespace string }

func (c *corev1ConfigMap) create(t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	_, err := kube.CoreV1().ConfigMaps(c.namespace).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: c.namespace},
		Data:       map[string]string{"a": "b"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}
