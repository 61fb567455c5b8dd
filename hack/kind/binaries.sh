#!/usr/bin/env bash
# Builds, from Go modules, every binary the kind tier puts into images when no
# registry is reachable: the Kubernetes node and control-plane binaries,
# etcd, CoreDNS, dex, oauth2-proxy, kubelogin, plus the tier's own pause and
# test app. Results are cached under $CACHE/bin with a stamp each, so a second
# run builds nothing.
set -euo pipefail
. "$(dirname "$0")/common.sh"

export CGO_ENABLED=0
# ",direct" turns a refused version into a misleading git/DNS error.
proxy="$(go env GOPROXY)"; proxy="${proxy//,direct/}"; proxy="${proxy//|direct/}"
[[ -z "$proxy" || "$proxy" == direct || "$proxy" == off ]] && proxy=https://proxy.golang.org
export GOPROXY="$proxy"
# Long builds share two cores with everyone else.
GOBUILD=(nice -n 10 go build -trimpath)

# The tier's own small programs come from this repository (build tag e2e_kind).
own() {
  for b in "$@"; do
    (cd "$REPO" && "${GOBUILD[@]}" -tags e2e_kind -ldflags "-s -w" -o "$BIN/$b.tmp" "./e2e/kind/cmd/$b") ||
      fail "building $b from ./e2e/kind/cmd/$b failed"
    mv -f "$BIN/$b.tmp" "$BIN/$b"
  done
}

# apiproxy: authstack-apiproxy from this repository, as goreleaser builds it
# (static, trimmed). -buildvcs=false: the image name comes from
# pkg/images.APIProxy(), whose tag is the build's version; an unstamped build
# says "dev", like the CLI the tier builds. The binary is replaced only when
# it changed, so images.sh re-imports the image only then.
apiproxy() {
  (cd "$REPO" && "${GOBUILD[@]}" -buildvcs=false -ldflags "-s -w" -o "$BIN/authstack-apiproxy.tmp" ./cmd/authstack-apiproxy) ||
    fail "building authstack-apiproxy from ./cmd/authstack-apiproxy failed"
  if cmp -s "$BIN/authstack-apiproxy.tmp" "$BIN/authstack-apiproxy"; then
    rm -f "$BIN/authstack-apiproxy.tmp"
  else
    mv -f "$BIN/authstack-apiproxy.tmp" "$BIN/authstack-apiproxy"
  fi
}

stamp_ok() { [[ -x "$BIN/$1" && "$(cat "$BIN/$1.version" 2>/dev/null)" == "$2" ]]; }

# gomod_of MODULE VERSION: path of that module's go.mod in the module cache.
gomod_of() {
  go mod download -json "$1@$2" </dev/null 2>/dev/null |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p'
}

# scratch TOOL MODULE VERSION PKG...: a throwaway module requiring only this
# tool (`go install pkg@version` is unreliable through the proxy). Extra
# go.mod lines come in $REPLACES.
scratch() {
  local tool=$1 mod=$2 ver=$3; shift 3
  local dir="$WORK/$tool" gomod goline
  rm -rf "$dir"; mkdir -p "$dir"
  gomod="$(gomod_of "$mod" "$ver")"
  [[ -n "$gomod" && -f "$gomod" ]] || { go mod download "$mod@$ver" </dev/null || true; fail "cannot fetch $mod@$ver from $GOPROXY"; }
  goline="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod" | head -n1)"
  {
    printf 'module scratch\n\ngo %s\n\nrequire %s %s\n\n' "${goline:-1.22}" "$mod" "$ver"
    for p in "$@"; do printf 'tool %s\n' "$p"; done
    printf '%s' "${REPLACES:-}"
  } >"$dir/go.mod"
  (cd "$dir" && go mod tidy >"$dir/build.log" 2>&1 </dev/null) ||
    { tail -n 20 "$dir/build.log" >&2; fail "resolving $mod@$ver failed (log: $dir/build.log)"; }
}

# build DIR BIN PKG STAMP TAGS LDFLAGS: written atomically so an interrupted
# build never looks cached.
build() {
  local dir=$1 bin=$2 pkg=$3 stamp=$4 tags=$5 ld=$6 t0=$SECONDS
  (cd "$dir" && "${GOBUILD[@]}" ${tags:+-tags "$tags"} -ldflags "-s -w $ld" -o "$BIN/$bin.tmp" "$pkg" \
      >>"$dir/build.log" 2>&1 </dev/null) ||
    { tail -n 30 "$dir/build.log" >&2; fail "building $bin ($pkg) failed (log: $dir/build.log)"; }
  mv -f "$BIN/$bin.tmp" "$BIN/$bin"
  printf '%s\n' "$stamp" >"$BIN/$bin.version"
  log "built $bin in $((SECONDS - t0))s"
}

