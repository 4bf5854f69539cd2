// Node only: the fetch behind connect({ insecureSkipTlsVerify: true }) (omnictl's
// --insecure-skip-tls-verify): node:https with certificate checks off. Streams the response
// body; `init.signal` aborts the request and its body.
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export function insecureTlsFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers = {};
    new Headers(init.headers).forEach((v, k) => { headers[k] = v; });
    const options = { method: init.method ?? "GET", headers, rejectUnauthorized: false, signal: init.signal ?? undefined };
    const req = (target.protocol === "https:" ? https : http).request(target, options, (res) => {
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      resolve(new Response(Readable.toWeb(res), { status: res.statusCode, statusText: res.statusMessage, headers: h }));
    });
    req.on("error", reject);
    const body = init.body;
    if (body == null) req.end();
    else if (typeof body === "string") req.end(body);
    else req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
