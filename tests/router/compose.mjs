// Compose fixture supergraphs with @apollo/composition, exactly as Apollo emits them.
// Usage: node tests/router/compose.mjs [CASE_DIR ...]   (default: every tests/router/cases/*)
// For each case dir: reads subgraphs/<name>.graphql, writes supergraph.graphql (beside the
// shared subgraphs for a case that names a schema set; subgraph URLs are
// http://subgraphs/<name>; the test rewrites the host) and apollo-plan.txt (Apollo's own query
// plan for query.graphql, kept beside our snapshot for review).
import { readFileSync, readdirSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "peers", "package.json"));
const { composeServices } = require("@apollo/composition");
const { Supergraph, operationFromDocument } = require("@apollo/federation-internals");
const { QueryPlanner, prettyFormatQueryPlan } = require("@apollo/query-planner");
const { parse } = require("graphql");

function compose(dir) {
  // A case with a `schema` file shares that schema set's subgraphs and supergraph.
  let sgDir = join(dir, "subgraphs");
  let supergraphFile = join(dir, "supergraph.graphql");
  if (!existsSync(sgDir)) {
    sgDir = join(here, "schemas", readFileSync(join(dir, "schema"), "utf8").trim());
    supergraphFile = join(sgDir, "supergraph.graphql");
  }
  const services = readdirSync(sgDir)
    .filter((f) => f.endsWith(".graphql") && f !== "supergraph.graphql")
    .sort()
    .map((f) => {
      const name = basename(f, ".graphql");
      return { name, url: `http://subgraphs/${name}`, typeDefs: parse(readFileSync(join(sgDir, f), "utf8")) };
    });
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`${dir}: ${result.errors.map((e) => e.message).join("\n")}`);
  }
  writeFileSync(supergraphFile, result.supergraphSdl);
  const queryFile = join(dir, "query.graphql");
  if (existsSync(queryFile)) {
    const requestFile = join(dir, "request.json");
    const request = existsSync(requestFile) ? JSON.parse(readFileSync(requestFile, "utf8")) : {};
    let text;
    try {
      const supergraph = Supergraph.build(result.supergraphSdl);
      const planner = new QueryPlanner(supergraph);
      const op = operationFromDocument(supergraph.schema, parse(readFileSync(queryFile, "utf8")), {
        operationName: request.operationName,
      });
      text = prettyFormatQueryPlan(planner.buildQueryPlan(op));
    } catch (e) {
      text = `no plan: ${e.message}`;
    }
    writeFileSync(join(dir, "apollo-plan.txt"), text + "\n");
  }
}

const args = process.argv.slice(2);
const casesRoot = join(here, "cases");
const dirs = args.length
  ? args
  : readdirSync(casesRoot).map((d) => join(casesRoot, d)).filter((d) => statSync(d).isDirectory());
let failed = 0;
for (const dir of dirs) {
  try {
    compose(dir);
  } catch (e) {
    failed += 1;
    console.error(String(e.stack || e));
  }
}
process.exit(failed ? 1 : 0);
