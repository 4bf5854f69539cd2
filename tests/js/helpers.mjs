// Shared helpers for the package tests: where omni-sim is, and its test-only endpoints.
import assert from "node:assert/strict";

export const SIM = process.env.OMNI_SIM_URL;
if (!SIM) {
  throw new Error("OMNI_SIM_URL is not set: run through scripts/with-sim.sh (make test-js)");
}

async function simPost(path, body) {
  const r = await fetch(`${SIM}/_sim/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `/_sim/${path}: ${text}`);
  return JSON.parse(text);
}

/** A fresh service account on the simulator; resolves to its OMNI_SERVICE_ACCOUNT_KEY. */
export async function serviceAccount(name, role = "Admin") {
  const { key } = await simPost("service-account", { name, role });
  return key;
}

/** Change a resource as a controller would (finalizers, labels, spec, ...). */
export function mutate(m) {
  return simPost("resource", m);
}

/** Set the simulator's fault knobs (latency, stream cuts, UNAVAILABLE bursts, clock offset). */
export function faults(f) {
  return simPost("faults", f);
}

export function resetFaults() {
  return simPost("faults", {});
}

let counter = 0;
/** A unique lower-case id for this test run. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
