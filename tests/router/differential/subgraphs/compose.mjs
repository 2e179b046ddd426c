// Compose each test supergraph with @apollo/composition and write ../supergraphs/<name>.graphql.
// `node compose.mjs` (run it again after changing a subgraph; the outputs are committed).
import { writeFileSync } from "node:fs";
import { PLACEHOLDER, SUPERGRAPHS, subgraphPath } from "./index.mjs";
import { require } from "./peers.mjs";

const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

let failed = false;
for (const [supergraph, subgraphs] of Object.entries(SUPERGRAPHS)) {
  const services = Object.entries(subgraphs).map(([name, module]) => ({
    name,
    url: `${PLACEHOLDER}${subgraphPath(supergraph, name)}`,
    typeDefs: parse(module.typeDefs),
  }));
  const result = composeServices(services);
  if (result.errors) {
    failed = true;
    console.error(`${supergraph}: composition failed`);
    for (const error of result.errors) console.error(`  ${error.extensions?.code}: ${error.message}`);
    continue;
  }
  for (const hint of result.hints ?? []) console.error(`${supergraph}: hint ${hint.definition.code}: ${hint.message}`);
  const target = new URL(`../supergraphs/${supergraph}.graphql`, import.meta.url);
  writeFileSync(target, result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`);
  console.log(`${supergraph}: wrote ${target.pathname}`);
}
process.exit(failed ? 1 : 0);
