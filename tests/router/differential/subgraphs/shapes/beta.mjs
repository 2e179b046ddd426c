// shapes/beta: the other side of each shape in alpha.mjs, and @requires that read their inputs
// from the representation: Project.risk (owner { tenure }, from gamma), User.badge
// (level(scale: 10)), Gadget.w (x, from alpha: circular-looking with alpha's Gadget.z),
// Product.trend (reviews(last: 5) { score }) and Product.euTax / usTax (fee with two arguments).
import * as D from "./data.mjs";
import { need } from "./data.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@external", "@requires"]
    )

  type Query {
    listing: Listing @shareable
    listings: [Listing!]! @shareable
    shelf(id: ID!): Shelf
    search: [Result!]! @shareable
    library: Library @shareable
  }

  type Listing @shareable {
    id: ID!
    seller: Seller
  }

  type Seller {
    name: String
    rating: Int
  }

  type Viewer @key(fields: "id") {
    id: ID!
    session: Session @shareable
  }

  type Session @shareable {
    id: ID!
    right: Side
  }

  type Side @shareable {
    name: String
  }

  type Order @key(fields: "id") {
    id: ID!
    shipping: Shipping @shareable
  }

  type Shipping @shareable {
    method: String
    carrier: Carrier
  }

  type Carrier {
    name: String
    phone: String
  }

  type Album @key(fields: "id") {
    id: ID!
    rating: Int @shareable
    label: String
  }

  type Member @key(fields: "id") {
    id: ID!
    code: String @shareable
    tags: [String] @shareable
    level: Int
  }

  union Item = Album | Film

  type Shelf @key(fields: "id") {
    id: ID!
    item: Item @shareable
  }

  type Film @key(fields: "id") {
    id: ID!
    title: String
    minutes: Int
  }

  type Project @key(fields: "id") {
    id: ID!
    owner: User @external
    risk: Int @requires(fields: "owner { tenure }")
  }

  type User @key(fields: "id") {
    id: ID!
    tenure: Int @external
    level(scale: Int!): Int @external
    badge: String @requires(fields: "level(scale: 10)")
  }

  type Gadget @key(fields: "id") {
    id: ID!
    y: Int
    x: Int @external
    w: Int @requires(fields: "x")
  }

  type Product @key(fields: "id") {
    id: ID!
    reviews(last: Int = 3): [Review!]! @external
    trend: Float @requires(fields: "reviews(last: 5) { score }")
    fee(region: String!): Int @external
    euTax: Int @requires(fields: "fee(region: \\"EU\\")")
    usTax: Int @requires(fields: "fee(region: \\"US\\")")
  }

  type Review @shareable {
    score: Int
  }

  interface Tagged {
    tags: [String!]
  }

  type Lamp implements Tagged @key(fields: "id") {
    id: ID!
    tags: [String!] @shareable
    watts: Int
  }

  type Desk implements Tagged @key(fields: "id") {
    id: ID!
    tags: [String!]
  }

  union Result = Novel | Movie | Song

  type Library @key(fields: "id") {
    id: ID!
    contents: [Result!]! @shareable
  }

  type Novel @key(fields: "id") {
    id: ID!
    title: String @shareable
    pages: Int
  }

  type Movie @key(fields: "id") {
    id: ID!
    title: String @shareable
  }

  type Song @key(fields: "id") {
    id: ID!
    title: String
  }
`;

const media = (id) => ({ __typename: D.MEDIA[id].kind, ...D.MEDIA[id] });
const library = () => ({ id: "lib1", contents: D.SEARCH.beta.map(media) });
const shelf = (id) => {
  const s = D.SHELVES[id];
  if (!s) return null;
  const item = s.item.kind === "Album" ? { __typename: "Album", id: s.item.id } : { __typename: "Film", ...D.FILMS[s.item.id] };
  return { id, item };
};
const avg = (scores) => Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100;

export const resolvers = {
  Query: {
    listing: () => ({ id: D.LISTINGS[0].id, seller: D.LISTINGS[0].seller }),
    listings: () => D.LISTINGS.map(({ id, seller }) => ({ id, seller })),
    shelf: (_, { id }) => shelf(id),
    search: () => D.SEARCH.beta.map(media),
    library,
  },
  Viewer: {
    __resolveReference: (ref) => (ref.id === D.VIEWER.id ? { id: ref.id } : null),
    session: () => ({ id: D.VIEWER.session.id, right: D.VIEWER.session.right }),
  },
  Order: {
    __resolveReference: (ref) => (D.ORDERS[ref.id] ? { id: ref.id } : null),
    shipping: (o) => D.ORDERS[o.id].shipping,
  },
  Album: {
    __resolveReference: (ref) => (D.ALBUMS[ref.id] ? { id: ref.id } : null),
    rating: (a) => D.ALBUMS[a.id].rating,
    label: (a) => D.ALBUMS[a.id].label,
  },
  Member: {
    __resolveReference: (ref) => {
      const p = D.PEOPLE[ref.id];
      return p && p.kind === "Member" ? { id: ref.id, code: p.code, tags: p.tags, level: p.level } : null;
    },
  },
  Shelf: { __resolveReference: (ref) => shelf(ref.id) },
  Film: { __resolveReference: (ref) => (D.FILMS[ref.id] ? { id: ref.id, ...D.FILMS[ref.id] } : null) },
  Project: {
    __resolveReference: (ref) => ({ ...ref }),
    risk: (p) => need(need(p, "owner"), "tenure") * 7,
  },
  User: {
    __resolveReference: (ref) => ({ ...ref }),
    badge: (u) => (need(u, "level") >= 50 ? "gold" : "bronze"),
  },
  Gadget: {
    __resolveReference: (ref) => ({ ...ref }),
    y: (g) => D.GADGETS[g.id].y,
    w: (g) => need(g, "x") * 100,
  },
  Product: {
    __resolveReference: (ref) => ({ ...ref }),
    trend: (p) => {
      const scores = need(p, "reviews").map((r) => r.score);
      if (scores.length !== Math.min(5, D.PRODUCTS[p.id].scores.length)) {
        throw new Error(`trend needs the last 5 reviews, got ${scores.length}`);
      }
      return avg(scores);
    },
    euTax: (p) => {
      if (need(p, "fee") !== D.PRODUCTS[p.id].fee.EU) throw new Error(`euTax got fee ${p.fee}, not the EU fee`);
      return Math.round(p.fee * 0.2);
    },
    usTax: (p) => {
      if (need(p, "fee") !== D.PRODUCTS[p.id].fee.US) throw new Error(`usTax got fee ${p.fee}, not the US fee`);
      return Math.round(p.fee * 0.3);
    },
  },
  Lamp: {
    __resolveReference: (ref) => (D.GOODS[ref.id]?.kind === "Lamp" ? { id: ref.id, ...D.GOODS[ref.id] } : null),
  },
  Desk: {
    __resolveReference: (ref) => (D.GOODS[ref.id]?.kind === "Desk" ? { id: ref.id, tags: D.GOODS[ref.id].tags } : null),
  },
  Library: { __resolveReference: (ref) => (ref.id === "lib1" ? library() : null) },
  Novel: { __resolveReference: (ref) => media(ref.id) },
  Movie: { __resolveReference: (ref) => media(ref.id) },
  Song: { __resolveReference: (ref) => media(ref.id) },
};
