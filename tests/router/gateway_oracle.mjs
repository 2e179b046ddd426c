// Run fixture queries through @apollo/gateway (the reference) and print its responses.
// Input (stdin): JSON array of {id, supergraph, query, variables, operationName}.
// Output (stdout): JSON object id -> {status, body}. Used by regen_expected.py, never by tests.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "peers", "package.json"));
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");

const input = JSON.parse(readFileSync(0, "utf8"));
const out = {};
for (const item of input) {
  const gateway = new ApolloGateway({ supergraphSdl: item.supergraph });
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  try {
    const res = await server.executeOperation({
      query: item.query,
      variables: item.variables || undefined,
      operationName: item.operationName || undefined,
    });
    out[item.id] = { status: res.http.status ?? 200, body: res.body.singleResult };
  } catch (e) {
    out[item.id] = { error: String(e) };
  }
  await server.stop();
}
process.stdout.write(JSON.stringify(out));
