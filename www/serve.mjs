#!/usr/bin/env node
// Serves the console (www/) and the package (/pkg/) and reverse-proxies /api/ to an Omni, so the
// page and Omni share one origin (Omni sends no CORS headers).
//   node www/serve.mjs --port 8099 --proxy https://omni.example.org [--pkg pkg]
import http from "node:http";
import https from "node:https";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = path.resolve(import.meta.dirname, "..");
const port = Number(opt("port", "8099"));
const bind = opt("bind", "127.0.0.1");
const upstream = opt("proxy");
const dirs = [["/pkg/", path.resolve(opt("pkg", path.join(root, "pkg")))], ["/", path.resolve(import.meta.dirname)]];
if (!upstream) {
  console.error("usage: serve.mjs --proxy https://omni.example.org [--port 8099] [--pkg DIR]");
  process.exit(2);
}
const target = new URL(upstream);
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".ts": "text/plain", ".png": "image/png" };

function serveFile(req, res) {
  const url = new URL(req.url, "http://x");
  for (const [prefix, dir] of dirs) {
    if (!url.pathname.startsWith(prefix)) continue;
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || "index.html";
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep) && file !== dir) break; // no escaping the folder
    if (fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
      return;
    }
  }
  res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
}

function proxy(req, res) {
  const lib = target.protocol === "https:" ? https : http;
  const headers = { ...req.headers, host: target.host };
  delete headers.origin; // same-origin from Omni's point of view
  delete headers.referer;
  const up = lib.request({
    protocol: target.protocol, hostname: target.hostname, port: target.port || undefined,
    method: req.method, path: req.url, headers,
  }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res); // streams (watch, logs) pass through unbuffered
  });
  up.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: 14, message: `proxy: ${e.message}` }));
  });
  req.pipe(up);
  res.on("close", () => up.destroy());
}

http.createServer((req, res) => {
  if (req.url.startsWith("/api/") || req.url.startsWith("/cosi.") || req.url.startsWith("/management.") || req.url.startsWith("/auth.") || req.url.startsWith("/omni.")) {
    proxy(req, res);
  } else {
    serveFile(req, res);
  }
}).listen(port, bind, () => {
  console.log(`omni-wasm console: http://${bind}:${port}/  (proxying API calls to ${target.origin})`);
});
