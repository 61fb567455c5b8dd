package authproxy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Backend is one ready Pod port to forward to.
type Backend struct {
	Namespace string
	Pod       string
	Port      int
	// Scheme is what the upstream speaks on Port: http or https.
	Scheme string
	// Via names what the Pod was found through, for messages.
	Via string
}

func (b Backend) String() string {
	return fmt.Sprintf("pod/%s port %d (%s) in namespace %s, via %s", b.Pod, b.Port, b.Scheme, b.Namespace, b.Via)
}

// Resolver finds the Pod and port behind a Target.
type Resolver struct {
	Client kubernetes.Interface
	// Namespace is where a named Target lives, and where the dashboard is
	// looked for; empty looks for the dashboard in every namespace the
	// user can list.
	Namespace string
}

// Dashboard is a web UI authstack proxy finds by itself.
type Dashboard struct {
	// Name says which UI it is, for messages.
	Name string
	// What says what Service is looked for, for the error that finds none.
	What  string
	Match func(*corev1.Service) bool
}

// Dashboards are the web UIs found without a target, in this order.
var Dashboards = []Dashboard{
	{
		// The Helm chart of Kubernetes Dashboard v7 serves the UI through
		// its Kong sub-chart: Service <release>-kong-proxy, TLS on 443
		// (github.com/kubernetes/dashboard, charts/kubernetes-dashboard).
		Name: "Kubernetes Dashboard (Helm chart v7)",
		What: "a Service named *dashboard*-kong-proxy",
		Match: func(s *corev1.Service) bool {
			return strings.HasSuffix(s.Name, "-kong-proxy") && strings.Contains(s.Name, "dashboard")
		},
	},
	{
		// recommended.yaml of Dashboard v2: Service kubernetes-dashboard
		// labelled k8s-app=kubernetes-dashboard, 443 to the pod's 8443.
		Name: "Kubernetes Dashboard v2",
		What: "a Service kubernetes-dashboard labelled k8s-app=kubernetes-dashboard",
		Match: func(s *corev1.Service) bool {
			return s.Name == "kubernetes-dashboard" && s.Labels["k8s-app"] == "kubernetes-dashboard"
		},
	},
	{
		// The headlamp Helm chart labels its Service with the chart's
		// selector labels, app.kubernetes.io/name=headlamp.
		Name: "Headlamp",
		What: "a Service labelled app.kubernetes.io/name=headlamp",
		Match: func(s *corev1.Service) bool {
			return s.Labels["app.kubernetes.io/name"] == "headlamp"
		},
	},
}

// wellKnownNamespaces are searched for the dashboard when the user may not
// list Services in every namespace: where the upstream install guides put it.
var wellKnownNamespaces = []string{"kubernetes-dashboard", "headlamp", "kube-system"}

// Find turns a Target into the name of a Service or Pod in a namespace,
// finding the dashboard when the Target asks for it.
func (r *Resolver) Find(ctx context.Context, t Target) (Target, string, error) {
	if t.Kind != KindDashboard {
		ns := r.Namespace
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		return t, ns, nil
	}
	found, scope, err := r.findDashboards(ctx)
	if err != nil {
		return Target{}, "", err
	}
	switch len(found) {
	case 0:
		var what []string
		for _, d := range Dashboards {
			what = append(what, d.Name+" ("+d.What+")")
		}
		return Target{}, "", fmt.Errorf("no dashboard found in %s: looked for %s; name the Service or Pod to proxy, e.g. authstack proxy -n NAMESPACE svc/NAME", scope, strings.Join(what, ", "))
	case 1:
		return Target{Kind: KindService, Name: found[0].svc.Name}, found[0].svc.Namespace, nil
	}
	var names []string
	for _, f := range found {
		names = append(names, fmt.Sprintf("%s (%s/%s)", f.dashboard, f.svc.Namespace, f.svc.Name))
	}
	return Target{}, "", fmt.Errorf("found %d dashboards in %s: %s; choose one, e.g. authstack proxy -n %s svc/%s", len(found), scope, strings.Join(names, ", "), found[0].svc.Namespace, found[0].svc.Name)
}

type foundDashboard struct {
	dashboard string
	svc       *corev1.Service
}

func (r *Resolver) findDashboards(ctx context.Context) ([]foundDashboard, string, error) {
	namespaces := []string{r.Namespace}
	scope := "namespace " + r.Namespace
	if r.Namespace == "" {
		namespaces, scope = []string{metav1.NamespaceAll}, "all namespaces"
	}
	var found []foundDashboard
	for i := 0; i < len(namespaces); i++ {
		ns := namespaces[i]
		list, err := r.Client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		switch {
		case apierrors.IsForbidden(err) && ns == metav1.NamespaceAll:
			// Not everyone may list Services cluster-wide: look where the
			// install guides put the dashboard instead.
			namespaces = append(namespaces, wellKnownNamespaces...)
			scope = "namespaces " + strings.Join(wellKnownNamespaces, ", ") + " (listing Services in all namespaces is forbidden)"
			continue
		case apierrors.IsForbidden(err) && ns != r.Namespace:
			continue
		case err != nil:
			return nil, "", fmt.Errorf("list services in %s: %w", scopeOf(ns), err)
		}
		for j := range list.Items {
			svc := &list.Items[j]
			for _, d := range Dashboards {
				if d.Match(svc) {
					found = append(found, foundDashboard{dashboard: d.Name, svc: svc})
					break
				}
			}
		}
	}
	return found, scope, nil
}

