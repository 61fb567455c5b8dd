//go:build e2e

package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// PasswordToken gets an id token for u from dex's password grant, through
// the kubectl client, as kubelogin's password grant does.
func (s *Stack) PasswordToken(t testing.TB, u ldapUser) string {
	t.Helper()
	return s.PasswordGrant(t, u, KubectlClient, "", "openid email profile groups").IDToken
}

// KubectlClient is the client id of the rendered kubeconfig's kubelogin.
const KubectlClient = "kubernetes"

// Tokens are what dex's token endpoint answers.
type Tokens struct {
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

// PasswordGrant gets tokens for u from dex's password grant as client
// (authenticated with secret unless it is empty, i.e. a public client).
func (s *Stack) PasswordGrant(t testing.TB, u ldapUser, client, secret, scope string) Tokens {
	t.Helper()
	return s.tokenRequest(t, "password grant for "+u.UID, client, secret, url.Values{
		"grant_type": {"password"}, "username": {u.UID}, "password": {u.Password}, "scope": {scope},
	})
}

// RefreshGrant redeems a refresh token as kubelogin does when the id token
// has expired: dex asks the connector again (LDAP: the user's groups).
func (s *Stack) RefreshGrant(t testing.TB, client, secret, refreshToken string) Tokens {
	t.Helper()
	return s.tokenRequest(t, "refresh grant", client, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

func (s *Stack) tokenRequest(t testing.TB, what, client, secret string, form url.Values) Tokens {
	t.Helper()
	if secret == "" {
		form.Set("client_id", client)
	}
	req, err := http.NewRequest(http.MethodPost, s.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		// RFC 6749 2.3.1: the client id and secret are form-encoded in Basic auth.
		req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	var out struct {
		Tokens
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.IDToken == "" {
		t.Fatalf("%s as %s: %d %s %s (%v)", what, client, resp.StatusCode, out.Error, out.Desc, err)
	}
	return out.Tokens
}

// WhoAmI asks the API server who token is.
func (s *Stack) WhoAmI(ctx context.Context, token string) (*authenticationv1.UserInfo, error) {
	cfg := &rest.Config{Host: s.Env.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: s.Env.CA.CertFile}}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return &r.Status.UserInfo, nil
}

// WaitForOIDC waits until the API server accepts dex's tokens: it loads
// the issuer's keys in the background and says 401 until then.
func (s *Stack) WaitForOIDC(t testing.TB) time.Duration {
	t.Helper()
	began := time.Now()
	token := s.PasswordToken(t, alice)
	err := poll(90*time.Second, 250*time.Millisecond, func() error {
		who, err := s.WhoAmI(context.Background(), token)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(who.Username, "oidc:") {
			return fmt.Errorf("the API server sees %q", who.Username)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the API server does not accept dex's tokens: %v", err)
	}
	s.Mark("API server accepts dex's tokens")
	return time.Since(began)
}
