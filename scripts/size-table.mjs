// Per-crate / per-module size table of a .wasm with names (before wasm-opt), from
// `twiggy top --format csv`: shallow bytes of every item, grouped by the crate (and, for this
// crate, the module) its symbol belongs to. Usage: node scripts/size-table.mjs FILE.wasm
import { execFileSync } from "node:child_process";

const file = process.argv[2];
const csv = execFileSync("twiggy", ["top", "-n", "1000000", "--format", "csv", file], { maxBuffer: 1 << 28 }).toString();
const rows = csv.trim().split("\n").slice(1);
const groups = new Map();
let total = 0;
// The crate a symbol belongs to: the first `a::b` path in it (trait impls `<T as a::X>` count
// for the implementing type's crate when it has one).
function group(name) {
  if (name.includes("\"function names\" subsection") || name.startsWith("custom section")) return "(names and custom sections: dropped by wasm-opt)";
  if (name.startsWith("data segment") || name.startsWith("data[")) return "(data: .rodata, .data — descriptor set, tables, strings)";
  if (name.startsWith("code[") || name.startsWith("elem[") || name.startsWith("type[") || name.startsWith("global[") || name.startsWith("table[") || name.startsWith("import ")) return "(wasm sections)";
  const m = /([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::([A-Za-z_][A-Za-z0-9_]*)/.exec(name.replace(/^<+/, ""));
  if (!m) return "(other)";
  if (m[1] === "omni_wasm") return `omni_wasm::${m[2]}`;
  return m[1];
}
for (const line of rows) {
  // Name,ShallowSize,ShallowSizePercent — the name may contain commas (quoted)
  const match = /^(?:"((?:[^"]|"")*)"|([^,]*)),(\d+),/.exec(line);
  if (!match) continue;
  const name = (match[1] ?? match[2]).replace(/""/g, "\"");
  const size = Number(match[3]);
  total += size;
  const g = group(name);
  groups.set(g, (groups.get(g) ?? 0) + size);
}
console.log(`${file}: ${total} bytes (shallow, with names, before wasm-opt)`);
for (const [g, size] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`  ${String(size).padStart(9)}  ${(100 * size / total).toFixed(1).padStart(5)}%  ${g}`);
}
