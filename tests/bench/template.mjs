// Benchmark: render generated 1 000- and 2 000-machine cluster templates in Node (wasm,
// template-only build). Prints the median of repeated runs; never asserts.
import { renderTemplate, validateTemplate } from "../../pkg/templates/node.js";

function template(n) {
  const id = (i) => `0c8f1a4e-1111-4a5b-9c3d-${String(i).padStart(12, "0")}`;
  const cp = [0, 1, 2].map(id);
  const workers = Array.from({ length: n - 3 }, (_, i) => id(i + 3));
  const machines = [...cp, ...workers].map((m, i) => `---
kind: Machine
name: ${m}
labels:
  rack: r${i % 16}
patches:
  - name: hostname
    inline:
      machine:
        network:
          hostname: node-${i}
`).join("");
  return `kind: Cluster
name: bench
kubernetes:
  version: v1.32.0
talos:
  version: v1.9.1
patches:
  - name: cluster-wide
    inline:
      machine:
        network:
          kubespan:
            enabled: true
---
kind: ControlPlane
machines:
${cp.map((m) => `  - ${m}`).join("\n")}
---
kind: Workers
name: workers
machines:
${workers.map((m) => `  - ${m}`).join("\n")}
${machines}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results = {};
for (const n of [1000, 2000]) {
  const text = template(n);
  if (validateTemplate(text, {}).length) throw new Error("generated template is invalid");
  renderTemplate(text, {}); // warm-up
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    renderTemplate(text, {});
    times.push(performance.now() - t0);
  }
  results[n] = median(times);
  console.log(`render ${n} machines: ${results[n].toFixed(1)} ms (validate + render + print; median of 15)`);
}
console.log(`ratio 2000/1000: ${(results[2000] / results[1000]).toFixed(2)} (linear = 2.0; goal <= 20 ms for 1000)`);
