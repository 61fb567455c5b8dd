package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/kubeclient"
	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/formats/dexconfig"
	"github.com/authstack/authstack/pkg/formats/oauth2proxy"
	"github.com/authstack/authstack/pkg/render"
)

// LiveOptions say which cluster --live inspects.
type LiveOptions struct {
	// Kubeconfig and Context select the cluster; empty means the default
	// loading rules and the current context.
	Kubeconfig string
	Context    string
	// Config and Client replace the kubeconfig (tests).
	Config *rest.Config
	Client kubernetes.Interface
	// HTTPClient fetches issuer discovery; nil means one trusting the
	// system roots plus the API server's issuer CA.
	HTTPClient *http.Client
	// Dynamic reads the edge objects; nil means one from Config (tests set it).
	Dynamic dynamic.Interface
}

const managedBy = "app.kubernetes.io/managed-by=authstack"

// CollectLive adds what the running cluster shows to the model: the API
// server Pod's flags, issuer discovery and keys, dex and oauth2-proxy as
// deployed by authstack, and how the API server treats the token.
func CollectLive(ctx context.Context, m *Model, opts LiveOptions) error {
	cfg, client := opts.Config, opts.Client
	if cfg == nil {
		var err error
		if cfg, err = kubeclient.RESTConfig(opts.Kubeconfig, opts.Context); err != nil {
			return &InputError{File: "kubeconfig", Err: fmt.Errorf("--live needs a cluster: %w", err)}
		}
	}
	if client == nil {
		var err error
		if client, err = kubernetes.NewForConfig(cfg); err != nil {
			return fmt.Errorf("live: %w", err)
		}
	}
	m.Live = &Live{Server: cfg.Host, Passed: map[string]bool{}}
	l := &liveCollector{m: m, cfg: cfg, client: client, http: opts.HTTPClient}
	l.apiServerPod(ctx)
	l.components(ctx)
	l.edgeObjects(ctx, opts.Dynamic)
	l.tlsSecrets(ctx)
	l.apiProxy(ctx)
	l.discovery(ctx)
	l.token(ctx)
	return nil
}

type liveCollector struct {
	m      *Model
	cfg    *rest.Config
	client kubernetes.Interface
	http   *http.Client
}

func (l *liveCollector) add(code string, sev Severity, msg string, evidence []string, fix string) {
	l.m.Live.Findings = append(l.m.Live.Findings, Finding{Code: code, Severity: sev, Message: msg, Evidence: evidence, Fix: fix})
}

func (l *liveCollector) apiServerPod(ctx context.Context) {
	pods, err := l.client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "component=kube-apiserver"})
	if err != nil || len(pods.Items) == 0 {
		why := "no Pod labeled component=kube-apiserver in kube-system (managed control plane or not a static pod)"
		if err != nil {
			why = err.Error()
		}
		l.add("AS-90", Info, "the API server's flags are not visible: "+why, []string{"live: " + l.cfg.Host}, "give the API server's settings as files (--apiserver-manifest, --authentication-config)")
		return
	}
	p := &pods.Items[0]
	src := fmt.Sprintf("live: Pod kube-system/%s", p.Name)
	before := len(l.m.APIServers)
	l.m.AddAPIServerPod(src, p)
	if len(l.m.APIServers) == before {
		l.add("AS-90", Warning, fmt.Sprintf("the running API server (%s) has neither --oidc-issuer-url nor --authentication-config: it accepts no OIDC tokens", p.Name), []string{src}, "configure the API server's OIDC settings (authstack render shows them)")
		return
	}
	l.add("AS-90", Info, fmt.Sprintf("read the running API server's flags from Pod kube-system/%s", p.Name), []string{src}, "")
}

