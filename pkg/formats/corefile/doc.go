// Package corefile is authstack's model of a CoreDNS Corefile: its server
// blocks and the plugins in them (Parse), and the one edit authstack makes,
// a marked block of exact name rewrites in the server block that answers
// the cluster's pods (EditRewrites), byte for byte preserving the rest.
package corefile
