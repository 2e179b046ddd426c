// Compose the four benchmark subgraphs into a supergraph with @apollo/composition.
// `node compose.mjs OUT.graphql accounts=URL products=URL inventory=URL reviews=URL`
import { readFileSync, writeFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const [out, ...pairs] = process.argv.slice(2);
const services = pairs.map((pair) => {
  const [name, url] = pair.split("=");
  const sdl = readFileSync(new URL(`./subgraphs/${name}.graphql`, import.meta.url), "utf8");
  return { name, url, typeDefs: parse(sdl) };
});
const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) console.error(error.toString());
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
