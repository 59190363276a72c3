#!/usr/bin/env bash
# `npm run bench:healthz`: /healthz of the compiled binary against nginx, HTTP/1.1 (wrk) and h2c
# (h2load), servers pinned to one core and the load to another. Not a test: it prints figures
# (docs/benchmarks.md) and writes them to bench/out/. Options go to bench/healthz_run.ts, e.g.
#   npm run bench:healthz -- --duration 20 --connections 64
# Needs the Debian packages nginx, wrk, nghttp2-client, util-linux (.ci/apt.d/binary.txt); with
# golang-go and golang-golang-x-net-dev it also builds and runs the Go yardstick (bench/go_health),
# with prometheus-blackbox-exporter it measures the CPU of a TCP probe side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH:/usr/sbin:/sbin"
for tool in nginx wrk h2load taskset pgrep; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nginx wrk nghttp2-client util-linux procps)" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: only one core; server and load share it, figures are not comparable" >&2
  server_core=0 load_core=0
else
  server_core=${BENCH_SERVER_CORE:-0} load_core=${BENCH_LOAD_CORE:-1}
fi
# Build the binary for this machine when it is missing or older than the sources.
if [ ! -x dist/edgeprobe ] || [ -n "$(find cli agent server probes runtime common -name '*.ts' -newer dist/edgeprobe 2>/dev/null | head -1)" ]; then
  bash scripts/build.sh "$(uname -m | sed 's/x86_64/linux-x64/; s/aarch64/linux-arm64/')" >&2
fi
# The Go health service, built offline from Debian's Go and x/net (GOPATH=/usr/share/gocode).
go_args=()
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/net/http2 ]; then
  mkdir -p bench/out
  if [ ! -x bench/out/go-health ] || [ bench/go_health/main.go -nt bench/out/go-health ]; then
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-$PWD/.cache/go-build}" go build -o bench/out/go-health bench/go_health/main.go >&2
  fi
  go_args=(--go bench/out/go-health)
else
  echo "bench: go or golang.org/x/net missing (apt-get install golang-go golang-golang-x-net-dev); the Go yardstick is skipped" >&2
fi
# The driver (and the probes' peers it runs) sits on the load core, away from the servers.
exec taskset -c "$load_core" bun bench/healthz_run.ts --server-core "$server_core" --load-core "$load_core" "${go_args[@]}" "$@"
