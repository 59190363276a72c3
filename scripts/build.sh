#!/usr/bin/env bash
# `npm run build`: the single `edgeprobe` binary for every Linux target, built OFFLINE.
#
# `bun build --compile` appends our bundle to a copy of a Bun runtime executable. For a foreign
# target Bun would download that executable; we hand it one from npm instead
# (--compile-executable-path), so the build needs no network once the base binaries are cached:
#   linux-x64       @oven/bun-linux-x64 (npm devDependency; bun's postinstall may move its
#                   binary into node_modules/bun/bin, which is the same file)
#   linux-arm64     @oven/bun-linux-aarch64   } npm refuses to install these on an x64 glibc
#   linux-x64-musl  @oven/bun-linux-x64-musl  } box (os/cpu/libc), so `npm pack` + tar into
#                                               .cache/bun-base/, once per Bun version
# Writes dist/edgeprobe-linux-x64, dist/edgeprobe-linux-x64-musl, dist/edgeprobe-linux-arm64 and
# dist/edgeprobe (a copy of the one for this machine).
#
# Usage: scripts/build.sh [TARGET ...]   (default: all three; TARGET is linux-x64, linux-arm64
#                                         or linux-x64-musl)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bun=$root/node_modules/.bin/bun
if [ ! -x "$bun" ]; then
  echo "build: node_modules/.bin/bun is missing; run npm ci (scripts/setup.sh) first" >&2
  exit 1
fi
# The base executable must be the very Bun that bundles (the bundle's format is per version).
version=$(node -p 'require("./node_modules/bun/package.json").version')
cache=$root/.cache/bun-base
mkdir -p "$cache" dist

# npm package name for a target.
pkg_of() {
  case $1 in
    linux-x64) echo "@oven/bun-linux-x64" ;;
    linux-arm64) echo "@oven/bun-linux-aarch64" ;;
    linux-x64-musl) echo "@oven/bun-linux-x64-musl" ;;
    *) echo "build: unknown target $1 (linux-x64, linux-arm64, linux-x64-musl)" >&2; return 1 ;;
  esac
}

# Prints the path of the base executable for a target, fetching it into the cache if needed.
base_of() {
  local target=$1 pkg dir tgz
  pkg=$(pkg_of "$target")
  if [ "$target" = linux-x64 ]; then
    # bun's postinstall renames the @oven/bun-linux-x64 executable to node_modules/bun/bin/bun.exe
    # (its "optimizeBun"), so look in both places; accept only an x86-64 ELF (e_machine 0x3e).
    for c in node_modules/@oven/bun-linux-x64/bin/bun node_modules/bun/bin/bun.exe; do
      if [ -f "$c" ] && [ "$(od -An -tx1 -j0 -N4 "$c" | tr -d ' ')" = 7f454c46 ] &&
        [ "$(od -An -tx1 -j18 -N1 "$c" | tr -d ' ')" = 3e ]; then
        echo "$root/$c"
        return
      fi
    done
  fi
  dir=$cache/${pkg#@oven/}-$version
  if [ ! -x "$dir/package/bin/bun" ]; then
    echo "build: fetching $pkg@$version into $dir (npm pack)" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack --silent "$pkg@$version" 2>/dev/null | tail -1)
    tar xzf "$dir/$tgz" -C "$dir"
    rm -f "$dir/$tgz"
    chmod +x "$dir/package/bin/bun"
  fi
  echo "$dir/package/bin/bun"
}

# Bun's own name for a target (bun build --target=bun-...).
bun_target_of() {
  case $1 in
    linux-x64) echo "bun-linux-x64" ;;
    linux-arm64) echo "bun-linux-arm64" ;;
    linux-x64-musl) echo "bun-linux-x64-musl" ;;
  esac
}

host_target() {
  local arch libc=""
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "build: no target for this machine ($(uname -m))" >&2; return 1 ;;
  esac
  if ldd --version 2>&1 | grep -qi musl; then libc=-musl; fi
  echo "linux-$arch$libc"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 linux-x64-musl linux-arm64)
host=$(host_target)

for t in "${targets[@]}"; do
  base=$(base_of "$t")
  out=dist/edgeprobe-$t
  start=$(date +%s%N)
  # --define makes `edgeprobe version` name the target (cli/version.ts).
  # --minify shrinks the bundle; --bytecode stores JSC bytecode so the ~230 bundled modules are
  # not parsed at every start (measured: the agent reaches "listening" in ~25 ms instead of
  # ~85 ms, docs/benchmarks.md); bytecode needs --format=esm for our top-level await (the
  # default with --bytecode is cjs). --sourcemap keeps stack traces readable.
  # --no-compile-autoload-*: a binary on a box must not pick up a stray .env or bunfig.toml
  # from its working directory.
  # --compile-jit-policy: JavaScriptCore's tier-up thresholds ×10,000, so start-up code and the
  # agent's light steady work stay in the interpreter instead of being compiled by the JIT tiers
  # (their compiled code, profiles and compiler memory were ~20 MiB of the agent's RSS). Measured
  # with 200 probes, both with the trim after start (runtime/trim_memory.ts): idle VmRSS 58.6 MiB
  # at policy 1, 48.6 at 100, 45.6 at 10,000; the probes' CPU share unchanged at 10-12 % of a
  # core (their cost is in native socket code); docs/binary.md.
  # collector/sqlite/read_worker.ts is the collector's read thread (a Worker): a second
  # entrypoint, so the executable carries it (Bun's docs, bundler/executables "Worker").
  "$bun" build cli/main.ts collector/sqlite/read_worker.ts --compile \
    --target="$(bun_target_of "$t")" \
    --compile-executable-path="$base" \
    --define "EDGEPROBE_TARGET=\"$t\"" \
    --minify --bytecode --format=esm --sourcemap=inline \
    --compile-jit-policy=10000 \
    --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
    --outfile "$out" >/dev/null
  # The source map is embedded in the executable; the side file bun also writes is not needed.
  rm -f "$out.map"
  ms=$((($(date +%s%N) - start) / 1000000))
  size=$(du -m "$out" | cut -f1)
  echo "build: $out ($t, ${size} MB, ${ms} ms, base $base)"
done

if [ -f "dist/edgeprobe-$host" ]; then
  cp "dist/edgeprobe-$host" dist/edgeprobe
  echo "build: dist/edgeprobe = dist/edgeprobe-$host (this machine)"
fi
