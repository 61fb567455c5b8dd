package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfoKeepsModulesAndBuildSettingsOnly(t *testing.T) {
	bi := &debug.BuildInfo{
		Path: "github.com/authstack/authstack/cmd/authstack",
		Deps: []*debug.Module{
			{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:abc="},
			{Path: "k8s.io/api", Version: "v0.37.2", Sum: "h1:def=", Replace: &debug.Module{Path: "example.com/fork/api", Version: "v0.37.3", Sum: "h1:ghi="}},
		},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "-ldflags", Value: "-X main.token=not-for-output"},
			{Key: "vcs.revision", Value: "4dda55b"},
		},
	}
	info := fromBuildInfo(bi, nil)
	if len(info.Modules) != 2 || info.Modules[0].Version != "v1.10.2" || info.Modules[0].Sum != "h1:abc=" {
		t.Fatalf("modules = %+v", info.Modules)
	}
	if r := info.Modules[1].Replace; r == nil || r.Path != "example.com/fork/api" || r.Version != "v0.37.3" {
		t.Errorf("replacement lost: %+v", info.Modules[1])
	}
	if info.Settings["-trimpath"] != "true" || info.Settings["vcs.revision"] != "4dda55b" {
		t.Errorf("settings = %v", info.Settings)
	}
	if _, ok := info.Settings["-ldflags"]; ok {
		t.Errorf("-ldflags printed: %v", info.Settings)
	}
}

func TestFromBuildInfoWithoutBuildInfo(t *testing.T) {
	info := fromBuildInfo(nil, map[string]string{"dex": "v2"})
	if info.Modules == nil || len(info.Modules) != 0 || info.GoVersion == "" || info.Deploys["dex"] != "v2" {
		t.Errorf("info = %+v", info)
	}
}
