// Benchmark: render generated 1 000- and 2 000-machine cluster templates in Node (wasm,
// template-only build). Prints the median of repeated runs; never asserts.
import { renderTemplate, validateTemplate } from "../../pkg/templates/node.js";

// Same shape as examples/template_bench.rs: 3 control planes, workers in 4 machine sets, a
// Machine document (install disk + a patch) for every tenth machine. `patchEvery = 1` gives
// every machine its own patch (the heavy variant).
function template(n, patchEvery = 10) {
  const id = (i) => `${i.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
  let t = "kind: Cluster\nname: bench\nkubernetes:\n  version: v1.30.1\ntalos:\n  version: v1.7.4\n" +
    "patches:\n  - name: cluster-wide\n    inline:\n      machine:\n        network:\n          kubespan:\n            enabled: true\n" +
    "---\nkind: ControlPlane\nmachines:\n";
  for (let i = 0; i < 3; i++) t += `  - ${id(i)}\n`;
  const sets = 4;
  for (let s = 0; s < sets; s++) {
    t += "---\nkind: Workers\n" + (s > 0 ? `name: pool-${s}\n` : "") + "machines:\n";
    for (let i = 3; i < n; i++) if (i % sets === s) t += `  - ${id(i)}\n`;
  }
  for (let i = 0; i < n; i += patchEvery) {
    t += `---\nkind: Machine\nname: ${id(i)}\ninstall:\n  disk: /dev/vda\npatches:\n  - name: address\n    inline:\n      machine:\n        network:\n          hostname: node-${i}\n`;
  }
  return t;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const [label, every] of [["typical (a patch on every 10th machine)", 10], ["heavy (a patch on every machine)", 1]]) {
  const results = {};
  for (const n of [1000, 2000]) {
    const text = template(n, every);
    if (validateTemplate(text, {}).length) throw new Error("generated template is invalid");
    renderTemplate(text, {}); // warm-up
    const times = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      renderTemplate(text, {});
      times.push(performance.now() - t0);
    }
    results[n] = median(times);
  }
  console.log(`render ${label}: 1000 machines ${results[1000].toFixed(1)} ms, 2000 machines ${results[2000].toFixed(1)} ms, ratio ${(results[2000] / results[1000]).toFixed(2)} (linear = 2.0; goal <= 20 ms for 1000)`);
}
