// A scheduled Cloudflare Worker that reports cluster health: on every cron trigger it reads each
// cluster's status tree (`omnictl cluster status`) with a read-only client and posts a summary
// to a webhook (Slack-compatible `text`, plus the details as JSON). `GET /` answers the same
// report on demand. A failed post fails the run, so the Workers dashboard shows it.
//
// wrangler.toml:
//   main = "examples/health-report-worker.ts"
//   compatibility_date = "2025-09-01"
//   [triggers]
//   crons = ["*/15 * * * *"]
//   [vars]
//   OMNI_ENDPOINT = "https://your-account.omni.siderolabs.io"
//   HEALTH_WEBHOOK_URL = "https://hooks.slack.com/services/…"
// and the key as a secret: `wrangler secret put OMNI_SERVICE_ACCOUNT_KEY` (a Reader account).
// Try it locally: `wrangler dev --test-scheduled`, then `curl localhost:8787/__scheduled`.
import { OmniClient } from "omni-wasm";

export interface Env {
  OMNI_ENDPOINT: string;
  OMNI_SERVICE_ACCOUNT_KEY: string;
  HEALTH_WEBHOOK_URL?: string;
}
// the parts of the Workers runtime types this file uses (@cloudflare/workers-types has them all)
interface ScheduledController { scheduledTime: number; cron: string }
interface ExecutionContext { waitUntil(promise: Promise<unknown>): void }

export interface ClusterHealth {
  cluster: string;
  healthy: boolean;
  kubernetes: string;
  talos: string;
  /** The first line of the status tree: phase, readiness, machines healthy/total. */
  summary: string;
  /** Lines of the tree that are not fine (not ready, upgrading, unreachable, …). */
  problems: string[];
}

export interface HealthReport {
  at: string;
  healthy: number;
  unhealthy: number;
  clusters: ClusterHealth[];
}

export async function healthReport(env: Env): Promise<HealthReport> {
  const omni = await OmniClient.connect({
    endpoint: env.OMNI_ENDPOINT,
    serviceAccountKey: env.OMNI_SERVICE_ACCOUNT_KEY,
    readOnly: true, // a report never writes
  });
  const clusters = await omni.list("clusters");
  const out: ClusterHealth[] = await Promise.all(clusters.map(async (c) => {
    const status = await omni.clusterStatus(c.metadata.id);
    const lines = status?.tree.trimEnd().split("\n") ?? [];
    return {
      cluster: c.metadata.id,
      healthy: status?.healthy ?? false,
      kubernetes: String(c.spec.kubernetes_version ?? ""),
      talos: String(c.spec.talos_version ?? ""),
      summary: lines[0] ?? "no status yet",
      problems: lines.slice(1).filter((l) => /Not Ready|Unreachable|Upgrading|Failed|INSTALLING|BOOTING|Outdated/.test(l)).map((l) => l.replace(/^[│├└─\s]+/, "")),
    };
  }));
  out.sort((a, b) => Number(a.healthy) - Number(b.healthy) || a.cluster.localeCompare(b.cluster));
  const healthy = out.filter((c) => c.healthy).length;
  return { at: new Date().toISOString(), healthy, unhealthy: out.length - healthy, clusters: out };
}

export function asText(r: HealthReport): string {
  const head = r.unhealthy ? `:warning: ${r.unhealthy} of ${r.clusters.length} clusters need attention` : `:white_check_mark: all ${r.clusters.length} clusters healthy`;
  const lines = r.clusters.map((c) => `${c.healthy ? "•" : "✗"} *${c.cluster}* (Kubernetes ${c.kubernetes}, Talos ${c.talos}): ${c.summary}${c.problems.length ? `\n    ${c.problems.join("\n    ")}` : ""}`);
  return [head, ...lines].join("\n");
}

async function post(env: Env, cron: string): Promise<void> {
  const report = await healthReport(env);
  console.log(`cron ${cron}: ${report.healthy} healthy, ${report.unhealthy} unhealthy`);
  if (!env.HEALTH_WEBHOOK_URL) return;
  const res = await fetch(env.HEALTH_WEBHOOK_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: asText(report), report }),
  });
  if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}: ${await res.text()}`);
}

export default {
  async scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
    await post(env, controller.cron); // a rejection marks this run as failed
  },
  async fetch(_request: Request, env: Env): Promise<Response> {
    return Response.json(await healthReport(env));
  },
};
