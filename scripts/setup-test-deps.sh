#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, and nothing when it is
# already there: iproute2 (network-namespace lab of the multicast tests) and
# the kube-apiserver + etcd binaries of the Kubernetes strategy's tests
# (built from Go modules, cached in $MESHD_K8S_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ip >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing iproute2" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
  else
    echo "setup: 'ip' (iproute2) is missing; the namespace lab tests will skip" >&2
  fi
fi

start=$(date +%s)
scripts/k8s-testenv.sh >/dev/null
echo "setup: kube-apiserver and etcd ready in ${MESHD_K8S_BIN:-/var/cache/meshd-k8s/bin} ($(( $(date +%s) - start ))s)" >&2
