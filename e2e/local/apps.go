//go:build e2e

package local

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authstack/authstack/internal/testenv"
)

// serve runs h on a free 127.0.0.1 port until the test ends.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// startTokenApp is the stand-in for Kubernetes Dashboard or Headlamp: it
// calls the API server with the forwarded bearer token and shows who the
// API server says the user is.
func startTokenApp(t testing.TB, env *testenv.Env) string {
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `<html><body><h1>Token app</h1><p id="error">no bearer token was forwarded</p></body></html>`)
			return
		}
		cfg := &rest.Config{Host: env.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: env.CA.CertFile}}
		cs, err := kubernetes.NewForConfig(cfg)
		if err == nil {
			var review *authenticationv1.SelfSubjectReview
			review, err = cs.AuthenticationV1().SelfSubjectReviews().Create(r.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err == nil {
				u := review.Status.UserInfo
				fmt.Fprintf(w, `<html><body><h1>Token app</h1><p>The API server says you are</p><p id="user">%s</p><p id="groups">%s</p></body></html>`,
					html.EscapeString(u.Username), html.EscapeString(strings.Join(u.Groups, ", ")))
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, `<html><body><h1>Token app</h1><p id="error">the API server refused the token: %s</p></body></html>`, html.EscapeString(err.Error()))
	}))
}

// startHeadersApp is the stand-in for Prometheus or Grafana behind
// oauth2-proxy: it trusts the X-Auth-Request-* headers. identity-headers
// lists every header that some app framework would read as one of them
// (CGI-style servers fold "_" into "-"), to prove a client cannot add any.
func startHeadersApp(t testing.TB) string {
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var identity []string
		for name, values := range r.Header {
			if strings.HasPrefix(strings.ReplaceAll(strings.ToLower(name), "_", "-"), "x-auth-request-") {
				for _, v := range values {
					identity = append(identity, name+": "+v)
				}
			}
		}
		sort.Strings(identity)
		fmt.Fprintf(w, `<html><body><h1>Headers app</h1><p id="user">%s</p><p id="email">%s</p><p id="groups">%s</p><p id="authorization">%t</p><pre id="identity-headers">%s</pre></body></html>`,
			html.EscapeString(r.Header.Get("X-Auth-Request-User")), html.EscapeString(r.Header.Get("X-Auth-Request-Email")),
			html.EscapeString(r.Header.Get("X-Auth-Request-Groups")), r.Header.Get("Authorization") != "",
			html.EscapeString(strings.Join(identity, "\n")))
	}))
}
