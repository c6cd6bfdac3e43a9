#!/usr/bin/env bash
# k8s-testenv.sh builds the kube-apiserver and etcd binaries that the
# Kubernetes strategy's integration tests (mesh/strategy/kubernetes) run on
# loopback. The binaries are built from Go modules in a scratch module outside
# the repository and cached, so a second run costs nothing.
#
# Usage:
#   scripts/k8s-testenv.sh            build when missing, print the bin dir
#   scripts/k8s-testenv.sh --check    exit 0 when both binaries exist, 1 otherwise
#   scripts/k8s-testenv.sh --force    rebuild even when cached
#
# Environment:
#   MESHD_K8S_BIN      where the binaries live (default /var/cache/meshd-k8s/bin);
#                      the tests read the same variable.
#   MESHD_K8S_WORK     scratch directory for the build modules
#                      (default: a temporary directory, removed afterwards).
#   KUBE_VERSION       kube-apiserver version (default v1.37.2)
#   ETCD_VERSION       etcd version (default v3.6.16)
#
# Needs only Go and the Go module proxy. Cold build: about 1 minute for etcd
# and 5 to 6 minutes for kube-apiserver on 2 cores (peak about 2.4 GB RAM).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
BIN="${MESHD_K8S_BIN:-/var/cache/meshd-k8s/bin}"

force=0
case "${1:-}" in
  --check)
    [[ -x "$BIN/kube-apiserver" && -x "$BIN/etcd" ]] && exit 0 || exit 1 ;;
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--check|--force]" >&2; exit 2 ;;
esac

# Staging modules of k8s.io/kubernetes are published as v0.X.Y; the
# kubernetes module itself requires them at v0.0.0 with replace directives,
# so every one must be replaced by its published version. sample-cli-plugin
# and sample-controller are left out: the proxy refuses them and the
# apiserver does not need them.
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers
  controller-manager cri-api cri-client cri-streaming csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver streaming)

log() { printf 'k8s-testenv: %s\n' "$*" >&2; }

mkdir -p "$BIN"
if [[ -n "${MESHD_K8S_WORK:-}" ]]; then
  WORK="$MESHD_K8S_WORK"; mkdir -p "$WORK"
else
  WORK="$(mktemp -d /tmp/meshd-k8s-build.XXXXXX)"
  trap 'rm -rf "$WORK"' EXIT
fi
# The scratch modules must not see the meshd module or a go.work above them.
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0

build_etcd() {
  if [[ $force -eq 0 && -x "$BIN/etcd" ]]; then log "etcd cached in $BIN"; return; fi
  local start=$SECONDS dir="$WORK/etcd"
  log "building etcd $ETCD_VERSION"
  mkdir -p "$dir"; cd "$dir"
  [[ -f go.mod ]] || go mod init meshd.local/k8s-testenv/etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  # The module root of etcd/server is package main; `go install pkg@version`
  # refuses it because of its replace directives, so build it from here.
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  log "etcd built in $((SECONDS - start))s"
}

build_apiserver() {
  if [[ $force -eq 0 && -x "$BIN/kube-apiserver" ]]; then log "kube-apiserver cached in $BIN"; return; fi
  local start=$SECONDS dir="$WORK/apiserver" staging="v0.${KUBE_VERSION#v1.}"
  log "building kube-apiserver $KUBE_VERSION (staging $staging)"
  mkdir -p "$dir"; cd "$dir"
  {
    echo "module meshd.local/k8s-testenv/apiserver"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    for m in "${STAGING[@]}"; do echo "	k8s.io/$m => k8s.io/$m $staging"; done
    echo ")"
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

// Package tools pins kube-apiserver so that `go mod tidy` keeps its deps.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy
  # Without the version stamps the server reports v0.0.0 and kubectl and
  # clients cannot parse its version.
  local major="${KUBE_VERSION#v}"; major="${major%%.*}"
  local minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
  go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
    -X k8s.io/component-base/version.gitMajor=$major \
    -X k8s.io/component-base/version.gitMinor=$minor" \
    -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
  log "kube-apiserver built in $((SECONDS - start))s"
}

# Two runs at once (CI and a developer, two test jobs) build once: the
# second waits for the first and then finds the binaries cached.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$BIN/.build.lock"
  flock 9
fi

total=$SECONDS
build_etcd
build_apiserver
# A binary that does not run (wrong architecture, truncated copy) must fail
# here, not as a confusing test failure later.
"$BIN/etcd" --version >/dev/null
"$BIN/kube-apiserver" --version >/dev/null
log "binaries ready in $BIN ($((SECONDS - total))s)"
echo "$BIN"
