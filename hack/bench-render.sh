#!/usr/bin/env bash
# Times the whole `authstack render` process against `helm template` of the
# upstream dex and oauth2-proxy charts, side by side in one hyperfine run,
# with `authstack version` for the start-up cost every command pays.
# Needs: hyperfine (Debian), a helm binary and the two upstream chart
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

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-markdown "${OUT:-/dev/stdout}" \
  -n "authstack version" "$work/authstack version" \
  -n "authstack render (kind example, whole stack)" "$work/authstack render -f $work/kind/authstack.yaml" \
  -n "authstack render (5 apps, 1,000 users)" "$work/authstack render -f $work/large/authstack.yaml" \
  -n "helm template dex (upstream chart)" "$HELM template dex $DEX_CHART -f hack/bench/dex-values.yaml" \
  -n "helm template oauth2-proxy (upstream chart)" "$HELM template oauth2-proxy $work/oauth2-proxy -f hack/bench/oauth2-proxy-values.yaml" \
  -n "helm template dex + oauth2-proxy" "sh -c '$HELM template dex $DEX_CHART -f hack/bench/dex-values.yaml >/dev/null && $HELM template oauth2-proxy $work/oauth2-proxy -f hack/bench/oauth2-proxy-values.yaml >/dev/null'"
