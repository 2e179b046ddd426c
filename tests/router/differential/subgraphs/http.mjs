// A minimal node:http front for Apollo Server instances, routed by path, with GET /health.
import http from "node:http";
import { require } from "./peers.mjs";

const { HeaderMap } = require("@apollo/server");

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Serve `routes` (a Map of path -> started ApolloServer) on 127.0.0.1:port.
 * `extra` maps other paths to plain handlers `(req, res) => void` (e.g. POST /reset).
 */
export function serve(port, routes, extra = new Map()) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    if (extra.has(url.pathname)) {
      extra.get(url.pathname)(req, res);
      return;
    }
    const apollo = routes.get(url.pathname.replace(/\/$/, "") || "/");
    if (!apollo) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`no graph at ${url.pathname}`);
      return;
    }
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        headers.set(key, Array.isArray(value) ? value.join(", ") : value);
      }
      const raw = await readBody(req);
      let body = raw;
      if ((headers.get("content-type") || "").includes("json") && raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
        context: async () => ({}),
      });
      const outHeaders = {};
      for (const [key, value] of response.headers) outHeaders[key] = value;
      res.writeHead(response.status || 200, outHeaders);
      if (response.body.kind === "complete") {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    }
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/** Stop on SIGTERM/SIGINT so the test fixtures leave no orphan. */
export function stopOnSignals(servers, cleanup = async () => {}) {
  const stop = async () => {
    await cleanup();
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
