#!/usr/bin/env bash
# The kind tier end to end (`make e2e-kind`): installs what is missing, starts
# dockerd when no engine runs (and stops it again), builds or pulls the
# images, then runs the Go tests in e2e/kind, which create the cluster from
# authstack's rendered kind config and delete it again.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO"
t0=$SECONDS

started_dockerd=false
cleanup() {
  local rc=$?
  # A test killed by its timeout cannot delete its cluster: remove the node
  # containers of the tier's cluster by kind's label.
  if docker_ok; then
    ids="$(docker ps -aq --filter label=io.x-k8s.kind.cluster=authstack-e2e)"
    [[ -z "$ids" ]] || { log "removing leftover node containers"; docker rm -f -v $ids >/dev/null || true; }
  fi
  $started_dockerd && "$REPO/hack/kind/dockerd.sh" stop
  log "done in $((SECONDS - t0))s (exit $rc)"
  exit $rc
}
trap cleanup EXIT

hack/kind/deps.sh
if ! docker_ok; then
  hack/kind/dockerd.sh start
  started_dockerd=true
fi
log "images"
hack/kind/images.sh >/dev/null
set -a; . "$CACHE/images.env"; set +a
log "images ready after $((SECONDS - t0))s: node $AUTHSTACK_E2E_KIND_NODE_IMAGE ($AUTHSTACK_E2E_KIND_IMAGE_SOURCE)"

# The tests import kind's cluster API; until go.sum lists its dependencies
# (go mod tidy), resolve them in a copy of go.mod/go.sum outside the repo
# instead of editing the repo's.
modflags=()
if ! go list -tags e2e_kind -deps ./e2e/kind >/dev/null 2>&1; then
  mf="$CACHE/modfile"; mkdir -p "$mf"
  cp go.mod "$mf/go.mod"; cp go.sum "$mf/go.sum"
  modflags=(-modfile="$mf/go.mod" -mod=mod)
  log "go.sum lacks kind's dependencies: using $mf/go.mod (run go mod tidy to fix)"
fi
# kubectl and kubelogin for the kubectl login tests.
export AUTHSTACK_E2E_KIND_BIN="$BIN"
# The CLI under test, built before the tests so its build neither counts
# against the test timeout nor shares a cold build cache with `go test`.
# -buildvcs=false: its version, and so the proxy image it renders, is the
# one images.sh built and loaded (pkg/images.APIProxy()).
go build -buildvcs=false -o "$CACHE/authstack" ./cmd/authstack
export AUTHSTACK_E2E_KIND_CLI="$CACHE/authstack"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$REPO/_output/e2e-kind}"
mkdir -p "$E2E_ARTIFACTS"
# E2E_KIND_RUN narrows the run while working on one part (go test -run),
# e.g. 'TestKind/APIProxy': the cluster and stack setup still run.
runflags=()
[[ -z "${E2E_KIND_RUN:-}" ]] || runflags=(-run "$E2E_KIND_RUN")
nice -n 5 go test "${modflags[@]}" "${runflags[@]}" -tags e2e_kind -count=1 -timeout "${E2E_KIND_TIMEOUT:-25m}" -v ./e2e/kind/ 2>&1 |
  tee "$E2E_ARTIFACTS/test.log"
exit "${PIPESTATUS[0]}"
