// A real multipart client against the router: Apollo Client with apollo-upload-client's
// UploadHttpLink (what a web app sends). Reads the files the test wrote, runs the uploads the
// test asks for, prints one JSON line: per upload its data, GraphQL errors, or HTTP failure.
// Usage: node upload_client.mjs '{"router": URL, "token": JWT, "single": {name: path},
//                                 "batch": [path...], "concurrent": [path...]}'
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const peers = join(here, "..", "peers");
const require = createRequire(join(peers, "package.json"));
const { ApolloClient, InMemoryCache, gql } = require("@apollo/client");
const { default: UploadHttpLink } = await import(
  join(peers, "node_modules", "apollo-upload-client", "UploadHttpLink.mjs")
);

const args = JSON.parse(process.argv[2]);
// The HTTP status of each answer, in order (Apollo Client turns a 413's GraphQL body into
// errors and keeps the status to itself).
const statuses = [];
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new UploadHttpLink({
    uri: args.router + "/graphql",
    fetch: async (...request) => {
      const response = await fetch(...request);
      statuses.push(response.status);
      return response;
    },
    // Apollo's advice for uploads: the header that makes a multipart POST non-simple (CSRF).
    headers: { authorization: `Bearer ${args.token}`, "apollo-require-preflight": "true" },
  }),
});

const MEDIA = "id filename contentType size width height url variants { name width format url }";
const UPLOAD = gql`mutation Upload($file: Upload!) { uploadMedia(file: $file, alt: "e2e") { ${MEDIA} } }`;
const BATCH = gql`mutation Batch($files: [Upload!]!) { uploadMediaBatch(files: $files) { ${MEDIA} } }`;

function file(path) {
  return new File([readFileSync(path)], basename(path), { type: "application/octet-stream" });
}

async function run(mutation, variables) {
  const result = await client.mutate({ mutation, variables, errorPolicy: "all" });
  const errors = result.error ? result.error.errors ?? [{ message: String(result.error) }] : [];
  return { data: result.data ?? null, errors };
}

// One upload at a time, with the HTTP status it got.
async function single(mutation, variables) {
  const before = statuses.length;
  const result = await run(mutation, variables);
  return { ...result, status: statuses[before] ?? null };
}

const out = { single: {}, batch: null, concurrent: null };
for (const [name, path] of Object.entries(args.single ?? {})) {
  out.single[name] = await single(UPLOAD, { file: file(path) });
}
if (args.batch) out.batch = await single(BATCH, { files: args.batch.map(file) });
if (args.concurrent) {
  out.concurrent = await Promise.all(args.concurrent.map((p) => run(UPLOAD, { file: file(p) })));
}
console.log(JSON.stringify(out));
