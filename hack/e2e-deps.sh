#!/usr/bin/env bash
# Installs the Debian packages the local end-to-end tier needs beside the Go
# binaries from hack/e2e-binaries.sh. Safe to re-run: it only touches apt when
# something is missing, so a warm machine pays nothing.
set -euo pipefail

PKGS=(nginx slapd ldap-utils chromium chromium-driver openssl ca-certificates)

# Root on CI machines, a developer elsewhere; -n because there is no terminal to ask on.
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "e2e-deps: not root and no sudo" >&2; exit 1; }
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
# Other jobs on a shared machine may hold the dpkg lock; wait instead of failing.
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
  echo "e2e-deps: installing ${missing[*]}"
  "${APT[@]}" update
  # Keep existing config files and never stop to ask about them.
  "${APT[@]}" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${missing[@]}" </dev/null
  # Tests start their own nginx and slapd from temp dirs on free ports; the
  # system instances installed just now would only hold ports 80/389.
  # Services that were already here belong to someone else: leave them.
  for svc in nginx slapd; do
    [[ " ${missing[*]} " == *" $svc "* ]] || continue
    "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
    # Keep them from coming back at the next boot, with or without systemd.
    if [[ -d /run/systemd/system ]]; then "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
    else "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true; fi
    for pidfile in /run/nginx.pid /run/slapd/slapd.pid; do
      [[ $pidfile == *"$svc"* && -s $pidfile ]] || continue
      pid=$(cat "$pidfile")
      "${SUDO[@]}" kill "$pid" 2>/dev/null && echo "e2e-deps: stopped system $svc (pid $pid)" || true
    done
  done
else
  echo "e2e-deps: all present"
fi

# The oauth2-proxy tests put nginx in front with auth_request; a build without it is useless.
"$(command -v nginx || echo /usr/sbin/nginx)" -V 2>&1 | grep -q http_auth_request_module ||
  { echo "e2e-deps: nginx lacks http_auth_request_module (Debian 12 builds it into the nginx package; is another nginx first on PATH?)" >&2; exit 1; }
