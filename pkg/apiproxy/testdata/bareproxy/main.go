// Command bareproxy is the benchmark's floor: the least any TLS-terminating
// impersonating proxy does. It checks nothing, sends every request to one
// API server with one token and fixed impersonation headers, and has no
// audit, metrics or routing. TestIntegrationSideBySide runs it next to
// authstack-apiproxy: what bareproxy loses against the API server directly
// is the cost of a second TLS hop on the machine, not of authstack-apiproxy.
// It lives under testdata so that it is never part of a release build.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	cert := flag.String("cert", "", "serving certificate")
	key := flag.String("key", "", "serving key")
	upstream := flag.String("upstream", "", "API server URL")
	caFile := flag.String("ca", "", "API server CA")
	tokenFile := flag.String("token-file", "", "the impersonator's token")
	user := flag.String("user", "", "Impersonate-User")
	group := flag.String("group", "", "Impersonate-Group")
	h2 := flag.Bool("h2", true, "speak HTTP/2 to the API server (one connection) instead of HTTP/1.1 (a pool)")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		log.Fatal(err)
	}
	bearer := "Bearer " + strings.TrimSpace(string(tok))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: *h2,
		MaxIdleConnsPerHost: 100}
	if !*h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set("Authorization", bearer)
			pr.Out.Header.Set("Impersonate-User", *user)
			pr.Out.Header.Set("Impersonate-Group", *group)
		},
		Transport:     tr,
		FlushInterval: -1,
		BufferPool:    &pool32k{},
	}
	log.Fatal(http.ListenAndServeTLS(*listen, *cert, *key, rp))
}

type pool32k struct{ p sync.Pool }

func (b *pool32k) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *pool32k) Put(buf []byte) { b.p.Put(&buf) }
