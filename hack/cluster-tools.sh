#!/usr/bin/env bash
# Builds the binaries that test/cluster and hack/lint-manifests.sh use into bin/ at the repo root
# (git-ignored), from the pinned modules under tools/:
#   tools/                   k8s.io/kubernetes v1.34.4: kube-apiserver, kube-controller-manager,
#                            kube-scheduler, kubectl
#   tools/etcd/              go.etcd.io/etcd/server/v3 v3.6.16: etcd
#   tools/kwok/              sigs.k8s.io/kwok v0.8.0: kwok
#   tools/kube-score/        github.com/zegl/kube-score v1.20.0: kube-score
#   tools/kubectl-validate/  sigs.k8s.io/kubectl-validate v0.0.4: kubectl-validate
#   tools/trivy/             github.com/aquasecurity/trivy v0.74.0: trivy (for trivy config; it
#                            builds only with GOEXPERIMENT=jsonv2)
#   tools/promtool/          github.com/prometheus/prometheus v0.315.1 (Prometheus 3.15.1): promtool,
#                            which checks and unit-tests the rendered alerting rules
#   tools/crds/              controller-gen v0.23.0 and prometheus-operator's API types v0.95.1:
#                            bin/crds/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml
#   cert-manager v1.21.2     its module's deploy/crds/: bin/crds/cert-manager.io_{certificates,
#                            issuers,clusterissuers}.yaml
# and copies data files out of the module cache:
#   bin/kwok-stage/          kwok's kustomize/stage tree; bin/kwok-stage-fast.yaml is its "fast" set
#   bin/openapi-spec/v3/     Kubernetes 1.34 OpenAPI v3 documents as shipped (api__v1_openapi.json, ...)
#   bin/openapi-schemas-1.34/ the same laid out for kubectl-validate --local-schemas (api/v1.json,
#                            apis/apps/v1.json, ...)
#
# A binary is rebuilt only when missing or when its module's go.mod/go.sum changed (stamp files
# bin/.stamp-NAME). FORCE=1 rebuilds everything. BIN=dir overrides the output directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
TOOLS=$ROOT/tools
K8S_VERSION=v1.34.4
mkdir -p "$BIN"
# bin/kwok-stage holds Go files of kwok's module (embed.go, stage_test.go): a go.mod of its own
# keeps `go test ./...` and `go vet ./...` at the repository root out of bin/.
printf 'module bin.invalid\n' > "$BIN/go.mod"
trap 'rm -rf "$BIN"/.build.* "$BIN/.crds-all"' EXIT
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

start_all=$(date +%s)
log() { printf '[cluster-tools] %s\n' "$*"; }

# stamp MODULE_DIR [LDFLAGS] -> hash of the module's go.mod and go.sum and the link flags
stamp() { { cat "$1/go.mod" "$1/go.sum"; printf '%s' "${2:-}"; } | sha256sum | cut -c1-16; }

# need NAME MODULE_DIR [LDFLAGS]: succeeds when bin/NAME must be (re)built
need() {
  local name=$1 dir=$2 ldflags=${3:-}
  [[ "${FORCE:-}" == 1 ]] && return 0
  [[ -e "$BIN/$name" ]] || return 0
  [[ -f "$BIN/.stamp-$name" && "$(cat "$BIN/.stamp-$name")" == "$(stamp "$dir" "$ldflags")" ]] || return 0
  return 1
}

