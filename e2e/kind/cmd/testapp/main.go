//go:build e2e_kind

// Command testapp is the web app the kind tier puts behind oauth2-proxy.
// In token mode it calls the API server with the bearer token the edge
// forwarded and shows who the API server says the caller is; in headers mode
// it shows the identity headers the edge forwarded.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	mode := flag.String("mode", "headers", "token or headers")
	addr := flag.String("addr", ":8080", "listen address")
	apiserver := flag.String("apiserver", "https://kubernetes.default.svc", "API server URL (token mode)")
	caFile := flag.String("ca", "/etc/testapp/ca.crt", "CA bundle of the API server (token mode) or of -get's URL")
	get := flag.String("get", "", "instead of serving, GET this URL once (trusting -ca), print the status and body, exit 0 on 200")
	getTimeout := flag.Duration("timeout", 15*time.Second, "how long -get waits for the answer")
	flag.Parse()

	if *get != "" {
		os.Exit(fetch(*get, *caFile, *getTimeout))
	}

	var client *http.Client
	if *mode == "token" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatalf("read API server CA: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("no certificate in %s", *caFile)
		}
		client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}

	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var body strings.Builder
		switch *mode {
		case "token":
			user, status, err := whoAmI(r.Context(), client, *apiserver, r.Header.Get("Authorization"))
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprintf(&body, "<p id=error>%s</p>", html.EscapeString(err.Error()))
				break
			}
			if status != http.StatusCreated && status != http.StatusOK {
				w.WriteHeader(http.StatusForbidden)
			}
			fmt.Fprintf(&body, "<p>apiserver status: <span id=status>%d</span></p><p>user: <span id=user>%s</span></p><p>groups: <span id=groups>%s</span></p>",
				status, html.EscapeString(user.Username), html.EscapeString(strings.Join(user.Groups, ",")))
		default:
			for _, h := range []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username"} {
				fmt.Fprintf(&body, "<p>%s: <span id=%q>%s</span></p>", h, strings.ToLower(h), html.EscapeString(r.Header.Get(h)))
			}
		}
		fmt.Fprintf(w, "<!doctype html><title>authstack testapp (%s)</title><h1>authstack testapp: %s</h1>%s\n", *mode, *mode, body.String())
	})
	log.Printf("testapp (%s) listening on %s", *mode, *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// fetch is the in-cluster probe: it shows how a pod sees a URL.
func fetch(url, caFile string, timeout time.Duration) int {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(caFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Printf("GET %s: %v\n", url, err)
		return 1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Printf("status %d\n%s\n", resp.StatusCode, b)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// whoAmI asks the API server for a SelfSubjectReview with the caller's token.
func whoAmI(ctx context.Context, client *http.Client, apiserver, authorization string) (userInfo, int, error) {
	if !strings.HasPrefix(authorization, "Bearer ") {
		return userInfo{}, 0, fmt.Errorf("no bearer token forwarded (Authorization header is %q)", authorization)
	}
	review := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiserver+"/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(review))
	if err != nil {
		return userInfo{}, 0, err
	}
	req.Header.Set("Authorization", authorization)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return userInfo{}, 0, fmt.Errorf("call API server: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Status struct {
			UserInfo userInfo `json:"userInfo"`
		} `json:"status"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			return userInfo{}, resp.StatusCode, fmt.Errorf("decode SelfSubjectReview: %w", err)
		}
		return out.Status.UserInfo, resp.StatusCode, nil
	}
	return userInfo{Username: strings.TrimSpace(string(b))}, resp.StatusCode, nil
}
