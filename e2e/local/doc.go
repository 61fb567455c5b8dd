//go:build e2e

// Package local is authstack's local end-to-end tier: the whole login path
// (etcd, kube-apiserver, kube-controller-manager, slapd, dex, oauth2-proxy,
// nginx with auth_request, two upstream apps, a headless Chromium and
// kubectl with kubelogin) runs as local processes configured from
// authstack's own rendered output. Run it with `make e2e`.
package local
