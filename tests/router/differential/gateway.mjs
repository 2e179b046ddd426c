// Reference gateway: @apollo/gateway + @apollo/server serving supergraph files.
// `node gateway.mjs FILE PORT [FILE PORT ...]` serves each FILE at http://127.0.0.1:PORT/
// (GET /health answers 200 once the gateway has loaded).
import { readFileSync } from "node:fs";
import { serve, stopOnSignals } from "./subgraphs/http.mjs";
import { require } from "./subgraphs/peers.mjs";

const { ApolloServer } = require("@apollo/server");
const { ApolloGateway } = require("@apollo/gateway");

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  console.error("usage: node gateway.mjs FILE PORT [FILE PORT ...]");
  process.exit(2);
}

const servers = [];
const apollos = [];
for (let i = 0; i < args.length; i += 2) {
  const [file, port] = [args[i], Number(args[i + 1])];
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(file, "utf8") });
  const apollo = new ApolloServer({
    gateway,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: false,
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  apollos.push(apollo);
  servers.push(await serve(port, new Map([["/", apollo]])));
  console.log(`gateway for ${file} listening on 127.0.0.1:${port}`);
}
stopOnSignals(servers, async () => Promise.all(apollos.map((a) => a.stop())));
