// Package patch edits files that users already own (installer inventories,
// kubeadm configs, dex configs) instead of replacing them. Its subpackages
// change only what authstack manages and leave the rest byte for byte; this
// package writes the results safely and shows them as diffs.
package patch
