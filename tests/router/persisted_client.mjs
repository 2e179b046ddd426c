// The real Apollo Client (tests/peers) against a Mosaic router: persisted queries with its
// PersistedQueryLink. Usage: node persisted_client.mjs URL MODE [MANIFEST]
//   apq:      two fresh clients run one query; the first registers it (hash, PersistedQueryNotFound,
//             then hash + query), the second sends only the hash (POST, then GET).
//   manifest: ids come from the manifest by operation name (trusted documents); a query that is
//             not in it is refused.
// Prints JSON: {results: [...], bodies: [...request bodies or GET URLs the link sent...]}.
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../peers/package.json", import.meta.url));
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client");
const { PersistedQueryLink } = require("@apollo/client/link/persisted-queries");

const [url, mode, manifestPath] = process.argv.slice(2);
const sent = [];
const recordingFetch = (input, init) => {
  sent.push(init && init.body ? JSON.parse(init.body) : { get: String(input) });
  return fetch(input, init);
};
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function client(options) {
  const persisted = new PersistedQueryLink(options);
  const http = new HttpLink({ uri: url, fetch: recordingFetch });
  return new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
}

async function run(c, query) {
  try {
    const result = await c.query({ query: gql(query), fetchPolicy: "no-cache" });
    return { data: result.data ?? null };
  } catch (e) {
    const errors = e.errors ?? [{ message: String(e.message), extensions: {} }];
    return { errors: errors.map((x) => ({ message: x.message, code: x.extensions?.code })) };
  }
}

const results = [];
if (mode === "apq") {
  const query = "query Hello { __typename }";
  results.push(await run(client({ sha256 }), query));
  results.push(await run(client({ sha256 }), query));
  results.push(await run(client({ sha256, useGETForHashedQueries: true }), query));
} else {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const ids = Object.fromEntries(manifest.operations.map((op) => [op.name, op.id]));
  const byName = (document) => {
    const op = document.definitions.find((d) => d.kind === "OperationDefinition");
    return ids[op.name.value] ?? sha256("unknown:" + op.name.value);
  };
  const c = client({ generateHash: byName });
  results.push(await run(c, "query Hello { __typename }"));
  results.push(await run(c, "query NotPublished { __typename }"));
}
process.stdout.write(JSON.stringify({ results, bodies: sent }));
