// Composition oracle: @apollo/composition on many fixture sets in one node process.
// stdin: JSON [{"name", "subgraphs": [{"name", "url", "sdl"}], "supergraph"?: string}]
// stdout: JSON {name: {"ok", "supergraph"?, "api"?, "errors"?: [{code, message}], "load"?}}
// "load" is Apollo's verdict on a supergraph given in the input (Mosaic's): its API schema, or
// the error raised when Apollo's Supergraph.build() refuses it.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

// Resolve the peers from tests/peers, wherever this script lives under tests/.
const require = createRequire(new URL("../../peers/package.json", import.meta.url));
const { composeServices } = require("@apollo/composition");
const { Supergraph, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES } = require("@apollo/federation-internals");
const { parse, printSchema } = require("graphql");

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = {};
for (const item of cases) {
  const entry = {};
  try {
    // A subgraph that does not parse is INVALID_GRAPHQL (what rover reports for it).
    const services = item.subgraphs.map((s) => {
      try {
        return { name: s.name, url: s.url, typeDefs: parse(s.sdl) };
      } catch (e) {
        e.extensions = { code: "INVALID_GRAPHQL" };
        throw e;
      }
    });
    const result = composeServices(services);
    if (result.errors) {
      entry.ok = false;
      entry.errors = result.errors.map((e) => ({
        code: (e.extensions && e.extensions.code) || "UNKNOWN",
        message: e.message,
      }));
    } else {
      entry.ok = true;
      entry.supergraph = result.supergraphSdl;
      entry.api = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
    }
  } catch (e) {
    entry.ok = false;
    const code = (e && e.extensions && e.extensions.code) || "COMPOSITION_CRASH";
    entry.errors = [{ code, message: String(e && e.message) }];
  }
  if (item.supergraph) {
    try {
      // As Apollo Router loads it (the gateway refuses the authorization features it lacks).
      const sg = Supergraph.build(item.supergraph, {
        supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
      });
      entry.load = { ok: true, api: printSchema(sg.apiSchema().toGraphQLJSSchema()) };
    } catch (e) {
      entry.load = { ok: false, error: String(e && e.message) };
    }
  }
  out[item.name] = entry;
}
process.stdout.write(JSON.stringify(out));