// components reads dex and oauth2-proxy as authstack deployed them; with a
// spec, differences from the rendered configs are drift.
func (l *liveCollector) components(ctx context.Context) {
	secrets, err := l.client.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: managedBy})
	if err != nil {
		l.add("AS-95", Info, "cannot read authstack's Secrets: "+err.Error(), []string{"live: " + l.cfg.Host}, "")
		return
	}
	byName := map[string]map[string]string{}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		byName[s.Namespace+"/"+s.Name] = secretData(s)
	}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		if s.Name != render.DexConfigSecret {
			continue
		}
		key := s.Namespace + "/" + s.Name
		src := "live: Secret " + key + " " + dexconfig.ConfigKey
		if want, ok := l.m.rendered["dex"]; ok {
			// Drift is a byte comparison with the rendered file.
			if got, _, _ := dexconfig.ConfigText(s); string(want) != string(got) {
				l.add("AS-95", Warning, "the running dex config differs from what authstack renders for the spec", []string{src}, "run authstack apply -f <spec>, or update the spec to what runs")
			} else {
				l.m.Live.Passed["AS-95"] = true
			}
			continue
		}
		if l.m.Dex != nil && l.m.Dex.Issuer != "" {
			continue // the dex config given as a file is the evidence
		}
		if err := l.m.addDexSecret(src, s, byName[s.Namespace+"/"+render.DexEnvSecret]); err != nil {
			l.add("AS-95", Warning, "the running dex config cannot be read: "+err.Error(), []string{src}, "")
		}
	}
	deps, err := l.client.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: managedBy})
	if err == nil {
		for i := range deps.Items {
			d := &deps.Items[i]
			if l.m.rendered["dex"] == nil || d.Labels["app.kubernetes.io/name"] != "dex" {
				l.m.addDeployment("live", d)
			}
		}
	}
	cms, err := l.client.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{LabelSelector: managedBy})
	if err != nil {
		return
	}
	for i := range cms.Items {
		cm := &cms.Items[i]
		cfg, ok := cm.Data[oauth2proxy.ConfigKey]
		if !ok {
			continue
		}
		key := cm.Namespace + "/" + cm.Name
		src := "live: ConfigMap " + key
		alpha := alphaOf(cm.Data)
		if want, ok := l.m.rendered["proxy/"+key]; ok {
			if string(want) != cfg+string(alpha) {
				l.add("AS-95", Warning, fmt.Sprintf("the running oauth2-proxy config %s differs from what authstack renders for the spec", key), []string{src}, "run authstack apply -f <spec>, or update the spec to what runs")
			} else {
				l.m.Live.Passed["AS-95"] = true
			}
			continue
		}
		if err := l.m.addProxyFiles(src, strings.TrimPrefix(cm.Name, "oauth2-proxy-"), []byte(cfg), alpha, byName[key]); err != nil {
			l.add("AS-95", Warning, "the running oauth2-proxy config cannot be read: "+err.Error(), []string{src}, "")
		}
	}
}

// discovery fetches each trusted issuer's discovery document and keys,
// from here, with the CA the API server was given.
func (l *liveCollector) discovery(ctx context.Context) {
	seen := map[string]bool{}
	for _, j := range l.m.jwts() {
		if j.Issuer == "" || seen[j.Issuer] {
			continue
		}
		seen[j.Issuer] = true
		client := l.http
		if client == nil {
			client = issuerClient(j)
		}
		l.discover(ctx, client, j)
	}
}

func issuerClient(j *JWTAuth) *http.Client {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem := j.CAPEM
	if pem == "" && j.Flags && j.HasCA {
		// --oidc-ca-file is a path on the control-plane node: readable when
		// doctor runs there.
		if b, err := safefile.Read(j.CAFile); err == nil {
			pem = string(b)
		}
	}
	if pem != "" {
		pool.AppendCertsFromPEM([]byte(pem))
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func (l *liveCollector) discover(ctx context.Context, client *http.Client, j *JWTAuth) {
	u := strings.TrimSuffix(j.Issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, u, &doc); err != nil {
		l.fetchFailed(j, u, err)
		return
	}
	if strings.HasPrefix(u, "https://") {
		l.m.Live.Passed["AS-92"] = true
	}
	if doc.Issuer != j.Issuer {
		l.add("AS-93", Error, fmt.Sprintf("the issuer's discovery document says issuer %q, the API server expects %q: %s", doc.Issuer, j.Issuer, issuerDiff(j.Issuer, doc.Issuer)),
			[]string{"live: " + u + " issuer = " + q(doc.Issuer), j.IssuerField + " = " + q(j.Issuer)}, fmt.Sprintf("set %s to %q", j.IssuerField, doc.Issuer))
		return
	}
	l.m.Live.Passed["AS-93"] = true
	var ks jose.JSONWebKeySet
	if err := getJSON(ctx, client, doc.JWKSURI, &ks); err != nil {
		l.fetchFailed(j, doc.JWKSURI, err)
		return
	}
	if l.m.JWKS == nil {
		l.m.JWKS = &JWKS{Source: "live: " + doc.JWKSURI, Keys: ks}
	}
	l.add("AS-91", Info, fmt.Sprintf("issuer %s answers discovery and publishes %d key(s)", j.Issuer, len(ks.Keys)), []string{"live: " + doc.JWKSURI}, "")
}

func (l *liveCollector) fetchFailed(j *JWTAuth, u string, err error) {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &unknown), errors.As(err, &hostErr), strings.Contains(err.Error(), "x509:"):
		fix := fmt.Sprintf("give the API server the issuer's CA: %s", j.CAField)
		if j.HasCA {
			fix = fmt.Sprintf("the CA in %s does not verify the issuer's certificate: put the CA that signed it there", j.CAField)
		}
		l.add("AS-92", Error, fmt.Sprintf("the issuer's TLS certificate is not trusted with the CA the API server has: %v", err), []string{"live: GET " + u, j.CAField}, fix)
	default:
		l.add("AS-91", Error, fmt.Sprintf("cannot fetch %s from here: %v (the API server needs to, to verify tokens)", u, err), []string{"live: GET " + u}, "check that the issuer runs and its URL resolves and is reachable from the control-plane nodes")
	}
}

