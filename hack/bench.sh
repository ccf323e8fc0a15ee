#!/usr/bin/env bash
# Whole-process timings of the built binary: the default render, a batch of
# 1,000 specs in one call, and, on the same manifests, `kubectl kustomize` of a
# directory holding them and `helm template` of a chart holding them, when
# those tools are installed (bin/kubectl from make cluster-tools and bin/helm
# from make helm count). Medians over many runs with hyperfine, peak memory
# with GNU time; each figure is set beside its target. Timings depend on the
# machine: they are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install hyperfine time)" >&2; exit 1; }
done

mysqlgen=bin/mysqlgen
go build -o "$mysqlgen" ./cmd/mysqlgen
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A batch like a fleet's: three releases, one to five members.
mkdir -p "$work/specs"
releases=('flavor: mysql\n  version: "8.0"' 'flavor: mysql\n  version: "8.4"' 'flavor: mariadb\n  version: "10.11"')
for i in $(seq 0 999); do
  printf "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db%04d\nspec:\n  ${releases[i % 3]}\n  replicas: %d\n" "$i" $((i % 5 + 1)) >"$work/specs/c$(printf %04d "$i").yaml"
done

# The default cluster's manifests as a kustomization and as a chart.
mkdir -p "$work/kustomize" "$work/chart/templates"
"$mysqlgen" render >"$work/kustomize/all.yaml"
printf 'resources:\n- all.yaml\n' >"$work/kustomize/kustomization.yaml"
cp "$work/kustomize/all.yaml" "$work/chart/templates/all.yaml"
printf 'apiVersion: v2\nname: mysql\nversion: 0.1.0\n' >"$work/chart/Chart.yaml"

# measure NAME RUNS COMMAND...: sets median_ms and peak_mib.
measure() {
  local name=$1 runs=$2
  shift 2
  hyperfine -N --warmup 5 --runs "$runs" --style none --export-csv "$work/h.csv" "$*" >/dev/null
  median_ms=$(awk -F, 'NR == 2 { printf "%.2f", $4 * 1000 }' "$work/h.csv")
  local min max
  min=$(awk -F, 'NR == 2 { printf "%.2f", $7 * 1000 }' "$work/h.csv")
  max=$(awk -F, 'NR == 2 { printf "%.2f", $8 * 1000 }' "$work/h.csv")
  peak_mib=$( { /usr/bin/time -f '%M' "$@" >/dev/null; } 2>&1 | tail -1 | awk '{ printf "%.1f", $1 / 1024 }')
  printf '%-34s median %9s ms  (min %s, max %s, %d runs)  peak %6s MiB\n' "$name" "$median_ms" "$min" "$max" "$runs" "$peak_mib"
}

# verdict TEXT OK: one line per target.
verdict() { printf '  %-60s %s\n' "$1" "$([[ $2 == 1 ]] && echo met || echo MISSED)"; }
ok() { awk "BEGIN { print ($1) ? 1 : 0 }"; }

echo "machine: $(nproc) CPUs; mysqlgen $(git describe --always --dirty 2>/dev/null || echo '?')"
measure "mysqlgen render (default)" 300 "$mysqlgen" render
render_ms=$median_ms render_mib=$peak_mib
measure "mysqlgen version (start-up floor)" 300 "$mysqlgen" version
measure "mysqlgen render -f <1,000 specs>" 20 "$mysqlgen" render -f "$work/specs"
batch_ms=$median_ms
rate=$(awk "BEGIN { printf \"%d\", 1000 / ($batch_ms / 1000) }")

kubectl=$(command -v bin/kubectl || command -v kubectl || true)
if [[ -n "$kubectl" ]]; then
  measure "kubectl kustomize (same manifests)" 100 "$kubectl" kustomize "$work/kustomize"
  kustomize_ms=$median_ms
fi
helm=$(command -v bin/helm || command -v helm || true)
if [[ -n "$helm" ]]; then
  measure "helm template (same manifests)" 100 "$helm" template mysql "$work/chart"
  helm_ms=$median_ms
fi

echo "targets (medians):"
verdict "default render under 10 ms: $render_ms ms" "$(ok "$render_ms < 10")"
verdict "default render under 30 MiB peak: $render_mib MiB" "$(ok "$render_mib < 30")"
verdict "batch at least 2,000 specs/s: $rate specs/s" "$(ok "$rate >= 2000")"
if [[ -n "${kustomize_ms:-}" ]]; then
  x=$(awk "BEGIN { printf \"%.1f\", $kustomize_ms / $render_ms }")
  verdict "at least 5x faster than kubectl kustomize: ${x}x" "$(ok "$x >= 5")"
else
  echo "  kubectl not installed: no kustomize comparison (make cluster-tools builds one)"
fi
if [[ -n "${helm_ms:-}" ]]; then
  x=$(awk "BEGIN { printf \"%.1f\", $helm_ms / $render_ms }")
  echo "  (no target) helm template takes ${x}x as long as the default render"
else
  echo "  helm not installed: no helm comparison (make helm installs one into bin/)"
fi
