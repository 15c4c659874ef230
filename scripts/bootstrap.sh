#!/usr/bin/env bash
# First-use install, run before every npm script: Debian packages, node_modules and the CLI's bundles, only
# what is missing or damaged. Quiet and fast when everything is there: the common path forks only
# dpkg-query, sha256sum, cksum and find (dpkg-query is half of its 18 ms). An argument adds what only that
# script needs: `test` the second decoders and the browser the tests check results with, `bench` tcpdump
# (tests too).
#
# Exit codes are the numbers of scripts/vocabulary/exit-codes.ts, which bash cannot import;
# test/integration/bootstrap.test.ts checks that each one here is the table's number for its name.
EXIT_BUG=1 EXIT_USAGE=2 EXIT_MISSING_TOOL=4 EXIT_OUTPUT=9 EXIT_OFFLINE=10 EXIT_CORRUPT_CACHE=11
set -euo pipefail
shopt -s nullglob
case $0 in */*) cd "${0%/*}/.." ;; *) cd .. ;; esac

PACKAGES=(clang llvm libbpf-dev bpftool ncat iproute2)
case "${1:-}" in
  test) PACKAGES+=(tshark chromium tcpdump) ;;
  bench) PACKAGES+=(tcpdump) ;;
  '') ;;
  *) echo "bootstrap: unknown purpose '$1' (expected test or bench)" >&2; exit $EXIT_USAGE ;;
esac

# apt-get and npm say a host could not be reached in these words (and these error codes).
APT_UNREACHABLE='Could not connect|Could not resolve|Temporary failure resolving|Failed to fetch|Connection timed out|Connection failed|Network is unreachable|No route to host|Unable to connect'
NPM_UNREACHABLE='ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|network (request|timeout)|request to .* failed'

# apt's warnings and errors, to stderr; the rest of what apt and dpkg say is progress.
apt_errors() {
  local line
  while IFS= read -r line; do
    case $line in E:* | W:* | Err:*) printf '%s\n' "$line" >&2 ;; esac
  done <<<"$1"
}

# --- Debian packages -------------------------------------------------------------------------------------
installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' "${PACKAGES[@]}" 2>/dev/null || true) "
missing=()
for p in "${PACKAGES[@]}"; do
  [[ $installed == *" $p:installed "* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  by_hand="apt-get update && apt-get install --no-install-recommends ${missing[*]}"
  if ((EUID != 0)); then
    echo "bootstrap: missing Debian packages: ${missing[*]} — run as root once so they can be installed" >&2
    echo "bootstrap: (as root: $by_hand)" >&2
    exit $EXIT_MISSING_TOOL
  fi
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update exits 0 when it could not fetch the package lists (it warns and keeps the old ones), so
  # its words decide. The install is tried anyway: an unreachable third-party source does not stop it.
  update_log=$(apt-get update -qq 2>&1) || true
  apt_errors "$update_log"
  if ! install_log=$(apt-get install -y -qq --no-install-recommends "${missing[@]}" 2>&1); then
    apt_errors "$install_log"
    if grep -qE "$APT_UNREACHABLE" <<<"$install_log" ||
      { grep -qE "$APT_UNREACHABLE" <<<"$update_log" && grep -qE 'Unable to locate package|has no installation candidate' <<<"$install_log"; }; then
      echo "bootstrap: cannot reach Debian's archive for the packages ${missing[*]} (apt's words above) — check the network," \
        "the proxy (Acquire::http::Proxy in /etc/apt/apt.conf.d/, or http_proxy) and the apt sources (/etc/apt/sources.list," \
        "/etc/apt/sources.list.d/), then run again; or install them by hand: $by_hand" >&2
      exit $EXIT_OFFLINE
    fi
    echo "bootstrap: apt-get could not install: ${missing[*]} (apt's words above) — check the apt sources, then run again" >&2
    exit $EXIT_MISSING_TOOL
  fi
fi

# --- node_modules ----------------------------------------------------------------------------------------
# node_modules matches package-lock.json when the stamp holds the lock file's hash. The stamp goes before
# npm ci starts and comes back only when it succeeded: a node_modules npm left half-filled never passes. (It
# is written in place: a stamp cut short cannot equal the hash, so it can only cause another npm ci.)
stamp=node_modules/.bootstrap-lock-hash
want=$(sha256sum package-lock.json) want=${want%% *}
have=
if [ -f "$stamp" ]; then read -r have <"$stamp" || true; fi
if [ "$have" != "$want" ]; then
  if ! command -v npm >/dev/null; then
    echo "bootstrap: npm is not installed — install Node.js 20 or newer with npm, then run again" >&2
    exit $EXIT_MISSING_TOOL
  fi
  echo "bootstrap: installing npm packages (npm ci)"
  rm -f "$stamp"
  if ! npm_log=$(npm ci --no-audit --no-fund --loglevel=error 2>&1 >/dev/null); then
    # npm's words, without the stack and the error object's fields it prints after them.
    grep -vE "^npm error +(at |[a-z]+: .*|\}$)" <<<"$npm_log" >&2 || true
    if grep -qE "$NPM_UNREACHABLE" <<<"$npm_log"; then
      url=$(sed -nE 's/.*request to ([^ ]+) failed.*/\1/p' <<<"$npm_log" | head -n1)
      code=$(sed -nE 's/^npm error code (E[A-Z_]+).*/\1/p' <<<"$npm_log" | head -n1)
      direct=$(node -p "const p = require('./package.json'); Object.keys({ ...p.dependencies, ...p.devDependencies }).join(', ')" 2>/dev/null || echo '…')
      echo "bootstrap: cannot reach the npm registry: npm ci could not fetch ${url:-a package} (${code:-unreachable}), so the npm packages" \
        "of package-lock.json ($direct and their dependencies) are not installed — check the network and npm's proxy and" \
        "registry (npm config get proxy https-proxy registry), then run again, or install them by hand: npm ci" >&2
      exit $EXIT_OFFLINE
    fi
    echo "bootstrap: npm ci failed (npm's words above) — fix what it says, then run again" >&2
    exit $EXIT_MISSING_TOOL
  fi
  echo "$want" >"$stamp"
