// Package dexconfig merges the dex settings authstack needs (issuer, its
// static clients and connectors) into a dex config file that may already
// serve other applications, keeping everything else in that file.
package dexconfig
