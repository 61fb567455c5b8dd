// Package render turns a loaded spec into every piece of the stack: the
// Kubernetes objects (dex, oauth2-proxy, ingress wiring, RBAC, Secrets) and
// the files that live outside the cluster (API server settings per
// installer, dex config, kubeconfig). `render` and `apply` share it, so what
// a user previews is what gets applied.
package render
