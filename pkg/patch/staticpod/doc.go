// Package staticpod edits the kube-apiserver static pod manifest on a
// control-plane node (/etc/kubernetes/manifests/kube-apiserver.yaml): the
// API server's authentication flags and the mounts of the files they name,
// leaving every other line byte for byte.
package staticpod
