// Package doctor explains why a Kubernetes OIDC login fails. It reads the
// artifacts a user has (API server settings, dex and oauth2-proxy configs,
// Ingresses, RBAC, kubeconfig, a token), normalizes them into one Model, and
// runs a table of small checks over it; each check reports findings with a
// stable code, the evidence, and the fix.
package doctor