func scopeOf(ns string) string {
	if ns == metav1.NamespaceAll {
		return "all namespaces"
	}
	return "namespace " + ns
}

// Resolve finds a ready Pod and the port to forward to for a Service or Pod
// target in namespace ns.
func (r *Resolver) Resolve(ctx context.Context, t Target, ns string) (Backend, error) {
	switch t.Kind {
	case KindService:
		return r.resolveService(ctx, t, ns)
	case KindPod:
		return r.resolvePod(ctx, t, ns)
	}
	return Backend{}, fmt.Errorf("resolve %s: call Find first", t)
}

func (r *Resolver) resolveService(ctx context.Context, t Target, ns string) (Backend, error) {
	svc, err := r.Client.CoreV1().Services(ns).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Backend{}, fmt.Errorf("get service %s in namespace %s: %w", t.Name, ns, err)
	}
	sp, err := servicePort(svc, t.Port)
	if err != nil {
		return Backend{}, err
	}
	scheme := t.Scheme
	if scheme == "" {
		scheme = schemeOf(sp.Name, ptrValue(sp.AppProtocol), int(sp.Port))
	}
	via := fmt.Sprintf("service/%s port %d", svc.Name, sp.Port)
	pod, port, err := r.readyEndpoint(ctx, svc, sp)
	if err != nil {
		return Backend{}, err
	}
	return Backend{Namespace: ns, Pod: pod, Port: port, Scheme: scheme, Via: via}, nil
}

// servicePort picks the Service port the user asked for, else the only one,
// else the first that says it serves HTTPS or HTTP.
func servicePort(svc *corev1.Service, want int) (corev1.ServicePort, error) {
	var tcp []corev1.ServicePort
	for _, p := range svc.Spec.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			tcp = append(tcp, p)
		}
	}
	if want != 0 {
		for _, p := range tcp {
			if int(p.Port) == want {
				return p, nil
			}
		}
		return corev1.ServicePort{}, fmt.Errorf("service %s in namespace %s has no TCP port %d; it has %s", svc.Name, svc.Namespace, want, portList(tcp))
	}
	if len(tcp) == 0 {
		return corev1.ServicePort{}, fmt.Errorf("service %s in namespace %s has no TCP port to forward to", svc.Name, svc.Namespace)
	}
	for _, p := range tcp {
		if schemeHint(p.Name, ptrValue(p.AppProtocol)) != "" {
			return p, nil
		}
	}
	return tcp[0], nil
}

func portList(ports []corev1.ServicePort) string {
	if len(ports) == 0 {
		return "none"
	}
	var s []string
	for _, p := range ports {
		s = append(s, fmt.Sprintf("%d", p.Port))
	}
	return strings.Join(s, ", ")
}

// schemeHint reads a port's name or appProtocol (Kubernetes' convention for
// naming the application protocol of a port, e.g. "https", "https-web").
func schemeHint(name, appProtocol string) string {
	for _, s := range []string{strings.ToLower(appProtocol), strings.ToLower(name)} {
		switch {
		case s == "https" || strings.HasPrefix(s, "https-") || strings.HasSuffix(s, "-https") || strings.HasSuffix(s, "-tls") || s == "tls":
			return "https"
		case s == "http" || strings.HasPrefix(s, "http-") || strings.HasSuffix(s, "-http"):
			return "http"
		}
	}
	return ""
}

func schemeOf(name, appProtocol string, port int) string {
	if s := schemeHint(name, appProtocol); s != "" {
		return s
	}
	if port == 443 || port == 8443 {
		return "https"
	}
	return "http"
}

func ptrValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// readyEndpoint finds a ready Pod behind the Service and the port the Service
// port sends to, from the EndpointSlices that carry the Service's port
// numbers already resolved (named target ports included). Without
// EndpointSlices (no controller, or listing them is forbidden) it resolves
// the target port against the Pods of the selector itself.
func (r *Resolver) readyEndpoint(ctx context.Context, svc *corev1.Service, sp corev1.ServicePort) (string, int, error) {
	slices, err := r.Client.DiscoveryV1().EndpointSlices(svc.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{discoveryv1.LabelServiceName: svc.Name}.String(),
	})
	switch {
	case apierrors.IsForbidden(err):
		return r.readySelectedPod(ctx, svc, sp)
	case err != nil:
		return "", 0, fmt.Errorf("list endpointslices of service %s in namespace %s: %w", svc.Name, svc.Namespace, err)
	case len(slices.Items) == 0:
		return r.readySelectedPod(ctx, svc, sp)
	}
	notReady := 0
	var ready []podPort
	for _, s := range slices.Items {
		port := slicePort(s, sp.Name)
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				continue
			}
			// EndpointConditions: a nil ready is to be read as ready; a
			// terminating endpoint is never used for new connections.
			if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || (ep.Conditions.Terminating != nil && *ep.Conditions.Terminating) {
				notReady++
				continue
			}
			ready = append(ready, podPort{ep.TargetRef.Name, port})
		}
	}
	return pick(ready, notReady, svc)
}

