// edge/broken: a subgraph that fails at the HTTP level (500 with a text body) for every request.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    brokenText: String
    brokenNonNull: String!
  }

  type Organization @key(fields: "id") {
    id: ID!
    brokenScore: Int
  }
`;

export const resolvers = {};

/** Served instead of a GraphQL endpoint (see serve.mjs). */
export function respond(req, res) {
  res.writeHead(500, { "content-type": "text/plain" });
  res.end("upstream exploded");
}
