#!/usr/bin/env bash
# Installs what the build and the tests need, when it is missing. Idempotent.
#   scripts/setup.sh            rust target + wasm-bindgen CLI + npm packages
#   scripts/setup.sh --browser  also Chromium + ChromeDriver from apt
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must equal the wasm-bindgen crate version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  echo "setup: installing wasm-bindgen-cli $want (have: ${have:-none}); takes ~4 min"
  # no --locked: its lockfile pins a webpki-roots version the registry no longer serves
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ ! -x tests/js/node_modules/.bin/wasm-opt ] || [ tests/js/package.json -nt tests/js/node_modules/.stamp ]; then
  echo "setup: npm install (tests/js)"
  (cd tests/js && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
fi

if [ "${1:-}" = "--size" ] && ! command -v twiggy >/dev/null; then
  echo "setup: installing twiggy (size analysis); takes ~2 min"
  cargo install twiggy --version 0.8.0
fi

if [ "${1:-}" = "--browser" ]; then
  # GnuPG: the interop tests (tests/gpg_interop.rs) fail without it rather than pass unchecked
  if ! command -v gpg >/dev/null; then
    echo "setup: installing gnupg from apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "setup: installing chromium + chromium-driver from apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
