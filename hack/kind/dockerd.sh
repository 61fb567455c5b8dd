#!/usr/bin/env bash
# dockerd.sh start|stop: makes sure a Docker engine answers, starting dockerd
# in the background when none runs, and stops only a dockerd it started (by
# the PID it recorded). Where root lacks CAP_SYS_RESOURCE, dockerd gets a runc
# wrapper (e2e/kind/cmd/runc-nosysres) as its default runtime so kind's
# privileged node containers can start.
set -euo pipefail
. "$(dirname "$0")/common.sh"

pidfile="$CACHE/dockerd.pid"
case "${1:-}" in
start)
  if docker_ok; then log "using the running Docker engine"; exit 0; fi
  command -v dockerd >/dev/null || fail "no Docker engine and no dockerd: run hack/kind/deps.sh"
  args=(--host unix:///var/run/docker.sock)
  if ! has_sys_resource; then
    (cd "$REPO" && go build -tags e2e_kind -o "$BIN/runc-nosysres" ./e2e/kind/cmd/runc-nosysres) ||
      fail "building the runc wrapper failed"
    args+=(--add-runtime "nosysres=$BIN/runc-nosysres" --default-runtime nosysres)
    log "no CAP_SYS_RESOURCE here: dockerd runs containers through $BIN/runc-nosysres"
  fi
  nohup dockerd "${args[@]}" >"$CACHE/dockerd.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 60); do
    docker_ok && { log "dockerd started (pid $(cat "$pidfile"), log $CACHE/dockerd.log)"; exit 0; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 1
  done
  tail -n 20 "$CACHE/dockerd.log" >&2
  fail "dockerd did not answer within 60s"
  ;;
stop)
  [[ -f "$pidfile" ]] || exit 0
  pid="$(cat "$pidfile")"
  # Only our dockerd: the recorded PID must still be a dockerd.
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd $pid ignored SIGTERM for 30s; killing it"; kill -9 "$pid"; }
    log "stopped dockerd $pid"
  fi
  rm -f "$pidfile"
  ;;
*) fail "usage: dockerd.sh start|stop" ;;
esac
