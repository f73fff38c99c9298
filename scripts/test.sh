#!/usr/bin/env bash
# Ember's test command: installs what the checks need on a fresh machine,
# then runs gofmt, go vet, staticcheck and the race-enabled test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH)/bin"
go mod download
if ! command -v staticcheck >/dev/null 2>&1; then
  go install honnef.co/go/tools/cmd/staticcheck@v0.7.0
fi
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
staticcheck ./...
# The kernels again without assembly, and on arm64 under emulation (NEON paths).
go test -tags purego ./accel/cpu/
if ! command -v qemu-aarch64-static >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static) >/dev/null 2>&1 || true
fi
if command -v qemu-aarch64-static >/dev/null 2>&1; then
  GOARCH=arm64 go test -exec qemu-aarch64-static ./accel/cpu/
else
  echo "qemu-aarch64-static unavailable: arm64 kernel tests skipped" >&2
fi
# The whole suite, race detector on (last, so its summary closes the log).
go test -race -timeout 15m ./...
