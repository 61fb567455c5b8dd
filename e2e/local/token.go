//go:build e2e

package local

import (
	"context"
	"encoding/json"
	"fmt"
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
	form := url.Values{
		"grant_type": {"password"}, "username": {u.UID}, "password": {u.Password},
		"scope": {"openid email profile groups"}, "client_id": {"kubernetes"},
	}
	resp, err := s.HTTP.PostForm(s.Issuer+"/token", form)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.IDToken == "" {
		t.Fatalf("password grant for %s: %d %s %s (%v)", u.UID, resp.StatusCode, out.Error, out.Desc, err)
	}
	return out.IDToken
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
