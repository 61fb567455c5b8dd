// Package importer turns a setup made by hand (dex, oauth2-proxy behind
// ingress-nginx, the API server's OIDC settings, RBAC) into the
// authstack.yaml that reproduces it. It reads the setup through doctor's
// model, so import and doctor parse every artifact the same way, and it
// reports by file and field whatever the spec cannot express instead of
// dropping it.
package importer
