package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/render/dex"
	"github.com/authstack/authstack/pkg/render/headlamp"
)

// HeadlampOIDCSecret names the Secret with an own-login app's OIDC client.
func HeadlampOIDCSecret(app string) string { return app + "-oidc" }

// ownLoginApps renders the apps that log users in themselves (identity
// oidc, Headlamp): no oauth2-proxy, but the Secret with the app's client,
// the chart values that point Headlamp at it, and the app's Ingress and
// NetworkPolicy that the proxy's chart objects would otherwise carry.
func (r *renderer) ownLoginApps() error {
	for i := range r.spec.Apps {
		app := &r.spec.Apps[i]
		if !app.OwnLogin() {
			continue
		}
		if err := r.ownLoginApp(i, app); err != nil {
			return fmt.Errorf("app %s: %w", app.Name, err)
		}
	}
	return nil
}

func (r *renderer) ownLoginApp(i int, app *v1alpha1.App) error {
	var (
		clientSecret string
		err          error
	)
	if e := r.spec.Issuer.External; e != nil {
		clientSecret, err = r.opts.Secrets.Provided(e.AppClientSecret)
	} else {
		// The same kept secret dex's static client is rendered with.
		clientSecret, err = r.opts.Secrets.Generated(dex.ClientSecretName(app.ClientID), dex.ClientSecretSize)
	}
	if err != nil {
		return fmt.Errorf("client secret: %w", err)
	}
	s := headlamp.Settings{
		ClientID: app.ClientID, ClientSecret: clientSecret, IssuerURL: r.spec.IssuerURL(),
		Scopes: r.spec.OwnLoginScopes(), CallbackURL: app.RedirectURI(), SecretName: HeadlampOIDCSecret(app.Name),
	}
	if r.issuerCA != "" {
		s.IssuerCAConfigMap = app.Name + "-oidc-ca"
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: s.IssuerCAConfigMap, Namespace: app.Namespace, Labels: r.labels(app.Name)},
			Data:       map[string]string{"ca.crt": r.issuerCA},
		}
		if err := r.add(appFile(app), cm); err != nil {
			return err
		}
	}
	if err := r.secret(secretsFile, s.SecretName, app.Namespace, app.Name, s.SecretData()); err != nil {
		return err
	}
	values, err := s.ValuesFile(app.Upstream.Service, app.Namespace)
	if err != nil {
		return err
	}
	r.files = append(r.files, File{Path: "apps/" + app.Name + "/headlamp-values.yaml", Data: values})

	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace, Labels: r.labels(app.Name)},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &app.IngressClassName,
			Rules: []networkingv1.IngressRule{{Host: v1alpha1.Hostname(app.Host), IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: app.Upstream.Service, Port: networkingv1.ServiceBackendPort{Number: app.Upstream.Port}},
				}}},
			}}}},
		},
	}
	if app.TLSSecretName != "" {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{v1alpha1.Hostname(app.Host)}, SecretName: app.TLSSecretName}}
	}
	if err := r.add(appFile(app), ing); err != nil {
		return err
	}
	sel, err := r.appPodSelector(i, app)
	if err != nil || sel == nil {
		return err
	}
	from, err := r.ingressFrom()
	if err != nil {
		return err
	}
	peers := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": from.Namespace}}}}
	for _, c := range from.CIDRs {
		peers = append(peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
	}
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "authstack-" + app.Name, Namespace: app.Namespace, Labels: r.labels(app.Name)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: sel},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: peers}},
		},
	}
	return r.add(appFile(app), np)
}

// appFile is the manifest file of an app that logs users in itself.
func appFile(app *v1alpha1.App) string { return "manifests/app-" + app.Name + ".yaml" }
