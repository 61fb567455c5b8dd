#!/usr/bin/env bash
# Installs what the kind tier needs from Debian when it is missing: Docker
# (docker.io), debootstrap, jq and chromium (the browser login). On a machine with Docker already installed
# (a laptop, GitHub Actions) it installs nothing.
set -euo pipefail
. "$(dirname "$0")/common.sh"

want=()
command -v dockerd >/dev/null || docker_ok || want+=(docker.io)
command -v jq >/dev/null || want+=(jq)
# debootstrap only matters when images are built locally.
[[ "${AUTHSTACK_E2E_KIND_IMAGES:-auto}" == stock ]] || command -v debootstrap >/dev/null || want+=(debootstrap)
# The browser login runs Debian's headless Chromium unless E2E_CHROMIUM names one.
[[ -x "${E2E_CHROMIUM:-/usr/bin/chromium}" ]] || want+=(chromium)
((${#want[@]})) || exit 0
command -v apt-get >/dev/null || fail "missing ${want[*]} and no apt-get to install them"
[[ $(id -u) == 0 ]] || fail "missing ${want[*]}; run as root or install them"
log "installing ${want[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${want[@]}" >"$WORK/apt.log" 2>&1 ||
  { apt-get update -q >>"$WORK/apt.log" 2>&1 && apt-get install -y -q --no-install-recommends "${want[@]}" >>"$WORK/apt.log" 2>&1; } ||
  { tail -n 20 "$WORK/apt.log" >&2; fail "apt-get install ${want[*]} failed"; }
