#!/usr/bin/env bash
# Line coverage (`make coverage`; not part of `make test`):
#   Rust  src/ of omni-wasm, from the native test suite (its unit and integration tests, the
#         tests of `cargo test --workspace` that exercise the crate), with cargo-llvm-cov
#         (rustc's -C instrument-coverage + the llvm-tools rustup component). Lines of
#         #[cfg(test)] modules are left out: they are the tests, not the code under test.
#         wasm-only code (src/wasm/ and the modules behind #[cfg(target_arch = "wasm32")])
#         cannot run natively; the totals are given with and without it (its executable lines
#         estimated, counted as not covered).
#   JS    the glue (pkg-template/glue/*.js as shipped in pkg/) from the Node suites
#         (tests/js/*.test.mjs against omni-sim), with c8.
# Prints a per-file table and totals for each; reports in target/coverage/ (rust.lcov,
# rust-html/, js/). Installs what it needs: the llvm-tools component, cargo-llvm-cov, c8 (npm,
# tests/js), GnuPG (the interop tests need it). Needs the npm package in pkg/ (`make pkg`).
# Exit status: non-zero when a test failed (the figures are printed all the same).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tests/js/node_modules/.bin:$HOME/.cargo/bin:$PATH"
LLVM_COV_VERSION=0.9.1
out=target/coverage
t0=$SECONDS
stage() { echo "coverage: $1 ($((SECONDS - t0)) s so far)"; }

if [ ! -s pkg/index.js ] || [ ! -s pkg/lite/index.js ] || [ ! -s pkg/templates/index.js ]; then
  echo "coverage: pkg/ is missing: the JS figures are of the built npm package; run \`make pkg\` first" >&2
  exit 1
fi

# --- tools -----------------------------------------------------------------------------------
if ! rustup component list --installed | grep -q '^llvm-tools'; then
  echo "coverage: adding rustup component llvm-tools"
  rustup component add llvm-tools
fi
if [ "$(cargo llvm-cov --version 2>/dev/null | awk '{print $2}')" != "$LLVM_COV_VERSION" ]; then
  echo "coverage: installing cargo-llvm-cov $LLVM_COV_VERSION (~1.5 min)"
  cargo install cargo-llvm-cov --version "$LLVM_COV_VERSION" --locked
fi
if [ ! -x tests/js/node_modules/.bin/c8 ] || [ tests/js/package.json -nt tests/js/node_modules/.stamp ]; then
  echo "coverage: npm install (tests/js) for c8"
  (cd tests/js && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
fi
if ! command -v gpg >/dev/null; then
  echo "coverage: installing gnupg from apt (tests/gpg_interop.rs)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null
fi
mkdir -p "$out"
status=0

# --- Rust ------------------------------------------------------------------------------------
# its own target dir (target/llvm-cov-target): instrumented builds do not disturb the others
stage "native tests of omni-wasm, instrumented"
if ! cargo llvm-cov --no-report --no-fail-fast -p omni-wasm; then
  echo "coverage: some native tests FAILED; the figures below are of the tests that ran" >&2
  status=1
fi
cargo llvm-cov report -p omni-wasm --lcov --output-path "$out/rust.lcov" >/dev/null
cargo llvm-cov report -p omni-wasm --html --output-dir "$out/rust-html" >/dev/null

stage "Rust line coverage of src/"
node --input-type=module - "$out/rust.lcov" <<'EOF'
// Per-file table from the lcov, without #[cfg(test)] modules, plus totals with and without
// the wasm-only code (which the native build does not compile).
import fs from "node:fs";
import path from "node:path";

const root = path.resolve("src");
const lcov = fs.readFileSync(process.argv[2], "utf8");
const files = new Map(); // rel path -> Map(line -> hits)
let cur = null;
for (const l of lcov.split("\n")) {
  if (l.startsWith("SF:")) {
    const rel = path.relative(root, l.slice(3));
    cur = rel.startsWith("..") ? null : new Map();
    if (cur) files.set(rel, cur);
  } else if (cur && l.startsWith("DA:")) {
    const [n, hits] = l.slice(3).split(",").map(Number);
    cur.set(n, Math.max(cur.get(n) ?? 0, hits));
  }
}

const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith(".rs") ? [path.join(d, e.name)] : []);
const all = walk(root).map((f) => path.relative(root, f)).sort();

