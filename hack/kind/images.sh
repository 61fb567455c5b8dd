#!/usr/bin/env bash
# Puts every image the kind tier needs into the Docker engine, reusing what is
# already there, and prints the node image to use on stdout.
#
# AUTHSTACK_E2E_KIND_IMAGES selects where images come from:
#   stock  kind's published node image and the upstream dex / oauth2-proxy /
#          nginx images, pulled (a laptop, GitHub Actions);
#   local  everything built here from Go modules and Debian packages, no
#          registry at all (CI's VMs);
#   auto   (default) stock when the node image can be pulled and containers
#          get every capability, local otherwise.
# The test app is always built from this repository.
set -euo pipefail
. "$(dirname "$0")/common.sh"

images_of_renderer() {
  # The names the renderer writes come from pkg/images; ask the code, so the
  # tier deploys exactly what users get.
  # -buildvcs=false like the CLI and the proxy the tier builds: the proxy's
  # tag is the build's version.
  (cd "$REPO" && go run -buildvcs=false -tags e2e_kind ./e2e/kind/cmd/imagenames)
}
eval "$(images_of_renderer)"   # sets DEX_IMAGE, OAUTH2_PROXY_IMAGE and APIPROXY_IMAGE
[[ -n "${DEX_IMAGE:-}" && -n "${OAUTH2_PROXY_IMAGE:-}" && -n "${APIPROXY_IMAGE:-}" ]] || fail "cannot read image names from pkg/images"

mode="${AUTHSTACK_E2E_KIND_IMAGES:-auto}"
if [[ "$mode" == auto ]]; then
  mode=local
  if has_sys_resource && { image_ok "$STOCK_NODE_IMAGE" || timeout 300 docker pull -q "$STOCK_NODE_IMAGE" >/dev/null 2>&1; }; then
    mode=stock
  fi
  log "image source: $mode"
fi

