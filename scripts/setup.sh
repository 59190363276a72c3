#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian machine:
# npm packages (bun, deno, libraries) and the real protocol peers from Debian (.ci/apt.d/*.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=$(cat .ci/apt.d/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' ' ')
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "setup: apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
