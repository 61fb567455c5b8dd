// Package version reports the build's version, set by the release build
// with -ldflags "-X github.com/authstack/authstack/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version of this build.
var Version = ""

// Get returns the version, falling back to the module version Go recorded.
func Get() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
