#!/usr/bin/env bash
# Times the whole `authstack render` process against `helm template` of the
# upstream dex and oauth2-proxy charts, side by side, with `authstack
# version` for the start-up cost every command pays. The commands run in
# rounds, each command once per round, so that a change in the machine's
# load hits all of them alike; the table gives the median and the minimum
# wall time and the median CPU time (user + system) over RUNS rounds.
# BEFORE=path/to/an/older/authstack adds its version and render for a
# before/after comparison in the same rounds.
# Needs: bash, a helm binary and the two upstream chart
# directories (set HELM, DEX_CHART, OAUTH2_PROXY_CHART). The oauth2-proxy
# chart's optional redis-ha dependency is dropped from a scratch copy, since
# helm refuses to template a chart whose dependency archive is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HELM:?set HELM to a helm v3 binary}"
: "${DEX_CHART:?set DEX_CHART to the dexidp/helm-charts charts/dex directory}"
: "${OAUTH2_PROXY_CHART:?set OAUTH2_PROXY_CHART to the oauth2-proxy/manifests helm/oauth2-proxy directory}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$OAUTH2_PROXY_CHART" "$work/oauth2-proxy"
sed -i '/^dependencies:/,/^[a-z]/{/^dependencies:/d;/^  /d}' "$work/oauth2-proxy/Chart.yaml"
rm -f "$work/oauth2-proxy/Chart.lock"

CGO_ENABLED=0 go build -trimpath -o "$work/authstack" ./cmd/authstack
cp -r examples/kind "$work/kind"
# The large stack: the kind example with 5 apps and 1,000 users.
cp -r examples/kind "$work/large"
python3 - "$work/large/authstack.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
apps = "".join(f"""    - name: app{i}
      host: app{i}.127.0.0.1.nip.io
      namespace: apps
      upstream:
        service: app{i}
        port: 8080
      identity: token
      podSelector:
        app: app{i}
""" for i in range(3))
s = s.replace("  rbac:\n", apps + "  rbac:\n    users:\n" + "".join(f"      - name: user{i:04d}@example.com\n        clusterRoles: [view]\n" for i in range(1000)), 1)
open(p, "w").write(s)
PY
"$work/authstack" render -f "$work/kind/authstack.yaml" >/dev/null 2>&1
"$work/authstack" render -f "$work/large/authstack.yaml" >/dev/null 2>&1
echo "objects in the kind stack:  $("$work/authstack" render -f "$work/kind/authstack.yaml" 2>/dev/null | grep -c '^kind: ')"
echo "objects in the large stack: $("$work/authstack" render -f "$work/large/authstack.yaml" 2>/dev/null | grep -c '^kind: ')"
echo "objects from the two charts: $(( $("$HELM" template dex "$DEX_CHART" -f hack/bench/dex-values.yaml | grep -c '^kind: ') + $("$HELM" template oauth2-proxy "$work/oauth2-proxy" -f hack/bench/oauth2-proxy-values.yaml | grep -c '^kind: ') ))"

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "authstack version" "$work/authstack version"
add "authstack render (kind example, whole stack)" "$work/authstack render -f $work/kind/authstack.yaml"
add "authstack render (5 apps, 1,000 users)" "$work/authstack render -f $work/large/authstack.yaml"
if [ -n "${BEFORE:-}" ]; then
  add "before: authstack version" "$BEFORE version"
  add "before: authstack render (kind example, whole stack)" "$BEFORE render -f $work/kind/authstack.yaml"
fi
add "helm template dex (upstream chart)" "$HELM template dex $DEX_CHART -f hack/bench/dex-values.yaml"
add "helm template oauth2-proxy (upstream chart)" "$HELM template oauth2-proxy $work/oauth2-proxy -f hack/bench/oauth2-proxy-values.yaml"
add "helm template dex + oauth2-proxy" "$HELM template dex $DEX_CHART -f hack/bench/dex-values.yaml && $HELM template oauth2-proxy $work/oauth2-proxy -f hack/bench/oauth2-proxy-values.yaml"

# One line per run in $work/t<i>: wall user system, in seconds.
TIMEFORMAT='%3R %3U %3S'
run() { { time eval "${cmds[$1]}" >/dev/null 2>&1; } 2>>"$work/t$1"; }
for i in "${!cmds[@]}"; do for _ in 1 2 3; do run "$i"; done; : >"$work/t$i"; done
for _ in $(seq "${RUNS:-30}"); do
  for i in "${!cmds[@]}"; do run "$i"; done
done

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ms() { awk '{printf "%.1f", $1*1000}'; }
helm_both=$(( ${#cmds[@]} - 1 ))
ref=$(awk '{print $1}' "$work/t$helm_both" | median)
{
  echo "| Command | median wall [ms] | min wall [ms] | median CPU [ms] | wall / helm dex + oauth2-proxy |"
  echo "|:---|---:|---:|---:|---:|"
  for i in "${!cmds[@]}"; do
    wall=$(awk '{print $1}' "$work/t$i" | median)
    printf '| `%s` | %s | %s | %s | %.2f |\n' "${names[$i]}" "$(echo "$wall" | ms)" \
      "$(awk '{print $1}' "$work/t$i" | sort -n | head -1 | ms)" \
      "$(awk '{print $2 + $3}' "$work/t$i" | median | ms)" "$(awk -v a="$wall" -v b="$ref" 'BEGIN {print a / b}')"
  done
  echo
  echo "$(wc -l <"$work/t0") rounds, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
} >"${OUT:-/dev/stdout}"