func getJSON(ctx context.Context, client *http.Client, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// token asks the API server who the token's user is (SelfSubjectReview,
// authenticated with the token only) and what the user may do
// (SubjectAccessReview, as the kubeconfig's user).
func (l *liveCollector) token(ctx context.Context) {
	if l.m.Token == nil {
		return
	}
	anon := rest.AnonymousClientConfig(l.cfg)
	anon.BearerToken = l.m.Token.Raw()
	tc, err := kubernetes.NewForConfig(anon)
	if err != nil {
		return
	}
	ssr, err := tc.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		if apierrors.IsUnauthorized(err) {
			l.add("AS-94", Error, "the running API server rejects the token (401 Unauthorized); the other findings say why, the API server log has the exact reason",
				[]string{"live: SelfSubjectReview at " + l.cfg.Host}, "fix the errors above; `kubectl logs -n kube-system kube-apiserver-<node> | grep oidc` shows the API server's reason")
		} else {
			l.add("AS-94", Warning, "cannot ask the API server about the token: "+err.Error(), []string{"live: SelfSubjectReview at " + l.cfg.Host}, "")
		}
		return
	}
	u := ssr.Status.UserInfo
	l.add("AS-94", Info, fmt.Sprintf("the running API server accepts the token as user %q groups %s", u.Username, ql(u.Groups)), []string{"live: SelfSubjectReview at " + l.cfg.Host}, "")
	var allowed, denied []string
	for _, a := range []authorizationv1.ResourceAttributes{
		{Verb: "list", Resource: "namespaces"},
		{Verb: "list", Resource: "pods", Namespace: "default"},
		{Verb: "get", Resource: "pods", Namespace: "kube-system"},
	} {
		a := a
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: u.Username, Groups: u.Groups, UID: u.UID, ResourceAttributes: &a}}
		res, err := l.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			l.add("AS-97", Info, "cannot review the user's access: "+err.Error(), []string{"live: SubjectAccessReview"}, "")
			return
		}
		desc := strings.TrimSpace(fmt.Sprintf("%s %s %s", a.Verb, a.Resource, a.Namespace))
		if res.Status.Allowed {
			allowed = append(allowed, desc)
		} else {
			denied = append(denied, desc)
		}
	}
	sev := Info
	msg := fmt.Sprintf("user %q may: %s; may not: %s", u.Username, strings.Join(orNone(allowed), ", "), strings.Join(orNone(denied), ", "))
	fix := ""
	if len(allowed) == 0 {
		sev = Warning
		msg = fmt.Sprintf("user %q is authenticated but may do none of: %s (403 Forbidden)", u.Username, strings.Join(denied, ", "))
		fix = fmt.Sprintf("bind user %q or one of its groups to a role", u.Username)
	}
	l.add("AS-97", sev, msg, []string{"live: SubjectAccessReview"}, fix)
}

func orNone(l []string) []string {
	if len(l) == 0 {
		return []string{"nothing"}
	}
	return l
}
