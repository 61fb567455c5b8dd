package apiproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
)

// fetchKeysOnce is the readiness half the authenticator does not report:
// its health check turns green once discovery succeeded, while go-oidc
// fetches the JWKS lazily, at the first token. A proxy whose issuer serves
// discovery but no usable keys would pass readiness and then refuse every
// login, so readiness also fetches each issuer's JWKS once (the
// authenticator keeps fetching and refreshing keys itself).
func fetchKeysOnce(ctx context.Context, cfg *apiserverapi.AuthenticationConfiguration) error {
	for i, j := range cfg.JWT {
		client := &http.Client{Timeout: 10 * time.Second}
		if j.Issuer.CertificateAuthority != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(j.Issuer.CertificateAuthority)) {
				return fmt.Errorf("jwt[%d].issuer.certificateAuthority: no PEM certificate", i)
			}
			client.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: pool}}
		}
		discovery := j.Issuer.DiscoveryURL
		if discovery == "" {
			discovery = strings.TrimSuffix(j.Issuer.URL, "/") + "/.well-known/openid-configuration"
		}
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := getJSON(ctx, client, discovery, &doc); err != nil {
			return fmt.Errorf("issuer %s: %w", j.Issuer.URL, err)
		}
		if doc.JWKSURI == "" {
			return fmt.Errorf("issuer %s: discovery has no jwks_uri", j.Issuer.URL)
		}
		var keys struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := getJSON(ctx, client, doc.JWKSURI, &keys); err != nil {
			return fmt.Errorf("issuer %s: %w", j.Issuer.URL, err)
		}
		if len(keys.Keys) == 0 {
			return fmt.Errorf("issuer %s: JWKS %s has no keys", j.Issuer.URL, doc.JWKSURI)
		}
	}
	return nil
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
