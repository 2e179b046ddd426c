// shapes/gamma: the third part of Listing, the User fields that beta's @requires read (tenure,
// level(scale)), and the Product fields with arguments that beta's @requires read
// (reviews(last), fee(region)), which clients select with their own arguments too.
import * as D from "./data.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  type Query {
    listing: Listing @shareable
    listings: [Listing!]! @shareable
    products: [Product!]!
    product(id: ID!): Product
  }

  type Listing @shareable {
    id: ID!
    amount: Int
  }

  type User @key(fields: "id") {
    id: ID!
    name: String
    tenure: Int
    level(scale: Int!): Int
  }

  type Product @key(fields: "id") {
    id: ID!
    name: String
    reviews(last: Int = 3): [Review!]!
    fee(region: String!): Int
  }

  type Review @shareable {
    score: Int
    body: String
  }
`;

const product = (id) => (D.PRODUCTS[id] ? { id, name: D.PRODUCTS[id].name } : null);

export const resolvers = {
  Query: {
    listing: () => ({ id: D.LISTINGS[0].id, amount: D.LISTINGS[0].amount }),
    listings: () => D.LISTINGS.map(({ id, amount }) => ({ id, amount })),
    products: () => Object.keys(D.PRODUCTS).map(product),
    product: (_, { id }) => product(id),
  },
  User: {
    __resolveReference: (ref) => (D.USERS[ref.id] ? { ...D.USERS[ref.id] } : null),
    level: (u, { scale }) => u.tenure * scale,
  },
  Product: {
    __resolveReference: (ref) => product(ref.id),
    reviews: (p, { last }) => D.PRODUCTS[p.id].scores.slice(0, last).map((score) => ({ score, body: `r${score}` })),
    fee: (p, { region }) => D.PRODUCTS[p.id].fee[region] ?? null,
  },
};
