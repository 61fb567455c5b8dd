#!/usr/bin/env bash
# Debian root filesystems for the images the tier builds without a registry,
# made with debootstrap and cached as tarballs:
#   node: what kind's base image holds (systemd, containerd, runc, iptables,
#         jq for kind's mount hook, ...) plus kind's own files from its Go
#         module, so `docker import` gives a usable kind base image;
#   edge: Debian's nginx-light (it has auth_request), the stand-in for
#         ingress-nginx, whose controller cannot be built here.
# Usage: rootfs.sh node|edge
set -euo pipefail
. "$(dirname "$0")/common.sh"

what=${1:?usage: rootfs.sh node|edge}
out="$CACHE/rootfs-$what-$DEBIAN_SUITE.tar"
[[ -s "$out" ]] && { log "rootfs $what cached"; exit 0; }
command -v debootstrap >/dev/null || fail "debootstrap missing: run hack/kind/deps.sh"

mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
dir="$WORK/rootfs-$what"
rm -rf "$dir"; mkdir -p "$dir"
t0=$SECONDS

case "$what" in
node)
  pkgs=systemd,systemd-sysv,dbus,iptables,nftables,iproute2,ca-certificates,mount,util-linux,kmod,procps
  pkgs+=,containerd,runc,socat,conntrack,ethtool,ebtables,libseccomp2,pigz,zstd,bash,curl,jq,containernetworking-plugins
  nice -n 10 debootstrap --variant=minbase --include="$pkgs" "$DEBIAN_SUITE" "$dir" "$mirror" >"$WORK/debootstrap-$what.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap-$what.log" >&2; fail "debootstrap $what failed (log: $WORK/debootstrap-$what.log)"; }
  # kind's base image = a distro + these files (images/base/Dockerfile).
  go -C "$REPO" mod download sigs.k8s.io/kind
  kind_dir="$(go -C "$REPO" list -m -f '{{.Dir}}' sigs.k8s.io/kind)"
  f="$kind_dir/images/base/files"
  [[ -d "$f" ]] || fail "kind's base image files not found in $kind_dir"
  install -m0755 "$f"/usr/local/bin/* "$dir/usr/local/bin/"
  mkdir -p "$dir/kind/bin" && cp -r "$f/kind/." "$dir/kind/" && chmod -R u+w,go+rX "$dir/kind" && chmod 755 "$dir"/kind/bin/*
  install -m0644 "$f/etc/crictl.yaml" "$dir/etc/"
  install -m0644 "$f/etc/containerd/config.toml" "$dir/etc/containerd/"
  install -m0644 "$f/etc/default/kubelet" "$dir/etc/default/"
  install -m0644 "$f"/etc/sysctl.d/* "$dir/etc/sysctl.d/"
  install -m0644 "$f"/etc/systemd/system/*.service "$f"/etc/systemd/system/*.slice "$dir/etc/systemd/system/"
  mkdir -p "$dir/etc/systemd/system/kubelet.service.d"
  install -m0644 "$f"/etc/systemd/system/kubelet.service.d/* "$dir/etc/systemd/system/kubelet.service.d/"
  # kind's unit starts /usr/local/bin/containerd; Debian installs it in /usr/bin.
  ln -sf /usr/bin/containerd "$dir/usr/local/bin/containerd"
  # Without CAP_SYS_RESOURCE containerd cannot set oom_score_adj below the
  # current value (-998 for sandboxes); clamp instead of failing every pod.
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$dir/etc/containerd/config.toml"
  # The same trimming of systemd kind's base Dockerfile does.
  find "$dir/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$dir"/lib/systemd/system/multi-user.target.wants/* "$dir"/etc/systemd/system/*.wants/* \
    "$dir"/lib/systemd/system/local-fs.target.wants/* "$dir"/lib/systemd/system/sockets.target.wants/*udev* \
    "$dir"/lib/systemd/system/sockets.target.wants/*initctl* "$dir"/lib/systemd/system/basic.target.wants/*
  grep -q '^ReadKMsg=no' "$dir/etc/systemd/journald.conf" || echo ReadKMsg=no >>"$dir/etc/systemd/journald.conf"
  chroot "$dir" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$dir" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  mkdir -p "$dir/etc/kubernetes/manifests" "$dir/opt/cni/bin" "$dir/etc/cni/net.d"
  # kind's containerd config names this base OCI spec: the default spec plus
  # kind's mount hook, without rlimits.
  chroot "$dir" ctr oci spec |
    jq '.hooks.createContainer += [{"path": "/kind/bin/mount-product-files.sh"}] | del(.process.rlimits)' \
      >"$dir/etc/containerd/cri-base.json"
  # Single node, no kindnetd: a static bridge network from Debian's CNI plugins.
  for p in host-local loopback ptp portmap bridge; do cp "$dir/usr/lib/cni/$p" "$dir/opt/cni/bin/"; done
  cat >"$dir/etc/cni/net.d/10-authstack-bridge.conflist" <<'JSON'
{
  "cniVersion": "0.4.0",
  "name": "authstack-e2e",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
  ;;
edge)
  nice -n 10 debootstrap --variant=minbase --include=nginx-light "$DEBIAN_SUITE" "$dir" "$mirror" >"$WORK/debootstrap-$what.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap-$what.log" >&2; fail "debootstrap $what failed (log: $WORK/debootstrap-$what.log)"; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  rm -f "$dir"/etc/nginx/sites-enabled/*
  ;;
*) fail "unknown rootfs $what" ;;
esac

tar -C "$dir" -cf "$out.tmp" . && mv -f "$out.tmp" "$out"
rm -rf "$dir"
log "rootfs $what built in $((SECONDS - t0))s"
