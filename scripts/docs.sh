#!/usr/bin/env bash
# The API reference, built with every warning an error (`make docs`):
#   Rust        rustdoc of omni-wasm: the native build (default features) at target/doc, copied
#               to target/docs/rust; the wasm32 build (adds the JS-facing `wasm` module) at
#               target/docs/rust-wasm32; the `templates` and `browser` builds are checked too.
#   TypeScript  TypeDoc of the shipped declarations pkg/index.d.ts, pkg/lite/index.d.ts,
#               pkg/templates/index.d.ts (and what they import) at target/docs/ts.
# Needs the npm package in pkg/ (`make pkg`); it does not build it. Installs TypeDoc (npm,
# tests/js) and the wasm32 rust target when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tests/js/node_modules/.bin:$HOME/.cargo/bin:$PATH"

entries=(pkg/index.d.ts pkg/lite/index.d.ts pkg/templates/index.d.ts)
for f in "${entries[@]}"; do
  if [ ! -s "$f" ]; then
    echo "docs: $f is missing: the reference documents the built npm package; run \`make pkg\` first" >&2
    exit 1
  fi
done

# the hand-written declarations are copied into pkg/ as they are: a difference means pkg/ is
# older than the sources, and the reference would document what is no longer there
# (the client's declarations as scripts/pkg.sh writes them: the full build drops the
# `full-only` markers, the lite build the blocks between them)
stale=0
expected() { # pkg file, template file (as scripts/pkg.sh makes it: each build's module name)
  case "$1" in
    pkg/index.d.ts) sed '/full-only:\(begin\|end\)/d' "$2" ;;
    pkg/lite/index.d.ts) sed -e '/full-only:begin/,/full-only:end/d' -e 's|\./omni_wasm\.js|./omni_wasm_lite.js|g' "$2" ;;
    pkg/templates/index.d.ts) sed 's|\./omni_wasm\.js|./omni_wasm_templates.js|g' "$2" ;;
    *) cat "$2" ;;
  esac
}
for pair in pkg/index.d.ts:glue/client.d.ts pkg/lite/index.d.ts:glue/client.d.ts \
            pkg/templates/index.d.ts:glue/templates.d.ts pkg/node.d.ts:entries/node.d.ts \
            pkg/browser.d.ts:entries/browser.d.ts pkg/workerd.d.ts:entries/workerd.d.ts; do
  if ! expected "${pair%%:*}" "pkg-template/${pair#*:}" | cmp -s "${pair%%:*}" -; then
    echo "docs: ${pair%%:*} differs from pkg-template/${pair#*:}: pkg/ is older than the sources; run \`make pkg\` first" >&2
    stale=1
  fi
done
[ "$stale" = 0 ] || exit 1

if [ ! -x tests/js/node_modules/.bin/typedoc ] || [ tests/js/package.json -nt tests/js/node_modules/.stamp ]; then
  echo "docs: npm install (tests/js) for TypeDoc"
  (cd tests/js && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "docs: adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

t0=$SECONDS
stage() { echo "docs: $1 ($((SECONDS - t0)) s so far)"; }

# rustdoc: broken or private intra-doc links, missing docs (#![warn(missing_docs)]) and every
# other rustdoc lint fail the build. The checked-only builds come first: they write the same
# target/doc/omni_wasm that the default build then leaves behind.
export RUSTDOCFLAGS="-D warnings"
stage "rustdoc, --no-default-features --features templates (check)"
cargo doc -q --no-deps -p omni-wasm --no-default-features --features templates
stage "rustdoc, --no-default-features --features browser (check)"
cargo doc -q --no-deps -p omni-wasm --no-default-features --features browser
stage "rustdoc, wasm32-unknown-unknown, default features"
cargo doc -q --no-deps -p omni-wasm --target wasm32-unknown-unknown
stage "rustdoc, native, default features"
cargo doc -q --no-deps -p omni-wasm
unset RUSTDOCFLAGS
mkdir -p target/docs
rm -rf target/docs/rust target/docs/rust-wasm32
cp -r target/doc target/docs/rust
cp -r target/wasm32-unknown-unknown/doc target/docs/rust-wasm32

# TypeDoc over the declarations as shipped, type-checked like a consumer's build
# (strict, no skipLibCheck); warnings (broken links, referenced but unexported types, …) fail.
stage "TypeDoc"
cat > target/docs/tsconfig.typedoc.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "lib": ["ESNext", "DOM"],
    "types": []
  },
  "files": ["../../pkg/index.d.ts", "../../pkg/lite/index.d.ts", "../../pkg/templates/index.d.ts"]
}
EOF
rm -rf target/docs/ts
typedoc --logLevel Warn --treatWarningsAsErrors --treatValidationWarningsAsErrors \
  --tsconfig target/docs/tsconfig.typedoc.json --name omni-wasm --readme none --disableSources \
  --out target/docs/ts "${entries[@]}"

stage "done"
echo "docs: Rust       target/docs/rust/omni_wasm/index.html (wasm32 build: target/docs/rust-wasm32/omni_wasm/index.html)"
echo "docs: TypeScript target/docs/ts/index.html (modules: index = omni-wasm, lite = omni-wasm/lite, templates = omni-wasm/templates)"
