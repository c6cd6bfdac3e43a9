# meshd: `make test` is the one test command (README.md, .ci/run).
# It installs what the tests need (the kube-apiserver and etcd binaries for
# the Kubernetes strategy's tests, cached outside the repository, iproute2
# for the multicast lab and dnsmasq-base for the DNS strategies' tests),
# then runs every test with the race detector.
#
# `make test-quick` installs nothing and needs no root: every test without
# the race detector and with -short (which skips the longest scale tests),
# the Kubernetes API server and dnsmasq tests skipped when their binaries
# are absent.

GO ?= go
export MESHD_K8S_BIN ?= /var/cache/meshd-k8s/bin
# setup builds the binaries, so their absence is a failure, not a skip.
export MESHD_K8S_REQUIRED ?= 1
# Likewise dnsmasq, which setup installs (Debian's dnsmasq-base).
export MESHD_DNSMASQ_REQUIRED ?= 1

.PHONY: test test-quick setup demo build bench fuzz

test: setup
	$(GO) test -race -timeout 30m ./...

test-quick:
	env -u MESHD_K8S_REQUIRED -u MESHD_DNSMASQ_REQUIRED $(GO) test -short ./...

setup:
	@scripts/setup-test-deps.sh

demo:
	$(GO) run ./cmd/meshd demo

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/meshd ./cmd/meshd

bench:
	$(GO) run ./bench

# Runs every fuzz target for FUZZTIME each (default 1m).
FUZZTIME ?= 1m
fuzz:
	@scripts/fuzz-all.sh $(FUZZTIME)
