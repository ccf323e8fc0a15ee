#!/usr/bin/env bash
# Lints rendered manifests (default: every testdata/golden/*.yaml; or the files given) with
#   kube-score v1.20.0: prints the CRITICAL and WARNING counts per file (checks listed in
#     hack/kube-score-ignore.txt are skipped). It fails on CRITICAL only when KUBE_SCORE_GATE=1.
#     KUBE_SCORE_VERBOSE=1 prints every finding.
#   kubectl-validate v0.0.4: against the Kubernetes 1.34 OpenAPI v3 schemas from bin/ (shipped in
#     k8s.io/kubernetes v1.34.4) and its built-in 1.29 and 1.30 schemas, with the CRDs in bin/crds
#     (ServiceMonitor, PrometheusRule). Any error fails.
#   trivy config v0.74.0: its built-in Kubernetes checks (no download: --skip-check-update). Any
#     finding at any severity fails, but for the checks listed in hack/trivy-ignore.txt.
# Needs bin/ from hack/cluster-tools.sh. Never contacts a cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
for f in kube-score kubectl-validate trivy openapi-schemas-1.34 crds; do
  [[ -e "$BIN/$f" ]] || { echo "lint-manifests: $BIN/$f missing; run hack/cluster-tools.sh (make cluster-tools)" >&2; exit 2; }
done

if (($# > 0)); then
  files=("$@")
else
  shopt -s nullglob
  files=("$ROOT"/testdata/golden/*.yaml)
  shopt -u nullglob
fi
((${#files[@]} > 0)) || { echo "lint-manifests: no manifests to lint" >&2; exit 1; }

# kubectl-validate asks a cluster from the kubeconfig for schemas first: give it none.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/kubeconfig"
export KUBECONFIG=$tmp/kubeconfig

rel() { printf '%s' "${1#"$ROOT"/}"; }

# report NAME RC OUTPUT OK_TEXT: one line for a tool's run; when it failed, its output
# indented, and status 1.
report() {
  if (($2 != 0)); then
    echo "$1: FAILED (exit $2)"
    while IFS= read -r line; do echo "    $line"; done <<<"$3"
    return 1
  fi
  echo "$1: $4"
}

# --- kube-score ---------------------------------------------------------------------------
ignore_args=()
ignore_file=$ROOT/hack/kube-score-ignore.txt
if [[ -f "$ignore_file" ]]; then
  while read -r id _; do
    [[ -z "$id" || "$id" == \#* ]] && continue
    ignore_args+=(--ignore-test "$id")
  done < "$ignore_file"
fi
echo "== kube-score ($(( ${#ignore_args[@]} / 2 )) checks ignored, from hack/kube-score-ignore.txt)"
total_critical=0
total_warning=0
for f in "${files[@]}"; do
  # exit status 1 just means CRITICAL findings; anything else is a failure to run.
  set +e
  out=$("$BIN/kube-score" score --output-format ci --kubernetes-version v1.34 "${ignore_args[@]}" "$f" 2>&1)
  rc=$?
  set -e
  if ((rc > 1)); then
    echo "lint-manifests: kube-score failed on $(rel "$f") (exit $rc):" >&2
    echo "$out" >&2
    exit 1
  fi
  critical=$(grep -c '^\[CRITICAL\]' <<<"$out" || true)
  warning=$(grep -c '^\[WARNING\]' <<<"$out" || true)
  printf 'kube-score: %-60s CRITICAL %3d  WARNING %3d\n' "$(rel "$f")" "$critical" "$warning"
  if [[ "${KUBE_SCORE_VERBOSE:-}" == 1 ]] || { [[ "${KUBE_SCORE_GATE:-}" == 1 ]] && ((critical > 0)); }; then
    grep -E '^\[(CRITICAL|WARNING)\]' <<<"$out" | sed 's/^/    /' || true
  fi
  total_critical=$((total_critical + critical))
  total_warning=$((total_warning + warning))
done
echo "kube-score: ${#files[@]} files, CRITICAL $total_critical, WARNING $total_warning"

# --- kubectl-validate ---------------------------------------------------------------------
failed=0
validate() {
  local label=$1; shift
  set +e
  out=$("$BIN/kubectl-validate" "$@" "${files[@]}" 2>&1)
  rc=$?
  set -e
  # strip the colour codes of its human output (a regex: sed, not ${//})
  # shellcheck disable=SC2001
  out=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$out")
  report "kubectl-validate ($label)" "$rc" "$out" "OK, ${#files[@]} files" || failed=1
}
echo "== kubectl-validate v0.0.4"
# Local 1.34 schemas come first for every group-version they hold; --version only names the
# built-in set consulted for anything missing from them (none of the core kinds).
# bin/crds holds the CRDs of the third-party kinds rendered (ServiceMonitor, PrometheusRule).
validate "1.34, local schemas" --local-schemas "$BIN/openapi-schemas-1.34" --local-crds "$BIN/crds" --version 1.30
validate "1.30, built-in" --local-crds "$BIN/crds" --version 1.30
validate "1.29, built-in" --local-crds "$BIN/crds" --version 1.29

# --- trivy config -------------------------------------------------------------------------
echo "== trivy config v0.74.0 ($(grep -c '^KSV-' "$ROOT/hack/trivy-ignore.txt") checks ignored, from hack/trivy-ignore.txt)"
# trivy scans a directory: copies of the files, under their own names where they do not clash.
mkdir -p "$tmp/trivy"
for i in "${!files[@]}"; do
  name=$(basename "${files[$i]}")
  [[ -e "$tmp/trivy/$name" ]] && name="$i-$name"
  cp "${files[$i]}" "$tmp/trivy/$name"
done
set +e
out=$("$BIN/trivy" config --skip-check-update --quiet --cache-dir "$tmp/trivy-cache" \
  --ignorefile "$ROOT/hack/trivy-ignore.txt" --exit-code 1 "$tmp/trivy" 2>&1)
rc=$?
set -e
trivy_failed=0
report "trivy config" "$rc" "$out" "OK, ${#files[@]} files, no finding but the ignored checks" || trivy_failed=1

if ((failed)); then
  echo "lint-manifests: kubectl-validate reported errors" >&2
  exit 1
fi
if ((trivy_failed)); then
  echo "lint-manifests: trivy config reported findings" >&2
  exit 1
fi
if [[ "${KUBE_SCORE_GATE:-}" == 1 ]] && ((total_critical > 0)); then
  echo "lint-manifests: kube-score reported $total_critical CRITICAL findings (KUBE_SCORE_GATE=1)" >&2
  exit 1
fi
