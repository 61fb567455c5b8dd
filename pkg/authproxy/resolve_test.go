package authproxy

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

func service(ns, name string, labels map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: ports},
	}
}

func pod(ns, name, app string, ready bool, ports ...corev1.ContainerPort) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

type endpoint struct {
	pod                string
	ready, terminating *bool
}

func slice(ns, svc, portName string, port int32, eps ...endpoint) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: svc + "-abc", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, ep := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.0.0.1"},
			Conditions: discoveryv1.EndpointConditions{Ready: ep.ready, Terminating: ep.terminating},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: ep.pod},
		})
	}
	return s
}

var (
	dashboardV7 = service("kubernetes-dashboard", "kubernetes-dashboard-kong-proxy", map[string]string{"app.kubernetes.io/name": "kong"},
		corev1.ServicePort{Name: "kong-proxy-tls", Port: 443, TargetPort: intstr.FromInt32(8443)})
	dashboardV2 = service("kubernetes-dashboard", "kubernetes-dashboard", map[string]string{"k8s-app": "kubernetes-dashboard"},
		corev1.ServicePort{Port: 443, TargetPort: intstr.FromInt32(8443)})
	headlamp = service("kube-system", "my-headlamp", map[string]string{"app.kubernetes.io/name": "headlamp"},
		corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")})
	unrelated = service("apps", "web", nil, corev1.ServicePort{Name: "http", Port: 80})
)

func TestFindDashboardInAnyNamespace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		svc     *corev1.Service
		wantErr string
	}{
		{"dashboard v7", dashboardV7, ""},
		{"dashboard v2", dashboardV2, ""},
		{"headlamp", headlamp, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Resolver{Client: fake.NewClientset(unrelated, tc.svc)}
			got, ns, err := r.Find(context.Background(), Target{Kind: KindDashboard})
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != KindService || got.Name != tc.svc.Name || ns != tc.svc.Namespace {
				t.Errorf("Find = %+v in %q, want service %s in %s", got, ns, tc.svc.Name, tc.svc.Namespace)
			}
		})
	}
}

func TestFindDashboardNamesWhatItLookedFor(t *testing.T) {
	r := &Resolver{Client: fake.NewClientset(unrelated)}
	_, _, err := r.Find(context.Background(), Target{Kind: KindDashboard})
	if err == nil {
		t.Fatal("found a dashboard among unrelated services")
	}
	for _, want := range []string{"all namespaces", "kong-proxy", "k8s-app=kubernetes-dashboard", "app.kubernetes.io/name=headlamp", "authstack proxy -n NAMESPACE svc/NAME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFindDashboardAsksWhichWhenThereAreSeveral(t *testing.T) {
	r := &Resolver{Client: fake.NewClientset(dashboardV7, headlamp)}
	_, _, err := r.Find(context.Background(), Target{Kind: KindDashboard})
	if err == nil || !strings.Contains(err.Error(), "found 2 dashboards") || !strings.Contains(err.Error(), "kube-system/my-headlamp") {
		t.Fatalf("Find = %v, want an error listing both dashboards", err)
	}
}

func TestFindDashboardOnlyInTheGivenNamespace(t *testing.T) {
	r := &Resolver{Client: fake.NewClientset(dashboardV7, headlamp), Namespace: "kube-system"}
	got, ns, err := r.Find(context.Background(), Target{Kind: KindDashboard})
	if err != nil || got.Name != "my-headlamp" || ns != "kube-system" {
		t.Fatalf("Find = %+v in %q, %v; want headlamp in kube-system", got, ns, err)
	}
}

func TestFindDashboardWithoutTheRightToListEverywhere(t *testing.T) {
	client := fake.NewClientset(dashboardV7)
	client.PrependReactor("list", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() == metav1.NamespaceAll {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", nil)
		}
		if a.GetNamespace() == "kube-system" {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", nil)
		}
		return false, nil, nil
	})
	r := &Resolver{Client: client}
	got, ns, err := r.Find(context.Background(), Target{Kind: KindDashboard})
	if err != nil || got.Name != dashboardV7.Name || ns != "kubernetes-dashboard" {
		t.Fatalf("Find = %+v in %q, %v; want the dashboard found in its well-known namespace", got, ns, err)
	}
}

func TestResolveServiceUsesAReadyEndpointAndItsResolvedPort(t *testing.T) {
	ns := "kubernetes-dashboard"
	client := fake.NewClientset(dashboardV7,
		slice(ns, dashboardV7.Name, "kong-proxy-tls", 8443,
			endpoint{pod: "a-terminating", ready: ptr.To(true), terminating: ptr.To(true)},
			endpoint{pod: "b-not-ready", ready: ptr.To(false)},
			endpoint{pod: "c-ready", ready: ptr.To(true)},
		))
	b, err := (&Resolver{Client: client}).Resolve(context.Background(), Target{Kind: KindService, Name: dashboardV7.Name}, ns)
	if err != nil {
		t.Fatal(err)
	}
	want := Backend{Namespace: ns, Pod: "c-ready", Port: 8443, Scheme: "https", Via: "service/kubernetes-dashboard-kong-proxy port 443"}
	if b != want {
		t.Errorf("Resolve = %+v, want %+v", b, want)
	}
}

