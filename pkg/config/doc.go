// Package config loads an authstack.yaml: strict decoding that names unknown
// fields and the closest valid one, defaulting, and validation that reports
// every problem with the file, line and field path.
package config
