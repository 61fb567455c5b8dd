package version

import (
	"runtime"
	"runtime/debug"
)

// Info describes a build: its own version, the Go toolchain, the settings Go
// recorded, every module compiled into it, and the upstream versions
// authstack deploys. It is what `authstack version -o json` prints, so a
// vulnerability report can be matched against the exact dependency set of a
// released binary without extracting it with `go version -m`.
type Info struct {
	Version   string            `json:"version"`
	GoVersion string            `json:"goVersion"`
	Platform  string            `json:"platform"`
	Path      string            `json:"path,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
	Modules   []Module          `json:"modules"`
	// Deploys lists the upstream programs whose images authstack renders.
	Deploys map[string]string `json:"deploys,omitempty"`
}

// Module is one dependency compiled into the binary.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum,omitempty"`
	// Replace is the module actually compiled in when go.mod replaced Path.
	Replace *Module `json:"replace,omitempty"`
}

// Read collects the build's Info from the build information Go embeds.
// deploys is passed in so this package needs nothing from pkg/.
func Read(deploys map[string]string) Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, deploys)
}

// fromBuildInfo is Read on given build information; bi is nil when the
// binary has none (test binaries record no modules).
func fromBuildInfo(bi *debug.BuildInfo, deploys map[string]string) Info {
	info := Info{
		Version:   Get(),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Modules:   []Module{},
		Deploys:   deploys,
	}
	if bi == nil {
		return info
	}
	info.Path = bi.Path
	for _, s := range bi.Settings {
		// Only settings that say how the binary was built; -ldflags may hold
		// anything a packager passed and is left out.
		switch s.Key {
		case "-trimpath", "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "vcs", "vcs.revision", "vcs.time", "vcs.modified", "-tags":
			if info.Settings == nil {
				info.Settings = map[string]string{}
			}
			info.Settings[s.Key] = s.Value
		}
	}
	for _, d := range bi.Deps {
		info.Modules = append(info.Modules, module(d))
	}
	return info
}

func module(d *debug.Module) Module {
	m := Module{Path: d.Path, Version: d.Version, Sum: d.Sum}
	if d.Replace != nil {
		r := module(d.Replace)
		m.Replace = &r
	}
	return m
}
