package doctor

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/authstack/authstack/pkg/render/certmanager"
)

var _ = register(liveCheck(Check{
	Code: "AS-98", Name: "tls-secret", Severity: Error,
	Title:   "every TLS Secret an Ingress names exists and is a kubernetes.io/tls Secret",
	Symptom: "the browser warns about the certificate (ingress-nginx serves its \"Kubernetes Ingress Controller Fake Certificate\"); oauth2-proxy and the API server fail to reach dex with \"x509: certificate signed by unknown authority\".",
	Cause:   "The Ingress names a Secret that does not exist (nothing creates it without spec.tls.certManager), that cert-manager has not issued yet, or that is not of type kubernetes.io/tls with tls.crt and tls.key (ingress-nginx ignores such a Secret).",
	Fix:     "Create the Secret with kubectl create secret tls NAME --cert=... --key=... in the Ingress's namespace, or set spec.tls.certManager so that authstack renders a cert-manager Certificate for it.",
}))

func init() {
	liveNotObserved["AS-98"] = "no Ingress with a TLS Secret to look up (give a spec with -f, or the Ingresses)"
}

// tlsRef is one Secret that Ingresses name, and whether cert-manager's
// ingress-shim was asked to issue it.
type tlsRef struct {
	namespace, name string
	hosts           []string
	sources         []string
	shim            bool
}

// tlsSecrets looks up every Secret the Ingresses of the model name: those
// authstack renders for the spec, or those given as files.
func (l *liveCollector) tlsSecrets(ctx context.Context) {
	refs := map[string]*tlsRef{}
	for _, in := range l.m.Ingresses {
		for host, secret := range in.TLSSecrets {
			if secret == "" {
				continue
			}
			k := in.Namespace + "/" + secret
			r := refs[k]
			if r == nil {
				r = &tlsRef{namespace: in.Namespace, name: secret}
				refs[k] = r
			}
			r.hosts = appendNew(r.hosts, host)
			r.sources = appendNew(r.sources, in.Source)
			_, issuer := in.Annotations["cert-manager.io/issuer"]
			_, cluster := in.Annotations["cert-manager.io/cluster-issuer"]
			r.shim = r.shim || issuer || cluster
		}
	}
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l.tlsSecret(ctx, refs[k])
	}
}

func (l *liveCollector) tlsSecret(ctx context.Context, r *tlsRef) {
	key := r.namespace + "/" + r.name
	evidence := append([]string{"live: Secret " + key}, r.sources...)
	s, err := l.client.CoreV1().Secrets(r.namespace).Get(ctx, r.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if r.shim || l.certificateFor(ctx, r) {
			l.add("AS-98", Warning, fmt.Sprintf("TLS Secret %s for %v does not exist yet: cert-manager is asked to issue it but has not", key, r.hosts), evidence,
				fmt.Sprintf("kubectl describe certificate -n %s %s shows why (issuer not ready, ACME challenge failing)", r.namespace, r.name))
			return
		}
		l.add("AS-98", Error, fmt.Sprintf("TLS Secret %s for %v does not exist, and nothing creates it: the ingress controller serves its own self-signed certificate", key, r.hosts), evidence,
			fmt.Sprintf("kubectl create secret tls %s -n %s --cert=CERT --key=KEY, or set spec.tls.certManager", r.name, r.namespace))
	case err != nil:
		l.add("AS-98", Info, fmt.Sprintf("cannot read TLS Secret %s: %v", key, err), evidence, "")
	case s.Type != corev1.SecretTypeTLS:
		l.add("AS-98", Error, fmt.Sprintf("Secret %s for %v is of type %q, not kubernetes.io/tls: ingress-nginx does not serve it", key, r.hosts, s.Type), evidence,
			fmt.Sprintf("recreate it with kubectl create secret tls %s -n %s --cert=CERT --key=KEY", r.name, r.namespace))
	case len(s.Data[corev1.TLSCertKey]) == 0 || len(s.Data[corev1.TLSPrivateKeyKey]) == 0:
		l.add("AS-98", Error, fmt.Sprintf("TLS Secret %s for %v lacks tls.crt or tls.key", key, r.hosts), evidence,
			fmt.Sprintf("recreate it with kubectl create secret tls %s -n %s --cert=CERT --key=KEY", r.name, r.namespace))
	default:
		l.m.Live.Passed["AS-98"] = true
	}
}

// certificateFor reports whether a cert-manager Certificate in the
// Secret's namespace writes it (spec.tls.certManager renders one named
// after its Secret); false when Certificates cannot be read (no CRD).
func (l *liveCollector) certificateFor(ctx context.Context, r *tlsRef) bool {
	dyn, err := dynamic.NewForConfig(l.cfg)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	list, err := dyn.Resource(certmanager.GVR).Namespace(r.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	for _, c := range list.Items {
		if name, _, _ := unstructured.NestedString(c.Object, "spec", "secretName"); name == r.name {
			return true
		}
	}
	return false
}
