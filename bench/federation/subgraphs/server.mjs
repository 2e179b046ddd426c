// One benchmark subgraph over HTTP: `node server.mjs NAME PORT [--no-memo]`.
//
// POST /graphql   GraphQL over HTTP (JSON body), the federation subgraph protocol.
// GET  /health    "ok".
// GET  /stats     {"requests": N}: POST /graphql requests served since start (the benchmark
//                 divides the change over a run by the client requests to get fan-out).
//
// The subgraph must never be the bottleneck (the public benchmark uses Rust subgraphs for
// that). Parsed and validated documents are cached by query text, and, unless --no-memo,
// whole responses are memoised by request body: the data is fixed, so an identical body
// always has an identical answer. The memo is bounded; every request is still counted.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, specifiedRules, validate } from "graphql";
import { RESOLVERS } from "./resolvers.mjs";

const [name, portText, ...flags] = process.argv.slice(2);
if (!RESOLVERS[name] || !portText) {
  console.error("usage: node server.mjs accounts|products|inventory|reviews PORT [--no-memo]");
  process.exit(2);
}
const memoEnabled = !flags.includes("--no-memo");
const MAX_CACHED = 2000;

const typeDefs = parse(readFileSync(new URL(`./${name}.graphql`, import.meta.url), "utf8"));
const schema = buildSubgraphSchema({ typeDefs, resolvers: RESOLVERS[name] });

const documents = new Map(); // query text -> {document} | {errors}
const memo = new Map(); // request body -> response bytes
let requests = 0;

function documentFor(query) {
  let entry = documents.get(query);
  if (entry === undefined) {
    try {
      const document = parse(query);
      const errors = validate(schema, document, specifiedRules);
      entry = errors.length ? { errors } : { document };
    } catch (error) {
      entry = { errors: [error] };
    }
    if (documents.size < MAX_CACHED) documents.set(query, entry);
  }
  return entry;
}

async function answer(body) {
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return [400, { errors: [{ message: "request body is not JSON" }] }];
  }
  if (typeof request?.query !== "string") {
    return [400, { errors: [{ message: "missing query" }] }];
  }
  const entry = documentFor(request.query);
  if (entry.errors) return [400, { errors: entry.errors.map((e) => ({ message: e.message })) }];
  const result = await execute({
    schema,
    document: entry.document,
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
  });
  return [200, result];
}

function send(res, status, bytes) {
  res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length });
  res.end(bytes);
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    return;
  }
  if (req.method === "GET" && req.url === "/stats") {
    send(res, 200, Buffer.from(JSON.stringify({ requests })));
    return;
  }
  if (req.method !== "POST" || !req.url.startsWith("/graphql")) {
    res.writeHead(404);
    res.end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    requests += 1;
    const body = Buffer.concat(chunks).toString("utf8");
    const cached = memoEnabled ? memo.get(body) : undefined;
    if (cached !== undefined) {
      send(res, 200, cached);
      return;
    }
    const [status, result] = await answer(body);
    const bytes = Buffer.from(JSON.stringify(result));
    const clean = status === 200 && !result.errors;
    if (memoEnabled && clean && memo.size < MAX_CACHED) memo.set(body, bytes);
    send(res, status, bytes);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), "127.0.0.1", () => {
  console.log(`subgraph ${name} on http://127.0.0.1:${portText}/graphql (memo ${memoEnabled})`);
});
