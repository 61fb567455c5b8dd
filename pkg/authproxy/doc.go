// Package authproxy serves a web UI running in the cluster (the Kubernetes
// Dashboard, Headlamp, or any Service or Pod) on a loopback address, as the
// user of the current kubeconfig: it port-forwards to a ready Pod through
// the API server and adds that user's bearer token to every request, the
// use case of int128/kauthproxy. No Ingress and no dex are involved.
package authproxy
