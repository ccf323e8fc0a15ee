#!/usr/bin/env bash
# Whole-process timings of the built binary: the default render, a batch of
# 1,000 specs in one call, and, on the same manifests, `kubectl kustomize` of a
# directory holding them and `helm template` of a chart holding them, when
# those tools are installed (bin/kubectl from make cluster-tools counts).
# Medians over many runs, with hyperfine when installed, else a Go-free loop.
set -euo pipefail
cd "$(dirname "$0")/.."

mysqlgen=bin/mysqlgen
go build -o "$mysqlgen" ./cmd/mysqlgen
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/specs"
for i in $(seq -w 1 1000); do
  printf 'apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db%s\n' "$i" >"$work/specs/c$i.yaml"
done

# The default cluster's manifests as a kustomization and as a chart.
mkdir -p "$work/kustomize" "$work/chart/templates"
"$mysqlgen" render >"$work/kustomize/all.yaml"
printf 'resources:\n- all.yaml\n' >"$work/kustomize/kustomization.yaml"
cp "$work/kustomize/all.yaml" "$work/chart/templates/all.yaml"
printf 'apiVersion: v2\nname: mysql\nversion: 0.1.0\n' >"$work/chart/Chart.yaml"

commands=("$mysqlgen render" "$mysqlgen render -f $work/specs")
kubectl=$(command -v bin/kubectl || command -v kubectl || true)
[[ -n "$kubectl" ]] && commands+=("$kubectl kustomize $work/kustomize")
helm=$(command -v helm || true)
[[ -n "$helm" ]] && commands+=("$helm template mysql $work/chart")

for c in "${commands[@]}"; do
  read -ra argv <<<"$c"
  peak="?"
  [[ -x /usr/bin/time ]] && peak=$( { /usr/bin/time -f '%M' "${argv[@]}" >/dev/null; } 2>&1 | tail -1)
  echo "== $c  (peak RSS ${peak} KiB)"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$([[ $c == *specs* ]] && echo 10 || echo 100)" --style basic "$c" 2>&1 | grep -E 'Time|Range'
  else
    start=$(date +%s%N)
    for _ in $(seq 20); do "${argv[@]}" >/dev/null; done
    echo "  mean $(( ($(date +%s%N) - start) / 20000000 )) ms over 20 runs"
  fi
done
echo "specs in the batch: 1000"