# scratch_image NAME ENTRYPOINT_JSON BIN...: the static binaries in
# /usr/local/bin of an otherwise empty image.
scratch_image() {
  local name=$1 ep=$2; shift 2
  local d; d="$(mktemp -d "$WORK/img.XXXXXX")"
  mkdir -p "$d/usr/local/bin" "$d/tmp" "$d/etc"
  chmod 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$d/etc/group"
  echo 'hosts: files dns' >"$d/etc/nsswitch.conf"
  # Upstream images carry CA roots; dex and oauth2-proxy read them at start.
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && mkdir -p "$d/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$d/etc/ssl/certs/"
  for b in "$@"; do install -m0755 "$b" "$d/usr/local/bin/"; done
  local changes=(--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin')
  [[ -n "$ep" ]] && changes+=(--change "ENTRYPOINT $ep")
  tar -C "$d" -c . | docker import "${changes[@]}" - "$name" >/dev/null
  rm -rf "$d"
  log "made $name"
}

# result NODE_IMAGE [NETPOL_IMAGE]: what the tests need to know, in
# $CACHE/images.env. The proxy image is not in IMAGES_TO_LOAD (which
# `authstack up --images-from` loads too): only TestKind/APIProxy runs it and
# loads it itself. NETPOL_IMAGE is the NetworkPolicy enforcer the test
# deploys onto a node without kindnetd; the stock node brings kindnetd.
result() {
  cat >"$CACHE/images.env" <<ENV
AUTHSTACK_E2E_KIND_IMAGE_SOURCE=$mode
AUTHSTACK_E2E_KIND_NODE_IMAGE=$1
AUTHSTACK_E2E_KIND_APP_IMAGE=$APP_IMAGE
AUTHSTACK_E2E_KIND_EDGE_IMAGE=$EDGE_IMAGE
AUTHSTACK_E2E_KIND_APIPROXY_IMAGE=$APIPROXY_IMAGE
AUTHSTACK_E2E_KIND_NETPOL_IMAGE=${2:-}
AUTHSTACK_E2E_KIND_IMAGES_TO_LOAD="$DEX_IMAGE $OAUTH2_PROXY_IMAGE $EDGE_IMAGE $APP_IMAGE${2:+ $2}"
ENV
  echo "$1"
}

# want NAME: true when NAME must be (re)made; FORCE=1 remakes everything.
want() { [[ "${FORCE:-}" == 1 ]] || ! image_ok "$1"; }

"$(dirname "$0")/binaries.sh" --host-tools >&2
want "$APP_IMAGE" || [[ "$BIN/testapp" -nt "$CACHE/testapp.imported" ]] && {
  scratch_image "$APP_IMAGE" '["/usr/local/bin/testapp"]' "$BIN/testapp"; touch "$CACHE/testapp.imported"; }
# authstack-apiproxy from this repository under the name the renderer writes
# (never pulled: the release image may not exist for this build), static on
# an empty image like the release's distroless one, nonroot (65532) in
# /etc/passwd as the rendered Deployment runs it.
want "$APIPROXY_IMAGE" || [[ "$BIN/authstack-apiproxy" -nt "$CACHE/apiproxy.imported" ]] && {
  scratch_image "$APIPROXY_IMAGE" '["/usr/local/bin/authstack-apiproxy"]' "$BIN/authstack-apiproxy"; touch "$CACHE/apiproxy.imported"; }

if [[ "$mode" == stock ]]; then
  for img in "$DEX_IMAGE" "$OAUTH2_PROXY_IMAGE" "${STOCK_EDGE_IMAGE:=docker.io/library/nginx:1.27}"; do
    image_ok "$img" || docker pull -q "$img" >/dev/null || fail "docker pull $img failed"
  done
  docker tag "$STOCK_EDGE_IMAGE" "$EDGE_IMAGE"
  result "$STOCK_NODE_IMAGE"
  exit 0
fi

# debootstrap is network and disk, the Go builds are CPU: run them side by side.
declare -A rootfs_pid
for r in node edge; do
  img="$BASE_IMAGE"; [[ $r == edge ]] && img="$EDGE_IMAGE"
  want "$img" || continue
  "$(dirname "$0")/rootfs.sh" "$r" >"$WORK/rootfs-$r.out" 2>&1 &
  rootfs_pid[$r]=$!
done
wait_rootfs() {
  [[ -n "${rootfs_pid[$1]:-}" ]] || return 0
  wait "${rootfs_pid[$1]}" || { cat "$WORK/rootfs-$1.out" >&2; fail "building the $1 root filesystem failed"; }
  cat "$WORK/rootfs-$1.out" >&2
}
"$(dirname "$0")/binaries.sh" >&2
. "$BIN/kubeadm-images.env"    # ETCD_TAG, COREDNS_TAG as kubeadm wants them

want "$DEX_IMAGE" && scratch_image "$DEX_IMAGE" '' "$BIN/dex"
want "$OAUTH2_PROXY_IMAGE" && scratch_image "$OAUTH2_PROXY_IMAGE" '["/usr/local/bin/oauth2-proxy"]' "$BIN/oauth2-proxy"
# The enforcer talks netlink only (no nft or iptables binary), like upstream's
# distroless image.
want "$NETPOL_IMAGE" || [[ "$BIN/netpol" -nt "$CACHE/netpol.imported" ]] && {
  scratch_image "$NETPOL_IMAGE" '["/usr/local/bin/netpol"]' "$BIN/netpol"; touch "$CACHE/netpol.imported"; }
wait_rootfs edge
if want "$EDGE_IMAGE"; then
  docker import --change 'CMD ["nginx", "-g", "daemon off;"]' - "$EDGE_IMAGE" <"$CACHE/rootfs-edge-$DEBIAN_SUITE.tar" >/dev/null
  log "made $EDGE_IMAGE"
fi

# --- the node image --------------------------------------------------------
# Its tag carries a digest of everything in it, so a change rebuilds it.
node_inputs="$( (cd "$BIN" && cat kubeadm.version etcd.version coredns.version && sha256sum pause) ; cat "$0" "$(dirname "$0")/rootfs.sh")"
node_tag="$NODE_IMAGE-$(sha256sum <<<"$node_inputs" | cut -c1-12)"
if ! want "$node_tag"; then result "$node_tag" "$NETPOL_IMAGE"; exit 0; fi

wait_rootfs node
if want "$BASE_IMAGE"; then
  docker import --change 'ENV container=docker' --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    - "$BASE_IMAGE" <"$CACHE/rootfs-node-$DEBIAN_SUITE.tar" >/dev/null
  log "made $BASE_IMAGE"
fi

# Control-plane images under the names kubeadm asks for.
pause_tag="$("$BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" | sed -n 's#^registry.k8s.io/pause:##p')"
scratch_image "registry.k8s.io/pause:$pause_tag" '["/usr/local/bin/pause"]' "$BIN/pause"
# kind's containerd config names its own sandbox image.
docker tag "registry.k8s.io/pause:$pause_tag" registry.k8s.io/pause:3.10
scratch_image "registry.k8s.io/etcd:$ETCD_TAG" '' "$BIN/etcd"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  scratch_image "registry.k8s.io/$c:$K8S_VERSION" '' "$BIN/$c"
done
scratch_image "registry.k8s.io/coredns/coredns:$COREDNS_TAG" '["/usr/local/bin/coredns"]' "$BIN/coredns"
# kube-proxy runs iptables: the node's base plus the binary.
id="$(docker create --entrypoint=/bin/true "$BASE_IMAGE")"
docker cp "$BIN/kube-proxy" "$id:/usr/local/bin/kube-proxy"
docker commit --change 'ENTRYPOINT []' "$id" "registry.k8s.io/kube-proxy:$K8S_VERSION" >/dev/null
docker rm "$id" >/dev/null
preload=("registry.k8s.io/pause:$pause_tag" registry.k8s.io/pause:3.10 "registry.k8s.io/etcd:$ETCD_TAG"
  "registry.k8s.io/kube-apiserver:$K8S_VERSION" "registry.k8s.io/kube-controller-manager:$K8S_VERSION"
  "registry.k8s.io/kube-scheduler:$K8S_VERSION" "registry.k8s.io/kube-proxy:$K8S_VERSION"
  "registry.k8s.io/coredns/coredns:$COREDNS_TAG")

# Assemble the node the way kind's node-image builder does: binaries in
# /usr/bin, /kind/version, images preloaded (pinned) into containerd.
t0=$SECONDS
id="authstack-e2e-nodebuild-$$"
docker run -d --name "$id" --entrypoint=sleep --security-opt seccomp=unconfined "$BASE_IMAGE" infinity >/dev/null
trap 'docker rm -f -v "$id" >/dev/null 2>&1 || true' EXIT
for b in kubeadm kubelet kubectl; do docker cp "$BIN/$b" "$id:/usr/bin/$b"; done
docker exec "$id" sh -c "chown root:root /usr/bin/kube* && chmod 0755 /usr/bin/kube* && printf %s $K8S_VERSION >/kind/version && mkdir -p /kind/manifests"
docker exec -d "$id" containerd
docker exec "$id" sh -c 'for i in $(seq 50); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1' ||
  fail "containerd did not start in the node build container"
for img in "${preload[@]}"; do
  docker save "$img" | docker exec -i "$id" ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests - >/dev/null
  docker exec "$id" ctr --namespace=k8s.io images label "$img" io.cri-containerd.pinned=pinned >/dev/null
done
docker exec "$id" sh -c 'kill $(pidof containerd); for i in $(seq 50); do pidof containerd >/dev/null || exit 0; sleep 0.2; done'
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'ENV container=docker' \
  "$id" "$node_tag" >/dev/null
log "made $node_tag in $((SECONDS - t0))s"
result "$node_tag" "$NETPOL_IMAGE"
