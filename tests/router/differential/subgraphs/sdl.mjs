// Print every test subgraph's SDL as JSON: { supergraph: { subgraph: sdl } }.
// Read by tests/router/test_subgraph_operations.py to validate planned operations.
import { SUPERGRAPHS } from "./index.mjs";

const out = {};
for (const [supergraph, subgraphs] of Object.entries(SUPERGRAPHS)) {
  out[supergraph] = Object.fromEntries(
    Object.entries(subgraphs).map(([name, module]) => [name, module.typeDefs]),
  );
}
process.stdout.write(JSON.stringify(out));
