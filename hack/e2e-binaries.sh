#!/usr/bin/env bash
# Builds the real upstream binaries the local end-to-end tier runs against
# (see /work/shared/E2E-BINARIES.md) into a cache outside the repo, so the
# repo never carries 300 MB of binaries and a second run costs nothing.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
ETCD_FALLBACK_VERSION=v3.6.16
DEX_VERSION=v2.45.1
# dex tags have no /v2 module path, so the proxy only serves it as a pseudo-version.
DEX_MODULE_VERSION=v0.0.0-20260303133905-11d2eeb52b42
OAUTH2_PROXY_VERSION=v7.15.6
KUBELOGIN_VERSION=v1.36.3

# A bare `su -c` or CI shell may have no HOME; go needs one for its caches.
export HOME="${HOME:-$(cd ~ && pwd)}"
CACHE="${AUTHSTACK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authstack-e2e}"
BIN="$CACHE/bin"
WORK="$CACHE/work"

export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0
# The scratch modules must not be pulled into someone's go.work, nor may go
# try to download a newer toolchain than the one installed.
export GOWORK=off GOTOOLCHAIN=local
# With ",direct" a version the proxy refuses falls back to git and fails with
# a misleading DNS error; the proxy alone gives the real reason.
proxy="$(go env GOPROXY)"
proxy="${proxy//,direct/}"; proxy="${proxy//|direct/}"
[[ -z "$proxy" || "$proxy" == direct || "$proxy" == off ]] && proxy=https://proxy.golang.org
export GOPROXY="$proxy"

mkdir -p "$BIN" "$WORK"

fail() { echo "e2e-binaries: $*" >&2; exit 1; }

# stamp_ok BIN WANT: true if BIN exists and was built from WANT.
stamp_ok() { [[ -x "$BIN/$1" && "$(cat "$BIN/$1.version" 2>/dev/null)" == "$2" ]]; }

# prepare TOOL MODULE VERSION PKG...: a throwaway module that requires just
# this tool, because `go install pkg@version` is unreliable through this proxy.
# Extra go.mod lines (kubernetes' replaces) come in the variable REPLACES.
prepare() {
  local tool=$1 mod=$2 ver=$3; shift 3
  local dir="$WORK/$tool" gomod goline
  rm -rf "$dir"; mkdir -p "$dir"
  # The JSON goes to the log too: when the proxy refuses, its "Error" is the reason.
  go mod download -json "$mod@$ver" >"$dir/build.log" 2>&1 </dev/null || true
  gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' "$dir/build.log")"
  [[ -n "$gomod" && -f "$gomod" ]] || return 1
  # Use the tool's own go line so language-version-gated code builds as upstream intends.
  goline="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod" | head -n1)"
  {
    printf 'module scratch\n\ngo %s\n\nrequire %s %s\n\n' "${goline:-1.22}" "$mod" "$ver"
    for p in "$@"; do printf 'tool %s\n' "$p"; done
    printf '%s' "${REPLACES:-}"
  } >"$dir/go.mod"
  (cd "$dir" && go mod tidy >>"$dir/build.log" 2>&1 </dev/null)
}

