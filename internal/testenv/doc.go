// Package testenv starts a real etcd and kube-apiserver (and optionally
// kube-controller-manager) from the e2e binary cache for integration tests in
// any package. Everything binds 127.0.0.1 on free ports, uses freshly
// generated PKI, and is stopped by PID in t.Cleanup.
package testenv