fi

# --- bundles ---------------------------------------------------------------------------------------------
# The CLI and what it starts (every servers/*.ts is a server; scripts/send-sctp.ts sends traffic) as esbuild
# bundles: node starts one in ~0.15 s where tsx spends ~0.5 s compiling and resolving modules. Rebuilt when
# one is not what the stamp says, and when a source or the lock file is newer than the stamp.

# A bootstrap killed while bundling leaves its staging folder build/js.<pid>.tmp (build/js.<pid> before
# stamps): removed once that pid is gone.
for dir in build/js.*; do
  pid=${dir#build/js.} pid=${pid%.tmp}
  if [[ $pid =~ ^[0-9]+$ ]] && [ ! -e "/proc/$pid" ]; then rm -rf "$dir"; fi
done

# build/js/.stamp, written after a successful bundle, is what `cksum` said of each bundle then (CRC, size,
# path), and "end <count>" (a stamp cut short is not taken for a shorter list). So a truncated, corrupted or
# missing bundle is seen even when it is newer than its sources, where node would stop with a SyntaxError.
# The CRC reads every byte for 0.2 ms of the 1.5 ms cksum costs; sha256sum would spend 2.5 ms on the
# 780 kB, and size and mtime alone would miss a block the disk lost.
bundle_stamp=build/js/.stamp
bundles=() built=() expect='' stamp_ok=0
if [ -f "$bundle_stamp" ]; then
  while read -r crc size path; do
    if [ "$crc" = end ]; then
      if [ "$size" = "${#bundles[@]}" ]; then stamp_ok=1; fi
      break
    fi
    if [[ -z $path || ! $size =~ ^[0-9]+$ ]]; then break; fi
    bundles+=("$path") built+=("$crc $size $path") expect+="$crc $size $path"$'\n'
  done <"$bundle_stamp"
fi
damaged=()
if ((stamp_ok)); then
  if [ "$(cksum "${bundles[@]}" 2>/dev/null)" != "${expect%$'\n'}" ]; then
    for i in "${!bundles[@]}"; do
      path=${bundles[i]} expected=${built[i]#* } expected=${expected%% *}
      if [ ! -e "$path" ]; then
        damaged+=("$path was missing")
        continue
      fi
      now=$(cksum "$path")
      [ "$now" = "${built[i]}" ] && continue
      size=${now#* } size=${size%% *}
      if ((size < expected)); then
        why="truncated: $size of $expected bytes"
      elif ((size > expected)); then
        why="$size bytes where $expected were built"
      else
        why="same size, other content"
      fi
      damaged+=("$path was damaged ($why)")
    done
  fi
elif [ -f "$bundle_stamp" ]; then
  damaged+=("$bundle_stamp was damaged (cut short or garbled)")
fi

# A rebuild that cannot happen: exit 11 when it was to replace a damaged bundle (the cache stays broken),
# otherwise with `code`; `message` says why, `fix` what to do.
cannot_bundle() {
  local code=$1 message=$2 fix=$3
  if ((${#damaged[@]})); then
    local all
    all=$(printf '%s; ' "${damaged[@]}")
    printf 'bootstrap: %s, and cannot be rebuilt: %s — %s\n' "${all%; }" "$message" "$fix" >&2
    exit $EXIT_CORRUPT_CACHE
  fi
  echo "bootstrap: $message — $fix" >&2
  exit "$code"
}

if ((${#damaged[@]})) || ((!stamp_ok)) || [ package-lock.json -nt "$bundle_stamp" ] ||
  [ -n "$(find scripts servers experiments -name '*.ts' -newer "$bundle_stamp" -print -quit)" ]; then
  staging=build/js.$$.tmp
  trap 'rm -rf "$staging"' EXIT
  if ! mkdir -p "$staging"; then
    cannot_bundle $EXIT_OUTPUT "cannot write into build/ (the error above)" \
      "run this once as the user who owns build/ (root, if a root run made it), or make build/ writable"
  fi
  if [ ! -x node_modules/.bin/esbuild ]; then
    cannot_bundle $EXIT_MISSING_TOOL "esbuild is not installed (node_modules/.bin/esbuild)" \
      "delete $stamp so that the next run reinstalls node_modules (npm ci), then run again"
  fi
  # npm packages are bundled too (loading them as ES modules was half the start-up), but not koffi's native
  # addon; CommonJS packages inside the ES module bundle need a require().
  require_shim="import { createRequire as __edlCreateRequire } from 'node:module'; const require = __edlCreateRequire(import.meta.url);"
  if ! node_modules/.bin/esbuild scripts/cli.ts scripts/send-sctp.ts servers/*.ts --bundle --platform=node --format=esm \
    --target=node20 --external:koffi --banner:js="$require_shim" --outbase=. --outdir="$staging" --out-extension:.js=.mjs \
    --log-level=warning; then
    cannot_bundle $EXIT_BUG "bundling the CLI with esbuild failed (its errors above)" \
      "fix the sources it names; if it names none, delete $stamp so that npm ci reinstalls esbuild, then run again"
  fi
  mapfile -t outputs < <(cd "$staging" && find . -type f -printf '%P\n' | sort)
  {
    (cd "$staging" && cksum "${outputs[@]}") | while read -r crc size path; do echo "$crc $size build/js/$path"; done
    echo "end ${#outputs[@]}"
  } >"$staging/.stamp"
  # File by file: rename(2) replaces each at once, so a run starting meanwhile never reads half a bundle. The
  # stamp comes last: a bootstrap killed before it finds the old stamp (or none) and bundles again.
  for f in "${outputs[@]}" .stamp; do
    case $f in */*) dir=build/js/${f%/*} ;; *) dir=build/js ;; esac
    mkdir -p "$dir" && mv -f "$staging/$f" "build/js/$f" ||
      cannot_bundle $EXIT_OUTPUT "cannot write into build/js/ (the error above)" "make build/js/ writable (or free some space), then run again"
  done
  for line in "${damaged[@]}"; do echo "bootstrap: $line: rebuilt"; done
fi