type podPort struct {
	pod  string
	port int
}

func pick(ready []podPort, notReady int, svc *corev1.Service) (string, int, error) {
	if len(ready) == 0 {
		return "", 0, fmt.Errorf("service %s in namespace %s has no ready pod (%d not ready); see kubectl -n %s get endpointslices,pods", svc.Name, svc.Namespace, notReady, svc.Namespace)
	}
	// The same Pod each time while it stays ready, so a reconnect after a
	// restart goes back to it.
	slices.SortFunc(ready, func(a, b podPort) int { return strings.Compare(a.pod, b.pod) })
	return ready[0].pod, ready[0].port, nil
}

// slicePort is the port number an EndpointSlice gives for the Service port
// named name (EndpointSlice ports carry the Service port's name).
func slicePort(s discoveryv1.EndpointSlice, name string) int {
	for _, p := range s.Ports {
		if ptrValue(p.Name) == name && p.Port != nil && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) {
			return int(*p.Port)
		}
	}
	return 0
}

func (r *Resolver) readySelectedPod(ctx context.Context, svc *corev1.Service, sp corev1.ServicePort) (string, int, error) {
	if len(svc.Spec.Selector) == 0 {
		return "", 0, fmt.Errorf("service %s in namespace %s has no selector and no EndpointSlices: nothing to forward to", svc.Name, svc.Namespace)
	}
	pods, err := r.Client.CoreV1().Pods(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.Set(svc.Spec.Selector).String()})
	if err != nil {
		return "", 0, fmt.Errorf("list pods of service %s in namespace %s: %w", svc.Name, svc.Namespace, err)
	}
	notReady := 0
	var ready []podPort
	var portErr error
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !podReady(pod) {
			notReady++
			continue
		}
		port, err := targetPort(pod, sp)
		if err != nil {
			portErr = err
			continue
		}
		ready = append(ready, podPort{pod.Name, port})
	}
	if len(ready) == 0 && portErr != nil {
		return "", 0, portErr
	}
	return pick(ready, notReady, svc)
}

// targetPort resolves a Service port's targetPort in one Pod: a number is
// used as is (0 means the same as the port), a name is looked up among the
// Pod's container ports, as kube-proxy does.
func targetPort(pod *corev1.Pod, sp corev1.ServicePort) (int, error) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, p := range containerPorts(pod) {
			if p.Name == sp.TargetPort.StrVal {
				return int(p.ContainerPort), nil
			}
		}
		return 0, fmt.Errorf("pod %s in namespace %s has no container port named %q (targetPort of service port %d)", pod.Name, pod.Namespace, sp.TargetPort.StrVal, sp.Port)
	case sp.TargetPort.IntVal != 0:
		return int(sp.TargetPort.IntVal), nil
	}
	return int(sp.Port), nil
}

func podReady(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (r *Resolver) resolvePod(ctx context.Context, t Target, ns string) (Backend, error) {
	pod, err := r.Client.CoreV1().Pods(ns).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Backend{}, fmt.Errorf("get pod %s in namespace %s: %w", t.Name, ns, err)
	}
	if !podReady(pod) {
		return Backend{}, fmt.Errorf("pod %s in namespace %s is not ready (phase %s)", pod.Name, ns, pod.Status.Phase)
	}
	b := Backend{Namespace: ns, Pod: pod.Name, Port: t.Port, Scheme: t.Scheme, Via: "pod/" + pod.Name}
	// Without a port, the first TCP container port; with one, its name (for
	// the scheme) when the Pod declares it. Undeclared ports still forward.
	name := ""
	for _, p := range containerPorts(pod) {
		if b.Port == 0 || int(p.ContainerPort) == b.Port {
			b.Port, name = int(p.ContainerPort), p.Name
			break
		}
	}
	if b.Port == 0 {
		return Backend{}, errors.New("pod " + pod.Name + " in namespace " + ns + " declares no TCP container port; name one: authstack proxy https://" + pod.Name + ":PORT")
	}
	if b.Scheme == "" {
		b.Scheme = schemeOf(name, "", b.Port)
	}
	return b, nil
}

// containerPorts lists the TCP ports the Pod's containers declare, in order.
func containerPorts(pod *corev1.Pod) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				ports = append(ports, p)
			}
		}
	}
	return ports
}
