#!/usr/bin/env bash
# First-use install, run before every npm script: Debian packages and node_modules, only what is missing.
# Quiet and fast (a few ms) when everything is there. An argument adds what only that script needs:
# `test` the second decoders and the browser the tests check results with, `bench` tcpdump (tests too).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(clang llvm libbpf-dev bpftool ncat iproute2)
case "${1:-}" in
  test) PACKAGES+=(tshark chromium tcpdump) ;;
  bench) PACKAGES+=(tcpdump) ;;
  '') ;;
  *) echo "bootstrap: unknown purpose '$1' (expected test or bench)" >&2; exit 2 ;;
esac

missing_packages() {
  local installed p
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null | awk '$2 == "installed" { print $1 }' || true)
  for p in "${PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

missing=$(missing_packages | tr '\n' ' ' | sed 's/ $//')
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: missing Debian packages: $missing — run as root once so they can be installed" >&2
    echo "bootstrap: (apt-get update && apt-get install $missing)" >&2
    exit 4
  fi
  echo "bootstrap: installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
    echo "bootstrap: apt-get could not install: $missing — check the apt sources and the network, then run again" >&2
    exit 4
  fi
fi

# node_modules matches package-lock.json when the stamp holds the lock file's hash.
stamp=node_modules/.bootstrap-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing npm packages (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
    echo "bootstrap: npm ci failed — see the npm log above; is the npm registry reachable?" >&2
    exit 4
  fi
  echo "$want" > "$stamp"
fi

# The CLI and what it starts (every servers/*.ts is a server; scripts/send-sctp.ts sends traffic) as esbuild bundles: node starts one in ~0.15 s where
# tsx spends ~0.5 s compiling and resolving modules. Rebuilt when a source or the lock file is newer.
bundle=build/js/scripts/cli.mjs
if [ ! -e "$bundle" ] || [ package-lock.json -nt "$bundle" ] || [ -n "$(find scripts servers experiments -name '*.ts' -newer "$bundle" -print -quit)" ]; then
  staging=build/js.$$
  # npm packages are bundled too (loading them as ES modules was half the start-up), but not koffi's native
  # addon; CommonJS packages inside the ES module bundle need a require().
  require_shim="import { createRequire as __edlCreateRequire } from 'node:module'; const require = __edlCreateRequire(import.meta.url);"
  trap 'rm -rf "$staging"' EXIT
  if ! node_modules/.bin/esbuild scripts/cli.ts scripts/send-sctp.ts servers/*.ts --bundle --platform=node --format=esm \
      --target=node20 --external:koffi --banner:js="$require_shim" --outbase=. --outdir="$staging" --out-extension:.js=.mjs \
      --log-level=warning; then
    echo "bootstrap: bundling the CLI with esbuild failed — see the errors above" >&2
    exit 1
  fi
  # File by file: rename(2) replaces each at once, so a run starting meanwhile never reads half a bundle.
  (cd "$staging" && find . -type f) | while read -r f; do
    mkdir -p "build/js/$(dirname "$f")"
    mv -f "$staging/$f" "build/js/$f"
  done
fi