# one TOOL BIN MODULE VERSION PKG LDFLAGS
one() {
  local tool=$1 bin=$2 mod=$3 ver=$4 pkg=$5 ld=$6
  stamp_ok "$bin" "$mod@$ver" && return
  # The local tier (hack/e2e-binaries.sh) may have built the same one already.
  local shared="${CACHE%/kind}/bin/$bin"
  if [[ -x "$shared" && "$(cat "$shared.version" 2>/dev/null)" == "$mod@$ver" ]]; then
    cp -f "$shared" "$BIN/$bin.tmp" && mv -f "$BIN/$bin.tmp" "$BIN/$bin"
    printf '%s\n' "$mod@$ver" >"$BIN/$bin.version"; log "reused $bin from the local tier"; return
  fi
  REPLACES="" scratch "$tool" "$mod" "$ver" "$pkg"
  build "$WORK/$tool" "$bin" "$pkg" "$mod@$ver" "" "$ld"
}

# --host-tools: only what runs on the host next to a stock kind cluster (the
# test app is loaded into it, kubelogin logs kubectl in).
if [[ "${1:-}" == --host-tools ]]; then
  one kubelogin kubectl-oidc_login github.com/int128/kubelogin "$KUBELOGIN_VERSION" github.com/int128/kubelogin \
    "-X main.version=$KUBELOGIN_VERSION"
  own testapp
  apiproxy
  exit 0
fi

