// Package apiproxy is authstack-apiproxy: an authenticating, impersonating
// reverse proxy for Kubernetes API servers whose flags cannot be set
// (managed control planes). It verifies the caller's OIDC token with
// k8s.io/apiserver's own JWT authenticator, built from the same
// AuthenticationConfiguration file authstack renders for kube-apiserver, and
// forwards the request to one of its clusters with the proxy's own
// credential and Impersonate-* headers naming the verified user.
package apiproxy
