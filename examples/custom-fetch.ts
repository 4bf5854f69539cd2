// Bring your own fetch: a Worker reaching Omni through a service binding, a Node script whose
// requests go through a dispatcher of your choice or a wrapper that logs and tags every request,
// and a test double. The service-binding path also runs in workerd in `make test`
// (tests/workerd/worker.mjs, route /binding); the end of this file runs the rest in Node.
//
//   OMNI_ENDPOINT=https://… OMNI_SERVICE_ACCOUNT_KEY=… npx tsx examples/custom-fetch.ts
import { OmniClient, OmniError } from "omni-wasm";

/** The part of a Worker's `env` this example uses (a service binding named OMNI). */
interface Env {
  OMNI: { fetch(url: string, init: RequestInit): Promise<Response> };
  OMNI_SERVICE_ACCOUNT_KEY: string;
}

/** A Worker: the binding decides where Omni is; the endpoint only names it. */
const worker = {
  async fetch(_req: Request, env: Env): Promise<Response> {
    const omni = await OmniClient.connect({
      endpoint: "https://omni.internal",
      serviceAccountKey: env.OMNI_SERVICE_ACCOUNT_KEY,
      // keep the binding as `this`: `fetch: env.OMNI.fetch` alone would lose it
      fetch: (url, init) => env.OMNI.fetch(url, init),
    });
    const clusters = await omni.list("clusters");
    return Response.json(clusters.map((c) => c.metadata.id));
  },
};
export default worker;

/**
 * Node: every request through your own fetch, e.g. with an undici `Agent` as dispatcher (a
 * proxy, a private CA) — `dispatcher` is Node's extension of `RequestInit`.
 */
export async function connectThrough(endpoint: string, serviceAccountKey: string, dispatcher: unknown): Promise<OmniClient> {
  return OmniClient.connect({
    endpoint,
    serviceAccountKey,
    fetch: (url, init) => fetch(url, { ...init, dispatcher } as RequestInit),
  });
}

/**
 * Tests: a double that answers every call as Omni's gateway does while it is down for
 * maintenance (HTTP 503 with a `google.rpc.Status`), recording what was asked. Calls fail with
 * an `OmniError` whose code is `UNAVAILABLE`.
 */
export async function maintenanceDouble(serviceAccountKey: string): Promise<{ omni: OmniClient; asked: string[] }> {
  const asked: string[] = [];
  const omni = await OmniClient.connect({
    endpoint: "https://omni.test",
    serviceAccountKey,
    retries: 0,
    fetch: async (url) => {
      asked.push(url);
      return Response.json({ code: 14, message: "down for maintenance" }, { status: 503 });
    },
  });
  return { omni, asked };
}

/**
 * Every request logged and tagged with a request id (for a proxy's or Omni's access log): a
 * wrapper around the global fetch.
 */
export async function connectLogged(endpoint: string, serviceAccountKey: string, log: (line: string) => void): Promise<OmniClient> {
  let n = 0;
  return OmniClient.connect({
    endpoint,
    serviceAccountKey,
    fetch: async (url, init) => {
      const id = `req-${++n}`;
      const headers = new Headers(init.headers);
      headers.set("x-request-id", id);
      const started = Date.now();
      const res = await fetch(url, { ...init, headers });
      log(`${id} ${init.method ?? "GET"} ${new URL(url).pathname} → ${res.status} (${Date.now() - started} ms)`);
      return res;
    },
  });
}

// ---- run it in Node -----------------------------------------------------------------------------
function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}
const endpoint = env("OMNI_ENDPOINT");
const key = env("OMNI_SERVICE_ACCOUNT_KEY");

// 1. the wrapper: every call goes through it
const lines: string[] = [];
const logged = await connectLogged(endpoint, key, (l) => lines.push(l));
const clusters = await logged.list("clusters");
console.log(lines.join("\n"));
check(lines.length > 0 && lines.every((l) => / → 200 /.test(l)), "every request went through the wrapper");

// 2. the Worker above, with a stand-in for its service binding that forwards to OMNI_ENDPOINT
const binding = { fetch: (url: string, init: RequestInit) => fetch(url.replace("https://omni.internal", endpoint), init) };
const res = await worker.fetch(new Request("https://worker.example/"), { OMNI: binding, OMNI_SERVICE_ACCOUNT_KEY: key });
const ids = (await res.json()) as string[];
console.log(`the Worker answered: ${ids.join(", ")}`);
check(ids.length === clusters.length, "the Worker lists the same clusters through its binding");

// 3. the test double: Omni "down for maintenance", and what the client asked
const { omni: down, asked } = await maintenanceDouble(key);
try {
  await down.list("clusters");
  throw new Error("the double answered");
} catch (e) {
  check(e instanceof OmniError && e.code === "UNAVAILABLE", `UNAVAILABLE from the double: ${e}`);
  console.log(`against the double: ${e.message}; asked ${asked.length} URL(s): ${asked[0]}`);
}
check(asked.length > 0 && asked.every((u) => u.startsWith("https://omni.test/")), "the double saw the requests");
console.log("ok");