# --- Kubernetes -------------------------------------------------------------
k8s_stamp="k8s.io/kubernetes@$K8S_VERSION"
k8s_bins=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
need=()
for b in "${k8s_bins[@]}"; do stamp_ok "$b" "$k8s_stamp" || need+=("$b"); done
if ((${#need[@]})); then
  gomod="$(gomod_of k8s.io/kubernetes "$K8S_VERSION")"
  [[ -f "$gomod" ]] || fail "cannot fetch k8s.io/kubernetes@$K8S_VERSION from $GOPROXY"
  # kubernetes' go.mod points its staging modules at ./staging/src/..., which
  # the module zip lacks; pin each to its published v0.x twin.
  staging="v0.${K8S_VERSION#v1.}"
  REPLACES="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$gomod" |
    grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$' |
    sed "s#.*#replace & => & $staging#")"$'\n'
  REPLACES="$REPLACES" scratch kubernetes k8s.io/kubernetes "$K8S_VERSION" "${k8s_bins[@]/#/k8s.io/kubernetes/cmd/}"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  # Without these the binaries say v0.0.0: kubeadm then picks wrong image
  # tags and kubectl refuses the server.
  ld=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  for b in "${need[@]}"; do
    build "$WORK/kubernetes" "$b" "k8s.io/kubernetes/cmd/$b" "$k8s_stamp" selinux,notest,grpcnotrace "$ld"
  done
fi

# kubeadm names the etcd, CoreDNS and pause versions it wants.
kubeadm_images="$("$BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)"
tag_of() { sed -n "s#^registry.k8s.io/$1:##p" <<<"$kubeadm_images"; }
ETCD_TAG="$(tag_of etcd)"            # e.g. 3.6.5-0
COREDNS_TAG="$(tag_of coredns/coredns)"  # e.g. v1.12.1
[[ -n "$ETCD_TAG" && -n "$COREDNS_TAG" ]] || fail "kubeadm config images list gave no etcd/coredns: $kubeadm_images"

one etcd etcd go.etcd.io/etcd/server/v3 "v${ETCD_TAG%-*}" go.etcd.io/etcd/server/v3 ""
one coredns coredns "$COREDNS_MODULE" "$COREDNS_TAG" "$COREDNS_MODULE" ""
one dex dex github.com/dexidp/dex "$DEX_MODULE_VERSION" github.com/dexidp/dex/cmd/dex "-X main.version=$DEX_VERSION"
one oauth2-proxy oauth2-proxy github.com/oauth2-proxy/oauth2-proxy/v7 "$OAUTH2_PROXY_VERSION" \
  github.com/oauth2-proxy/oauth2-proxy/v7 "-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=$OAUTH2_PROXY_VERSION"
one kubelogin kubectl-oidc_login github.com/int128/kubelogin "$KUBELOGIN_VERSION" github.com/int128/kubelogin \
  "-X main.version=$KUBELOGIN_VERSION"


# --- the NetworkPolicy enforcer --------------------------------------------
# kube-network-policies (what kindnetd embeds) puts packets of pods that a
# NetworkPolicy selects into an NFQUEUE with nftables' `queue` expression and
# decides in user space. These VMs' kernels are built without
# CONFIG_NFT_QUEUE: adding that rule fails with "netlink receive: no such file
# or directory", so neither kindnetd nor kube-network-policies as released
# enforces anything here. The kernel does have the xtables NFQUEUE target and
# nft_compat (CONFIG_NETFILTER_XT_TARGET_NFQUEUE, CONFIG_NFT_COMPAT), which
# hand packets to the same nfnetlink_queue; the build swaps the one
# expression for that target and leaves the policy logic as released.
knp_patch='package networkpolicy

// Added by authstack hack/kind/binaries.sh: the kernel may lack nft_queue
// (CONFIG_NFT_QUEUE); the xtables NFQUEUE target (revision 3) through
// nft_compat feeds the same nfnetlink_queue.

import (
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

func xtQueue(num uint16, bypass bool) expr.Any {
	var flags uint16
	if bypass {
		flags = 1 // NFQ_FLAG_BYPASS
	}
	// struct xt_NFQ_info_v3 { __u16 queuenum, queues_total, flags; }, native endian.
	info := xt.Unknown(append(append(binaryutil.NativeEndian.PutUint16(num),
		binaryutil.NativeEndian.PutUint16(1)...), binaryutil.NativeEndian.PutUint16(flags)...))
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}
'
knp_stamp="$KNP_MODULE@$KNP_VERSION xtqueue $(sha256sum <<<"$knp_patch" | cut -c1-12)"
if ! stamp_ok netpol "$knp_stamp"; then
  dir="$WORK/kube-network-policies"; src="$dir/src"
  knp_dir="$(go mod download -json "$KNP_MODULE@$KNP_VERSION" </dev/null | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [[ -d "$knp_dir" ]] || fail "cannot fetch $KNP_MODULE@$KNP_VERSION from $GOPROXY"
  rm -rf "$dir"; mkdir -p "$dir"; cp -r "$knp_dir" "$src"; chmod -R u+w "$src"
  ctl="$src/pkg/networkpolicy/controller.go"
  # Each `queue := &expr.Queue{...}` plus its fail-open flag becomes one call;
  # any other use of expr.Queue means upstream changed: stop, don't guess.
  perl -0pi -e 's/queue := &expr\.Queue\{Num: uint16\(c\.config\.QueueID\)\}\n\s*if c\.config\.FailOpen \{\n\s*queue\.Flag = expr\.QueueFlagBypass\n\s*\}/queue := xtQueue(uint16(c.config.QueueID), c.config.FailOpen)/g' "$ctl"
  grep -q 'xtQueue(' "$ctl" && ! grep -q 'expr\.Queue' "$ctl" ||
    fail "$KNP_MODULE@$KNP_VERSION: pkg/networkpolicy/controller.go no longer has the expected nft queue expression; revisit the patch in $0"
  printf '%s' "$knp_patch" >"$src/pkg/networkpolicy/zz_xtqueue.go"
  # tool lines need go 1.24.
  printf 'module scratch\n\ngo 1.24\n\nrequire %s %s\n\nreplace %s => ./src\n\ntool %s/cmd\n' \
    "$KNP_MODULE" "$KNP_VERSION" "$KNP_MODULE" "$KNP_MODULE" >"$dir/go.mod"
  (cd "$dir" && go mod tidy >build.log 2>&1 </dev/null) ||
    { tail -n 20 "$dir/build.log" >&2; fail "resolving $KNP_MODULE@$KNP_VERSION failed (log: $dir/build.log)"; }
  build "$WORK/kube-network-policies" netpol "$KNP_MODULE/cmd" "$knp_stamp" "" ""
fi

own pause testapp
apiproxy

printf 'ETCD_TAG=%s\nCOREDNS_TAG=%s\n' "$ETCD_TAG" "$COREDNS_TAG" >"$BIN/kubeadm-images.env"
log "binaries ready in $BIN"
