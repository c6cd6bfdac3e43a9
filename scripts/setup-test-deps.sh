#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, and nothing when it is
# already there (then it only checks, in well under a second, apart from the
# Kubernetes binaries' own check):
#   - iproute2: the network-namespace lab of the multicast tests;
#   - dnsmasq-base: the real DNS server of the dns and dnssrv strategies'
#     tests. Not Debian's `dnsmasq` package, which also installs and starts a
#     system service on port 53; the tests run their own dnsmasq on a free
#     high port of 127.0.0.1;
#   - the kube-apiserver + etcd binaries of the Kubernetes strategy's tests
#     (built from Go modules, cached in $MESHD_K8S_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."

# have CMD: CMD is installed, also where /usr/sbin is not on PATH.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

missing=()
have ip || missing+=(iproute2)
have dnsmasq || missing+=(dnsmasq-base)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]} (not root or no apt-get): install them, or the tests that need them fail under make test" >&2
  fi
fi

start=$(date +%s)
scripts/k8s-testenv.sh >/dev/null
echo "setup: kube-apiserver and etcd ready in ${MESHD_K8S_BIN:-/var/cache/meshd-k8s/bin} ($(( $(date +%s) - start ))s)" >&2
