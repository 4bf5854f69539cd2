// Bring your own fetch: a Worker reaching Omni through a service binding, a Node script whose
// requests go through a dispatcher of your choice, and a test double. Type-checked by
// `make test-types`; the service-binding path runs in workerd in `make test`
// (tests/workerd/worker.mjs, route /binding).
import { OmniClient } from "omni-wasm";

/** The part of a Worker's `env` this example uses (a service binding named OMNI). */
interface Env {
  OMNI: { fetch(url: string, init: RequestInit): Promise<Response> };
  OMNI_SERVICE_ACCOUNT_KEY: string;
}

/** A Worker: the binding decides where Omni is; the endpoint only names it. */
export default {
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
