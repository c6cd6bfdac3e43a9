#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for the given time each
# (default 1m), then copies the corpus the fuzzer grew (kept by Go in its
# cache) into each package's testdata/fuzz/<Target>/, which is committed as
# the seed corpus that every plain `go test` run replays.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-1m}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $f ($t)"
    go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$t"
    cache="$(go env GOCACHE)/fuzz/$pkg/$f"
    if [ -d "$cache" ]; then
      mkdir -p "$dir/testdata/fuzz/$f"
      cp -n "$cache"/* "$dir/testdata/fuzz/$f/" 2>/dev/null || true
    fi
  done
done