# build MODULE_DIR LDFLAGS NAME=PACKAGE...
build() {
  local dir=$1 ldflags=$2; shift 2
  local names=() pkgs=() spec
  for spec in "$@"; do
    if need "${spec%%=*}" "$dir" "$ldflags"; then names+=("${spec%%=*}"); pkgs+=("${spec#*=}"); fi
  done
  if ((${#pkgs[@]} == 0)); then
    log "up to date: ${*%%=*}"
    return
  fi
  local t0
  t0=$(date +%s)
  log "building ${names[*]} (module ${dir#"$ROOT"/}) ..."
  # go build -o DIR/ names each binary after the last element of its package path.
  local tmp
  tmp=$(mktemp -d "$BIN/.build.XXXXXX")
  (cd "$dir" && go build -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  local i
  for i in "${!names[@]}"; do
    local out
    out=$(basename "${pkgs[$i]}")
    # a major-version suffix (.../server/v3) is dropped from the executable's name
    [[ "$out" =~ ^v[0-9]+$ ]] && out=$(basename "$(dirname "${pkgs[$i]}")")
    mv -f "$tmp/$out" "$BIN/${names[$i]}"
    stamp "$dir" "$ldflags" > "$BIN/.stamp-${names[$i]}"
  done
  rmdir "$tmp"
  log "built ${names[*]} in $(( $(date +%s) - t0 ))s"
}

K8S_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean"
build "$TOOLS" "$K8S_LDFLAGS" \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
  kubectl=k8s.io/kubernetes/cmd/kubectl
# etcd's main package is the root of the go.etcd.io/etcd/server/v3 module.
build "$TOOLS/etcd" "" etcd=go.etcd.io/etcd/server/v3
build "$TOOLS/kwok" "" kwok=sigs.k8s.io/kwok/cmd/kwok
build "$TOOLS/kube-score" "-X main.version=1.20.0" kube-score=github.com/zegl/kube-score/cmd/kube-score
build "$TOOLS/kubectl-validate" "" kubectl-validate=sigs.k8s.io/kubectl-validate
GOEXPERIMENT=jsonv2 build "$TOOLS/trivy" "" trivy=github.com/aquasecurity/trivy/cmd/trivy
build "$TOOLS/promtool" "-X github.com/prometheus/common/version.Version=3.15.1" \
  promtool=github.com/prometheus/prometheus/cmd/promtool

# CustomResourceDefinitions of the third-party kinds mysqlgen renders, generated by controller-gen
# from the pinned Go API types (tools/crds/go.mod): the test cluster installs them and
# kubectl-validate reads them with --local-crds.
crd_files=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)
crds_missing() { local f; for f in "${crd_files[@]}"; do [[ -f "$BIN/crds/$f" ]] || return 0; done; return 1; }
if need crds "$TOOLS/crds" || crds_missing; then
  t0=$(date +%s)
  rm -rf "$BIN/crds" "$BIN/.crds-all"
  mkdir -p "$BIN/crds"
  (cd "$TOOLS/crds" && go tool controller-gen crd:crdVersions=v1 \
    paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 \
    output:crd:dir="$BIN/.crds-all")
  for f in "${crd_files[@]}"; do cp "$BIN/.crds-all/$f" "$BIN/crds/"; done
  rm -rf "$BIN/.crds-all"
  stamp "$TOOLS/crds" > "$BIN/.stamp-crds"
  log "generated bin/crds/ (ServiceMonitor, PrometheusRule, prometheus-operator $(cd "$TOOLS/crds" && go list -m -f '{{.Version}}' github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring)) in $(( $(date +%s) - t0 ))s"
else
  log "up to date: crds"
fi

# cert-manager's CRDs (Certificate, Issuer, ClusterIssuer) as its module ships them in
# deploy/crds/ (controller-gen output, the source of its Helm chart's CRDs). The module is pinned
# by version and by its go.sum hash, so that a proxy or GOSUMDB=off cannot swap it.
CERT_MANAGER_VERSION=v1.21.2
CERT_MANAGER_SUM=h1:UWgoYM+KLNtRlqmoWOKjKBOBUPVHeepQ6/ac3ERJW68=
cm_crd_files=(cert-manager.io_certificates.yaml cert-manager.io_issuers.yaml cert-manager.io_clusterissuers.yaml)
cm_crds_fresh() {
  local f
  for f in "${cm_crd_files[@]}"; do [[ -f "$BIN/crds/$f" ]] || return 1; done
  [[ "${FORCE:-}" != 1 && "$(cat "$BIN/.stamp-crds-cert-manager" 2>/dev/null)" == "$CERT_MANAGER_SUM" ]]
}
if cm_crds_fresh; then
  log "up to date: cert-manager crds"
else
  cm_json=$(cd "$TOOLS/crds" && go mod download -json "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")
  cm_sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$cm_json")
  cm_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$cm_json")
  if [[ "$cm_sum" != "$CERT_MANAGER_SUM" ]]; then
    log "cert-manager $CERT_MANAGER_VERSION has hash $cm_sum, expected $CERT_MANAGER_SUM"; exit 1
  fi
  mkdir -p "$BIN/crds"
  for f in "${cm_crd_files[@]}"; do install -m 0644 "$cm_dir/deploy/crds/$f" "$BIN/crds/$f"; done
  printf '%s' "$CERT_MANAGER_SUM" > "$BIN/.stamp-crds-cert-manager"
  log "copied bin/crds/ (Certificate, Issuer, ClusterIssuer, cert-manager $CERT_MANAGER_VERSION)"
fi

# Data files from the module cache (go mod download prints the module's directory).
moddir() { (cd "$1" && go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'); }

kwok_dir=$(moddir "$TOOLS/kwok" sigs.k8s.io/kwok)
rm -rf "$BIN/kwok-stage"
cp -R "$kwok_dir/kustomize/stage" "$BIN/kwok-stage"
chmod -R u+w "$BIN/kwok-stage"
# kustomize/stage/fast is a kustomization of ../node/fast, ../node/heartbeat-with-lease and
# ../pod/fast; flatten it into one file kwok can read with --config.
"$BIN/kubectl" kustomize "$BIN/kwok-stage/fast" > "$BIN/kwok-stage-fast.yaml"
log "kwok stages: bin/kwok-stage-fast.yaml ($(grep -c '^kind: Stage' "$BIN/kwok-stage-fast.yaml") stages)"

k8s_dir=$(moddir "$TOOLS" k8s.io/kubernetes)
rm -rf "$BIN/openapi-spec"
mkdir -p "$BIN/openapi-spec"
cp -R "$k8s_dir/api/openapi-spec/v3" "$BIN/openapi-spec/v3"
chmod -R u+w "$BIN/openapi-spec"
# kubectl-validate --local-schemas wants api/<version>.json and apis/<group>/<version>.json;
# the module ships api__v1_openapi.json, apis__apps__v1_openapi.json, ...
rm -rf "$BIN/openapi-schemas-1.34"
n=0
for f in "$BIN"/openapi-spec/v3/api__*_openapi.json "$BIN"/openapi-spec/v3/apis__*__*_openapi.json; do
  rel=${f##*/}
  rel=${rel%_openapi.json}   # api__v1, apis__apps__v1
  rel=${rel//__//}           # api/v1, apis/apps/v1
  mkdir -p "$BIN/openapi-schemas-1.34/$(dirname "$rel")"
  cp "$f" "$BIN/openapi-schemas-1.34/$rel.json"
  n=$((n + 1))
done
log "OpenAPI v3 ($K8S_VERSION): bin/openapi-spec/v3 ($(find "$BIN/openapi-spec/v3" -name "*.json" | wc -l) files), bin/openapi-schemas-1.34 ($n group-versions, kubectl-validate layout)"

log "done in $(( $(date +%s) - start_all ))s; $(du -sh "$BIN" | cut -f1) in bin/"
