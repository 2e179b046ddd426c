// edge/garbage: a subgraph that answers 200 with a body that is not JSON.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    garbageText: String
  }

  type Organization @key(fields: "id") {
    id: ID!
    garbageScore: Int
  }
`;

export const resolvers = {};

/** Served instead of a GraphQL endpoint (see serve.mjs). */
export function respond(req, res) {
  res.writeHead(200, { "content-type": "application/json" });
  res.end("{ this is not json");
}