// A module's own directory: lib.rs/mod.rs → their folder, foo.rs → foo/.
const modDir = (rel) => /(^|\/)(lib|mod)\.rs$/.test(rel) ? path.dirname(rel) : rel.slice(0, -3);
const modFiles = (rel, name) => [path.join(modDir(rel), `${name}.rs`), path.join(modDir(rel), name, "mod.rs")];
const wasmOnly = new Set(); // module roots (files) compiled only for wasm32
const testOnly = new Set();
const testLines = new Map(); // rel -> Set(line numbers of #[cfg(test)] modules)
for (const rel of all) {
  const lines = fs.readFileSync(path.join(root, rel), "utf8").split("\n");
  const skip = new Set();
  for (let i = 0; i < lines.length; i++) {
    const cfg = lines[i].match(/^\s*#\[cfg\((test|target_arch = "wasm32")\)\]\s*$/);
    if (!cfg) continue;
    let j = i + 1;
    while (j < lines.length && /^\s*(#\[|\/\/)/.test(lines[j])) j++;
    const m = lines[j]?.match(/^(\s*)(?:pub(?:\([a-z]+\))? )?mod (\w+)\s*(;|\{)\s*$/);
    if (!m) continue;
    if (m[3] === ";") {
      const [a, b] = modFiles(rel, m[2]);
      const target = all.includes(a) ? a : b;
      (cfg[1] === "test" ? testOnly : wasmOnly).add(target);
    } else if (cfg[1] === "test") {
      let k = j + 1;
      while (k < lines.length && lines[k] !== `${m[1]}}`) k++;
      for (let n = i + 1; n <= k + 1; n++) skip.add(n);
    }
  }
  testLines.set(rel, skip);
}
// a module's descendants share its cfg
const under = (rel, set) => [...set].some((r) => r === rel || rel.startsWith(modDir(r) + "/"));
const isTest = (rel) => under(rel, testOnly);
const isWasm = (rel) => under(rel, wasmOnly);

// non-blank, non-comment lines outside test modules (to estimate what llvm would count)
const codeLines = (rel) => fs.readFileSync(path.join(root, rel), "utf8").split("\n")
  .filter((l, i) => !testLines.get(rel).has(i + 1) && l.trim() !== "" && !/^\s*\/\//.test(l)).length;

const rows = [];
let measured = 0, covered = 0, nbnc = 0;
for (const [rel, lines] of [...files].sort()) {
  if (isTest(rel)) continue;
  let n = 0, c = 0;
  for (const [line, hits] of lines) {
    if (testLines.get(rel)?.has(line)) continue;
    n++;
    if (hits > 0) c++;
  }
  if (n === 0) continue;
  rows.push({ rel, n, c });
  measured += n;
  covered += c;
  nbnc += codeLines(rel);
}
const ratio = measured / nbnc;
let wasmEst = 0, wasmDirEst = 0;
const wasmRows = [];
for (const rel of all) {
  if (!isWasm(rel) || isTest(rel)) continue;
  const est = Math.round(codeLines(rel) * ratio);
  wasmRows.push({ rel, est });
  wasmEst += est;
  if (rel.startsWith("wasm/")) wasmDirEst += est;
}

const pct = (c, n) => (n ? (100 * c) / n : 100).toFixed(1).padStart(5) + " %";
const w = Math.max(...rows.map((r) => r.rel.length), 30);
console.log(`${"src/ file (native build)".padEnd(w)}  lines  missed   cover`);
for (const r of rows) console.log(`${r.rel.padEnd(w)} ${String(r.n).padStart(6)} ${String(r.n - r.c).padStart(7)} ${pct(r.c, r.n)}`);
console.log("-".repeat(w + 24));
console.log(`${"TOTAL natively compiled src/".padEnd(w)} ${String(measured).padStart(6)} ${String(measured - covered).padStart(7)} ${pct(covered, measured)}`);
console.log("");
console.log(`wasm-only files (not compiled natively; ~executable lines estimated as ${ratio.toFixed(2)} x their code lines):`);
for (const r of wasmRows) console.log(`  ${r.rel.padEnd(w)} ~${r.est}`);
const lowest = [...rows].sort((a, b) => a.c / a.n - b.c / b.n || b.n - a.n).slice(0, 10);
console.log("");
console.log("lowest ten: " + lowest.map((r) => `${r.rel} ${pct(r.c, r.n).trim()}`).join(", "));
console.log("");
console.log(`Rust line coverage, natively compiled src/ (what the native tests can reach): ${pct(covered, measured).trim()} (${covered}/${measured})`);
console.log(`Rust line coverage, src/ without src/wasm/ (other wasm-only modules counted uncovered): ${pct(covered, measured + wasmEst - wasmDirEst).trim()} (${covered}/~${measured + wasmEst - wasmDirEst})`);
console.log(`Rust line coverage, all of src/ (all wasm-only code counted uncovered): ${pct(covered, measured + wasmEst).trim()} (${covered}/~${measured + wasmEst})`);
EOF

# --- JS --------------------------------------------------------------------------------------
stage "Node suites (tests/js) against omni-sim, with c8"
cargo build -q -p omni-sim --bin omni-sim
rm -rf "$out/js"
glue=(pkg/index.js pkg/lite/index.js pkg/templates/index.js pkg/node-tls.js pkg/lite/node-tls.js)
include=()
for f in "${glue[@]}"; do [ -f "$f" ] && include+=(--include "$f"); done
if ! scripts/with-sim.sh c8 --all "${include[@]}" \
    --reporter=text --reporter=json --reporter=json-summary --reports-dir "$out/js" \
    --temp-directory "$out/js/tmp" \
    node --test --test-timeout=300000 --test-reporter=dot tests/js/ >"$out/js-tests.log" 2>&1; then
  echo "coverage: some Node tests FAILED (log: $out/js-tests.log)" >&2
  status=1
fi
# c8's own table (the tail of the log, after the test runner's output): per shipped file
sed -n '/^-\{5,\}|/,$p' "$out/js-tests.log"
# per glue source: a line of pkg-template/glue/client.js counts as covered when either shipped
# copy of it (pkg/index.js, pkg/lite/index.js) ran it
node - "$out/js/coverage-final.json" <<'EOF'
const fs = require("node:fs");
const path = require("node:path");
const cov = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const byRel = new Map(Object.entries(cov).map(([f, c]) => [path.relative(process.cwd(), f), c]));
const sources = {
  "pkg-template/glue/client.js": ["pkg/index.js", "pkg/lite/index.js"],
  "pkg-template/glue/templates.js": ["pkg/templates/index.js"],
  "pkg-template/glue/node-tls.js": ["pkg/node-tls.js", "pkg/lite/node-tls.js"],
};
let total = 0, hit = 0;
console.log("glue source (shipped copies merged)        lines  missed   cover");
for (const [src, copies] of Object.entries(sources)) {
  const lines = new Map();
  for (const c of copies.map((f) => byRel.get(f)).filter(Boolean)) {
    for (const [id, loc] of Object.entries(c.statementMap)) {
      const l = loc.start.line;
      lines.set(l, (lines.get(l) ?? false) || c.s[id] > 0);
    }
  }
  const n = lines.size, h = [...lines.values()].filter(Boolean).length;
  total += n; hit += h;
  console.log(`${src.padEnd(42)} ${String(n).padStart(6)} ${String(n - h).padStart(7)} ${(n ? 100 * h / n : 100).toFixed(1).padStart(5)} %`);
}
console.log(`JS glue line coverage (pkg-template/glue/*.js, shipped copies merged): ${(100 * hit / total).toFixed(1)} % (${hit}/${total})`);
EOF

stage "done"
echo "coverage: reports in $out/ (rust.lcov, rust-html/index.html, js/coverage-final.json)"
exit "$status"
