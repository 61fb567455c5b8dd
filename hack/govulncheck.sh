#!/usr/bin/env bash
# Runs govulncheck on authstack's code with the Go toolchain releases are built
# with (RELEASE_GO, also in .goreleaser.yaml and the Makefile's build target).
#
# vuln.go.dev cannot be reached from the machines CI runs on, but the Go
# module proxy serves golang.org/x/vulndb, whose data/osv folder is the
# database's source: indexdb (from the same module) turns it into the v1
# database format govulncheck reads with -db file://. The database is as new
# as VULNDB_VERSION: bump it with the other pinned versions.
#
# Exit status is govulncheck's: non-zero when called code is affected.
set -euo pipefail

VULN_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
RELEASE_GO="${RELEASE_GO:-go1.27.3}"

export HOME="${HOME:-$(cd ~ && pwd)}"
CACHE="${AUTHSTACK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authstack-tools}"
export PATH="/usr/local/go/bin:$PATH" GOWORK=off CGO_ENABLED=0
proxy="$(go env GOPROXY)"
proxy="${proxy//,direct/}"; proxy="${proxy//|direct/}"
[[ -z "$proxy" || "$proxy" == direct || "$proxy" == off ]] && proxy=https://proxy.golang.org
export GOPROXY="$proxy"

repo="$(cd "$(dirname "$0")/.." && pwd)"
stamp="$VULN_VERSION $VULNDB_VERSION $RELEASE_GO"
work="$CACHE/govulncheck"
if [[ "$(cat "$work/stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$work"; mkdir -p "$work/src"
  cat >"$work/src/go.mod" <<MOD
module scratch

go 1.26

require (
	golang.org/x/vuln $VULN_VERSION
	golang.org/x/vulndb $VULNDB_VERSION
)

tool (
	golang.org/x/vuln/cmd/govulncheck
	golang.org/x/vulndb/cmd/indexdb
)
MOD
  (
    cd "$work/src"
    GOTOOLCHAIN=local go mod tidy
    # Built by the release toolchain: govulncheck type-checks the standard
    # library of the go command it runs with its own go/types.
    GOTOOLCHAIN="$RELEASE_GO" go build -trimpath -o "$work/bin/" golang.org/x/vuln/cmd/govulncheck golang.org/x/vulndb/cmd/indexdb
    osv="$(GOTOOLCHAIN=local go list -m -f '{{.Dir}}' golang.org/x/vulndb)/data/osv"
    "$work/bin/indexdb" -vulns "$osv" -out "$work/db"
  ) </dev/null
  echo "$stamp" >"$work/stamp"
fi

cd "$repo"
echo "govulncheck $VULN_VERSION, database golang.org/x/vulndb@$VULNDB_VERSION, toolchain $RELEASE_GO"
# govulncheck reads the standard library's version from the go command it runs.
GOTOOLCHAIN="$RELEASE_GO" "$work/bin/govulncheck" -db "file://$work/db" ./...
