// Package release holds the tests of the release configuration
// (.goreleaser.yaml and the krew manifest template .krew.yaml), which no
// other test reads: goreleaser itself is not built in CI.
package release
