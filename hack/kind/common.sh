# Shared settings for the kind end-to-end tier's scripts; sourced, not run.
# Versions of everything the tier builds live here; the stack's own images
# (dex, oauth2-proxy) come from pkg/images through `authstack-images` below so
# the tier deploys exactly the names the renderer writes.

# Kubernetes for the kind node. These machines mount cgroup v1, which kubelet
# 1.35+ refuses, so the kind tier stays on 1.34.x.
K8S_VERSION=v1.34.4
# The stock kind node image for machines where registries work (kind v0.33.0's
# image for 1.34; the digest pins what kind itself publishes).
STOCK_NODE_IMAGE=kindest/node:v1.34.4
COREDNS_MODULE=github.com/coredns/coredns
DEX_VERSION=v2.45.1
# dex tags have no /v2 module path, so the proxy only serves it by pseudo-version.
DEX_MODULE_VERSION=v0.0.0-20260303133905-11d2eeb52b42
OAUTH2_PROXY_VERSION=v7.15.6
KUBELOGIN_VERSION=v1.36.3
# The NetworkPolicy enforcer for the local node image (kindnetd's own policy
# engine, run on its own; see binaries.sh for why it is patched).
KNP_MODULE=sigs.k8s.io/kube-network-policies
KNP_VERSION=v0.8.0
DEBIAN_SUITE=bookworm

# Names of the images the tier builds itself (never pulled).
NODE_IMAGE=authstack-e2e/node:$K8S_VERSION
BASE_IMAGE=authstack-e2e/kindbase:$DEBIAN_SUITE
EDGE_IMAGE=authstack-e2e/edge-nginx:$DEBIAN_SUITE
APP_IMAGE=authstack-e2e/testapp:dev
NETPOL_IMAGE=authstack-e2e/kube-network-policies:$KNP_VERSION-xtqueue

export HOME="${HOME:-$(cd ~ && pwd)}"
CACHE="${AUTHSTACK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authstack-e2e}/kind"
BIN="$CACHE/bin"
WORK="$CACHE/work"
mkdir -p "$BIN" "$WORK"

export PATH="/usr/local/go/bin:$PATH"
export GOWORK=off GOTOOLCHAIN=local

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '%s kind-e2e: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { log "$*"; exit 1; }

# has_sys_resource: true when this process may hand CAP_SYS_RESOURCE to
# containers. Firecracker VMs like CI's drop it from the bounding set, and
# `docker run --privileged` (which kind always uses) then fails.
has_sys_resource() {
  local bnd
  bnd="$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)"
  (( (16#$bnd >> 24) & 1 ))
}

# docker_ok: a Docker engine answers.
docker_ok() { docker info >/dev/null 2>&1; }

# image_ok NAME: the engine has NAME.
image_ok() { docker image inspect "$1" >/dev/null 2>&1; }
