package main

import (
	"os/exec"
	"strings"
	"testing"
)

// heavy are packages that must not be linked into the authstack binary: Go
// initialises every linked package before main, so each one costs every
// command, `authstack version` included (GODEBUG=inittrace=1 and
// docs/benchmarks.md). Tests may still import them.
var heavy = map[string]string{
	"helm.sh/helm/":                         "pkg/render/chart executes the chart itself; helm's engine links chartutil",
	"github.com/santhosh-tekuri/jsonschema": "the largest init of all (1.7 MB), linked by helm's chartutil",
	"github.com/Masterminds/sprig":          "helm's template functions; the chart uses six, in pkg/render/chart",
	"github.com/chromedp/":                  "the browser driver belongs to the e2e tiers",
}

// The binary's dependency graph holds none of the heavy packages: a new
// import of one, however indirect, fails here with the chain that brings
// it in.
func TestHeavyPackagesAreNotLinked(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the binary's packages: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	importers := map[string][]string{}
	var all []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		all = append(all, fields[0])
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	if len(all) < 100 {
		t.Fatalf("go list found only %d packages; is this the authstack command?", len(all))
	}
	for _, pkg := range all {
		for prefix, why := range heavy {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("%s is linked into authstack (%s); imported by: %s", pkg, why, chain(importers, pkg))
			}
		}
	}
}

// chain follows importers from pkg back to an authstack package.
func chain(importers map[string][]string, pkg string) string {
	path := []string{pkg}
	seen := map[string]bool{pkg: true}
	for !strings.HasPrefix(pkg, "github.com/authstack/") && len(importers[pkg]) > 0 {
		next := importers[pkg][0]
		for _, imp := range importers[pkg] {
			if strings.HasPrefix(imp, "github.com/authstack/") {
				next = imp
				break
			}
		}
		if seen[next] {
			break
		}
		seen[next] = true
		path = append(path, next)
		pkg = next
	}
	return strings.Join(path, " <- ")
}