func TestResolveServiceWithoutReadyPodSaysSo(t *testing.T) {
	ns := "kubernetes-dashboard"
	client := fake.NewClientset(dashboardV7, slice(ns, dashboardV7.Name, "kong-proxy-tls", 8443, endpoint{pod: "x", ready: ptr.To(false)}))
	_, err := (&Resolver{Client: client}).Resolve(context.Background(), Target{Kind: KindService, Name: dashboardV7.Name}, ns)
	if err == nil || !strings.Contains(err.Error(), "no ready pod (1 not ready)") {
		t.Fatalf("Resolve = %v, want no ready pod", err)
	}
}

func TestResolveServiceWithoutEndpointSlicesResolvesANamedTargetPort(t *testing.T) {
	client := fake.NewClientset(headlamp,
		pod("kube-system", "my-headlamp-0", "my-headlamp", false, corev1.ContainerPort{Name: "http", ContainerPort: 4466}),
		pod("kube-system", "my-headlamp-1", "my-headlamp", true, corev1.ContainerPort{Name: "metrics", ContainerPort: 9090}, corev1.ContainerPort{Name: "http", ContainerPort: 4466}),
	)
	b, err := (&Resolver{Client: client}).Resolve(context.Background(), Target{Kind: KindService, Name: headlamp.Name}, "kube-system")
	if err != nil {
		t.Fatal(err)
	}
	if b.Pod != "my-headlamp-1" || b.Port != 4466 || b.Scheme != "http" {
		t.Errorf("Resolve = %+v, want the ready pod's container port named http (4466)", b)
	}
}

func TestResolveServiceRefusesANamedTargetPortThePodLacks(t *testing.T) {
	client := fake.NewClientset(headlamp, pod("kube-system", "my-headlamp-0", "my-headlamp", true, corev1.ContainerPort{Name: "web", ContainerPort: 4466}))
	_, err := (&Resolver{Client: client}).Resolve(context.Background(), Target{Kind: KindService, Name: headlamp.Name}, "kube-system")
	if err == nil || !strings.Contains(err.Error(), `no container port named "http"`) {
		t.Fatalf("Resolve = %v, want the missing named port", err)
	}
}

func TestResolveServicePortAndScheme(t *testing.T) {
	ns := "apps"
	svc := service(ns, "web", nil,
		corev1.ServicePort{Name: "metrics", Port: 9090},
		corev1.ServicePort{Name: "https", Port: 8443, TargetPort: intstr.FromInt32(443)})
	s := slice(ns, "web", "https", 443, endpoint{pod: "web-0"})
	s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr.To("metrics"), Port: ptr.To[int32](9090)})
	client := fake.NewClientset(svc, s)
	r := &Resolver{Client: client}

	b, err := r.Resolve(context.Background(), Target{Kind: KindService, Name: "web"}, ns)
	if err != nil || b.Port != 443 || b.Scheme != "https" {
		t.Errorf("default port: %+v, %v; want the https port (443 on the pod)", b, err)
	}
	b, err = r.Resolve(context.Background(), Target{Kind: KindService, Name: "web", Port: 9090, Scheme: "http"}, ns)
	if err != nil || b.Port != 9090 || b.Scheme != "http" {
		t.Errorf("port 9090: %+v, %v; want 9090 over http", b, err)
	}
	_, err = r.Resolve(context.Background(), Target{Kind: KindService, Name: "web", Port: 80}, ns)
	if err == nil || !strings.Contains(err.Error(), "has no TCP port 80; it has 9090, 8443") {
		t.Errorf("port 80: %v, want the ports it has", err)
	}
}

func TestResolvePod(t *testing.T) {
	client := fake.NewClientset(
		pod("apps", "web-0", "web", true, corev1.ContainerPort{Name: "https", ContainerPort: 8443}),
		pod("apps", "web-1", "web", false, corev1.ContainerPort{ContainerPort: 80}),
		pod("apps", "bare", "bare", true),
	)
	r := &Resolver{Client: client}
	b, err := r.Resolve(context.Background(), Target{Kind: KindPod, Name: "web-0"}, "apps")
	if err != nil || b.Port != 8443 || b.Scheme != "https" {
		t.Errorf("web-0: %+v, %v; want 8443 over https", b, err)
	}
	if _, err := r.Resolve(context.Background(), Target{Kind: KindPod, Name: "web-1"}, "apps"); err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("web-1: %v, want not ready", err)
	}
	if _, err := r.Resolve(context.Background(), Target{Kind: KindPod, Name: "bare"}, "apps"); err == nil || !strings.Contains(err.Error(), "https://bare:PORT") {
		t.Errorf("bare: %v, want a hint to name the port", err)
	}
	b, err = r.Resolve(context.Background(), Target{Kind: KindPod, Name: "bare", Port: 3000}, "apps")
	if err != nil || b.Port != 3000 || b.Scheme != "http" {
		t.Errorf("bare:3000: %+v, %v; want 3000 over http", b, err)
	}
}
