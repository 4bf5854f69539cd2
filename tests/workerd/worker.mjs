// A Cloudflare Worker built from the npm package: lists clusters (over the network or a service
// binding) and applies a config patch.
import { OmniClient, version } from "./pkg/workerd.js";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/binding") {
        // a service binding instead of the network: Omni's address is the binding's business
        const urls = [];
        const omni = await OmniClient.connect({
          endpoint: "https://omni.binding.invalid",
          serviceAccountKey: env.OMNI_SERVICE_ACCOUNT_KEY,
          transport: url.searchParams.get("transport") ?? "gateway",
          fetch: (u, init) => { urls.push(u); return env.OMNI.fetch(u, init); },
        });
        const clusters = (await omni.list("clusters")).map((c) => c.metadata.id).sort();
        return Response.json({ clusters, calls: urls.length, urls });
      }
      const omni = await OmniClient.connect({
        endpoint: env.OMNI_ENDPOINT,
        serviceAccountKey: env.OMNI_SERVICE_ACCOUNT_KEY,
        transport: url.searchParams.get("transport") ?? "gateway",
      });
      if (url.pathname === "/version") {
        return Response.json({ version: version() });
      }
      if (url.pathname === "/export") {
        // the template engine: its own build, imported on the first template call
        return new Response(await omni.templateExport(url.searchParams.get("cluster")));
      }
      if (url.pathname === "/clusters") {
        const clusters = await omni.list("clusters");
        return Response.json(clusters.map((c) => c.metadata.id).sort());
      }
      if (url.pathname === "/patch") {
        const cluster = url.searchParams.get("cluster");
        const id = `200-worker-${cluster}`;
        const [res] = await omni.apply({
          metadata: {
            type: "ConfigPatches.omni.sidero.dev",
            namespace: "default",
            id,
            labels: { "omni.sidero.dev/cluster": cluster },
            annotations: { name: "set by a Worker" },
          },
          spec: { data: "machine:\n  network:\n    hostname: from-worker\n" },
        });
        const back = await omni.get("configpatches", id);
        return Response.json({ action: res.action, data: back?.spec?.data ?? null });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ error: String(e?.message ?? e), code: e?.code }, { status: 500 });
    }
  },
};
