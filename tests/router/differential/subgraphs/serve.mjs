// Serve every test subgraph from one process: `node serve.mjs PORT`.
// Subgraph S of supergraph G answers at http://127.0.0.1:PORT/G/S; POST /reset zeroes the
// mutation counter; GET /health answers 200.
import { serve, stopOnSignals } from "./http.mjs";
import { SUPERGRAPHS, subgraphPath } from "./index.mjs";
import { require } from "./peers.mjs";
import { reset } from "./state.mjs";

const { ApolloServer } = require("@apollo/server");
const { ApolloServerPluginInlineTraceDisabled } = require("@apollo/server/plugin/disabled");
const { buildSubgraphSchema } = require("@apollo/subgraph");
const { parse } = require("graphql");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node serve.mjs PORT");
  process.exit(2);
}

const routes = new Map();
const extraRoutes = new Map();
const apollos = [];
for (const [supergraph, subgraphs] of Object.entries(SUPERGRAPHS)) {
  for (const [name, module] of Object.entries(subgraphs)) {
    if (module.respond) {
      // A deliberately broken subgraph: not GraphQL at all (HTTP 500, or 200 with garbage).
      extraRoutes.set(subgraphPath(supergraph, name), module.respond);
      continue;
    }
    const schema = buildSubgraphSchema({ typeDefs: parse(module.typeDefs), resolvers: module.resolvers });
    const apollo = new ApolloServer({
      schema,
      includeStacktraceInErrorResponses: false,
      csrfPrevention: false,
      stopOnTerminationSignals: false,
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    await apollo.start();
    apollos.push(apollo);
    routes.set(subgraphPath(supergraph, name), apollo);
  }
}

const extra = new Map([
  ...extraRoutes,
  [
    "/reset",
    (req, res) => {
      reset();
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"reset":true}');
    },
  ],
]);

const server = await serve(port, routes, extra);
stopOnSignals([server], async () => Promise.all(apollos.map((a) => a.stop())));
console.log(`subgraphs listening on 127.0.0.1:${port}`);