# build TOOL BIN PKG STAMP TAGS LDFLAGS: one binary, written atomically so an
# interrupted build never leaves a half-written file that looks cached.
build() {
  local tool=$1 bin=$2 pkg=$3 stamp=$4 tags=$5 ldflags=$6 dir="$WORK/$1"
  (cd "$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "-s -w $ldflags" \
      -o "$BIN/$bin.tmp" "$pkg" >>"$dir/build.log" 2>&1 </dev/null) ||
    { tail -n 30 "$dir/build.log" >&2; fail "building $bin from $pkg failed (log: $dir/build.log)"; }
  mv -f "$BIN/$bin.tmp" "$BIN/$bin"
  printf '%s\n' "$stamp" >"$BIN/$bin.version"
}

report() { printf '%-24s %-7s %4ds  %s\n' "$1" "$2" "$3" "$(cat "$BIN/$1.version")"; }

# --- kubernetes: three binaries from one scratch module ---------------------
k8s_stamp="k8s.io/kubernetes@$K8S_VERSION"
k8s_bins=(kube-apiserver kube-controller-manager kubectl)
need_k8s=false
for b in "${k8s_bins[@]}"; do stamp_ok "$b" "$k8s_stamp" || need_k8s=true; done
if $need_k8s; then
  SECONDS=0
  # kubernetes' go.mod points its staging modules at ./staging/src/..., which
  # do not exist in the module zip; pin each to its published v0.x twin instead.
  k8s_gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" </dev/null |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')" || true
  [[ -f "$k8s_gomod" ]] || { go mod download "k8s.io/kubernetes@$K8S_VERSION" </dev/null ||
    true; fail "cannot fetch k8s.io/kubernetes@$K8S_VERSION from $GOPROXY"; }
  staging_ver="v0.${K8S_VERSION#v1.}"
  REPLACES="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$k8s_gomod" |
    grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$' |
    sed "s#.*#replace & => & $staging_ver#")"$'\n'
  REPLACES="$REPLACES" prepare kubernetes k8s.io/kubernetes "$K8S_VERSION" \
    "${k8s_bins[@]/#/k8s.io/kubernetes/cmd/}" ||
    { tail -n 30 "$WORK/kubernetes/build.log" >&2; fail "preparing k8s.io/kubernetes@$K8S_VERSION failed"; }
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  # Without these the binaries say v0.0.0 and kubectl refuses the server.
  k8s_ld=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    k8s_ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    k8s_ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  for b in "${k8s_bins[@]}"; do
    if stamp_ok "$b" "$k8s_stamp"; then report "$b" cached 0; continue; fi
    build kubernetes "$b" "k8s.io/kubernetes/cmd/$b" "$k8s_stamp" selinux,notest,grpcnotrace "$k8s_ld"
    report "$b" built "$SECONDS"; SECONDS=0
  done
else
  for b in "${k8s_bins[@]}"; do report "$b" cached 0; done
fi

# --- single-binary tools ------------------------------------------------------
# one TOOL BIN MODULE VERSION PKG LDFLAGS
one() {
  local tool=$1 bin=$2 mod=$3 ver=$4 pkg=$5 ld=$6
  SECONDS=0
  if stamp_ok "$bin" "$mod@$ver"; then report "$bin" cached 0; return; fi
  prepare "$tool" "$mod" "$ver" "$pkg" ||
    { tail -n 30 "$WORK/$tool/build.log" >&2; fail "preparing $mod@$ver failed"; }
  build "$tool" "$bin" "$pkg" "$mod@$ver" "" "$ld"
  report "$bin" built "$SECONDS"
}

etcd_mod=go.etcd.io/etcd/server/v3
SECONDS=0
if stamp_ok etcd "$etcd_mod@$ETCD_VERSION" || stamp_ok etcd "$etcd_mod@$ETCD_FALLBACK_VERSION"; then
  report etcd cached 0   # a fallback build from an earlier run counts too
elif prepare etcd "$etcd_mod" "$ETCD_VERSION" "$etcd_mod"; then
  build etcd etcd "$etcd_mod" "$etcd_mod@$ETCD_VERSION" "" ""
  report etcd built "$SECONDS"
else
  echo "e2e-binaries: $etcd_mod@$ETCD_VERSION refused ($(grep -m1 '"Error"' "$WORK/etcd/build.log" || tail -n1 "$WORK/etcd/build.log")), falling back to $ETCD_FALLBACK_VERSION" >&2
  one etcd etcd "$etcd_mod" "$ETCD_FALLBACK_VERSION" "$etcd_mod" ""
fi

one dex dex github.com/dexidp/dex "$DEX_MODULE_VERSION" github.com/dexidp/dex/cmd/dex \
  "-X main.version=$DEX_VERSION"
one oauth2-proxy oauth2-proxy github.com/oauth2-proxy/oauth2-proxy/v7 "$OAUTH2_PROXY_VERSION" \
  github.com/oauth2-proxy/oauth2-proxy/v7 \
  "-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=$OAUTH2_PROXY_VERSION"
# kubectl finds plugins by name: kubectl-oidc_login is `kubectl oidc-login`.
one kubelogin kubectl-oidc_login github.com/int128/kubelogin "$KUBELOGIN_VERSION" \
  github.com/int128/kubelogin "-X main.version=$KUBELOGIN_VERSION"

echo "e2e-binaries: all in $BIN"
