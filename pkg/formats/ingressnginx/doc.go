// Package ingressnginx is authstack's one model of the ingress-nginx
// annotations that decide who reaches an app: the external-authentication
// annotations (auth-url and its companions), the snippets that can bypass
// them, source ranges, and the proxy settings the login needs. render
// prints an app's annotations through Auth.Annotations, doctor and import
// read a user's Ingresses through Parse, so the three agree on names and
// value syntax.
//
// Names and value syntax are ingress-nginx's own
// (internal/ingress/annotations/authreq/main.go, ipallowlist,
// backendprotocol, and docs/user-guide/nginx-configuration/annotations.md).
package ingressnginx
