#!/usr/bin/env bash
# Builds the npm package into pkg/ from pkg-template/.
#
#   scripts/pkg.sh            full package: root entry = full build, plus the
#                             `omni-wasm/lite` (no OpenPGP) and `omni-wasm/templates` subpaths
#   PKG_FAST=1 scripts/pkg.sh  skip wasm-opt (development)
#
# Each flavour is linked as a cdylib on its own (`cargo rustc --crate-type cdylib`) so
# that the release profile's LTO really applies (it is skipped for cdylib+rlib crates).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/tests/js/node_modules/.bin:$PATH"   # npm binaryen's wasm-opt, never Debian's

version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
rm -rf pkg.new && mkdir -p pkg.new

# The wasm-bindgen module of each flavour has a name of its own (omni_wasm, omni_wasm_lite,
# omni_wasm_templates): a bundle that takes in two flavours (a Worker bundled by esbuild with
# `.wasm` left as modules, the client's lazily imported template engine) must not end up with two
# different `./omni_wasm_bg.wasm` imports that a runtime resolves to one module.
module_name() {
  case $1 in lite) echo omni_wasm_lite ;; templates) echo omni_wasm_templates ;; *) echo omni_wasm ;; esac
}

build_flavour() { # flavour features outdir
  local flavour=$1 features=$2 out=$3
  local name
  name=$(module_name "$flavour")
  echo "pkg: building $flavour (features: $features)"
  cargo rustc -p omni-wasm --lib --crate-type cdylib --release \
    --target wasm32-unknown-unknown --no-default-features --features "$features" -q
  mkdir -p "$out"
  wasm-bindgen target/wasm32-unknown-unknown/release/omni_wasm.wasm \
    --target web --out-dir "$out" --out-name "$name"
  # the generated classes declare `[Symbol.dispose]`: make its lib part of the declarations, so
  # that projects whose `lib` stops at es2022 type-check without skipLibCheck
  sed -i '1i /// <reference lib="esnext.disposable" />' "$out/$name.d.ts"
  # with names, before wasm-opt: what `make size` analyses with twiggy
  mkdir -p target/size && cp "$out/${name}_bg.wasm" "target/size/$flavour.wasm"
  if [ -z "${PKG_FAST:-}" ]; then
    wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals \
      "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  fi
  if [ "$flavour" = cli ]; then
    # the Rust command line: only the wasm-bindgen module, loaded by cli-host.js (no public types)
    rm -f "$out"/*.d.ts
    return
  fi
  # entries: the same for every flavour; the glue differs
  cp pkg-template/entries/*.js pkg-template/entries/*.d.ts "$out/"
  if [ "$flavour" = templates ]; then
    cp pkg-template/glue/templates.js "$out/index.js"
    cp pkg-template/glue/templates.d.ts "$out/index.d.ts"
  else
    cp pkg-template/glue/client.js "$out/index.js"
    cp pkg-template/glue/client.d.ts "$out/index.d.ts"
    # methods the lite build does not have (OpenPGP) are not declared there
    if [ "$flavour" = lite ]; then
      sed -i '/full-only:begin/,/full-only:end/d' "$out/index.d.ts"
    else
      sed -i '/full-only:\(begin\|end\)/d' "$out/index.d.ts"
    fi
    # the client's template engine is the templates flavour, loaded on the first template call
    # from the same runtime entry (a static specifier per entry, so that bundlers split it off)
    local rel=./templates/
    [ "$flavour" = lite ] && rel=../templates/
    for entry in node browser workerd; do
      printf '\n// The template engine (omni-wasm/templates), loaded on the first template call.\nimport { setTemplateEngineLoader, setReady } from "./index.js";\nsetReady(ready);\nsetTemplateEngineLoader(() => import("%s%s.js").then(async (m) => { await m.ready; return m; }));\n' \
        "$rel" "$entry" >> "$out/$entry.js"
    done
    # Node can turn TLS verification off (insecureSkipTlsVerify); browsers and Workers cannot
    cp pkg-template/glue/node-tls.js "$out/node-tls.js"
    printf '\n// insecureSkipTlsVerify (Node only).\nimport { setInsecureTlsFetch } from "./index.js";\nimport { insecureTlsFetch } from "./node-tls.js";\nsetInsecureTlsFetch(insecureTlsFetch);\n' >> "$out/node.js"
  fi
  # the entries and glue name the full build's module; point this flavour's at its own
  if [ "$name" != omni_wasm ]; then
    sed -i -e "s|\./omni_wasm_bg\.wasm|./${name}_bg.wasm|g" -e "s|\./omni_wasm\.js|./${name}.js|g" \
      "$out"/node.js "$out"/browser.js "$out"/workerd.js "$out"/index.js "$out"/*.d.ts
  fi
}

flavours=${PKG_FLAVOURS:-full lite templates cli}   # development: PKG_FLAVOURS=full keeps the others
for f in $flavours; do
  case $f in
    full) build_flavour full full pkg.new ;;
    lite) build_flavour lite browser pkg.new/lite ;;
    templates) build_flavour templates templates pkg.new/templates ;;
    cli) build_flavour cli cli pkg.new/cli ;;
  esac
done
# keep flavours not rebuilt this time (PKG_FLAVOURS) from the previous package
for sub in lite templates cli; do
  if [ ! -d "pkg.new/$sub" ] && [ -d "pkg/$sub" ]; then cp -r "pkg/$sub" "pkg.new/$sub"; fi
done
if [ ! -f pkg.new/omni_wasm_bg.wasm ] && [ -f pkg/omni_wasm_bg.wasm ]; then
  for f in pkg/*; do [ -d "$f" ] || cp "$f" pkg.new/; done
fi
rm -rf pkg && mv pkg.new pkg

# TypeScript types of every spec message, generated from proto/ (same for full and lite)
echo "pkg: generating specs.d.ts"
cargo run -q --example gen_ts > pkg/specs.d.ts
[ -d pkg/lite ] && cp pkg/specs.d.ts pkg/lite/specs.d.ts

cp pkg-template/cli.js pkg-template/cli-host.js pkg/ && chmod +x pkg/cli.js
cp README.md LICENSE pkg/  # the npm page is the project README (one copy, never stale)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" pkg-template/package.json > pkg/package.json

scripts/size-report.sh pkg pkg/lite pkg/templates
