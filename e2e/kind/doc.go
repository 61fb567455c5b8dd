// Package kind is authstack's kind end-to-end tier: a real kind cluster whose
// API server takes its OIDC settings from the rendered kind config, the stack
// applied with `authstack apply --wait`, and assertions on real pods under the
// restricted Pod Security Standard and on real logins. The tests carry the
// build tag e2e_kind; run them with `make e2e-kind` (see docs/kind-e2e.md).
package kind
