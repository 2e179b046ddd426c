// shapes/alpha: the planner shapes of issue 9, first subgraph. Shareable root fields of keyless
// types split over subgraphs (Listing, Session), a keyless type below an entity (Shipping),
// @provides on an implementation field narrower than its interface field (Album.related),
// conflicting field types across sibling type conditions (Member.code / Guest.code), a field
// narrower than in the supergraph (Shelf.item: Album), @requires chains (Project.grade,
// Gadget.z), an interface implemented only in other subgraphs (Lamp, Desk: Tagged) and a union
// with fewer members than in the supergraph (Result without Song).
import * as D from "./data.mjs";
import { need } from "./data.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@external", "@requires", "@provides"]
    )

  type Query {
    listing: Listing @shareable
    listings: [Listing!]! @shareable
    viewer: Viewer
    orders: [Order!]!
    order(id: ID!): Order
    works: [Work!]!
    album(id: ID!): Album
    people: [Person!]!
    visitors: [Visitor]
    shelves: [Shelf!]!
    projects: [Project!]!
    gadgets: [Gadget!]!
    goods: [Goods!]!
    search: [Result!]! @shareable
    library: Library @shareable
  }

  type Listing @shareable {
    id: ID!
    title: String
  }

  type Viewer @key(fields: "id") {
    id: ID!
    name: String
    session: Session @shareable
  }

  type Session @shareable {
    id: ID!
    left: Side
  }

  type Side @shareable {
    name: String
  }

  type Order @key(fields: "id") {
    id: ID!
    number: String
    shipping: Shipping @shareable
  }

  type Shipping @shareable {
    method: String
  }

  interface Work {
    id: ID!
    title: String
    related: Work
  }

  type Album implements Work @key(fields: "id") {
    id: ID!
    title: String
    related: Album @provides(fields: "rating")
    rating: Int @external
  }

  type Book implements Work @key(fields: "id") {
    id: ID!
    title: String
    related: Work
  }

  interface Person {
    id: ID!
  }

  union Visitor = Member | Guest

  type Member implements Person @key(fields: "id") {
    id: ID!
    code: String! @shareable
    tags: [String!]! @shareable
    name: String
  }

  type Guest implements Person @key(fields: "id") {
    id: ID!
    code: String
    tags: [String]
    name: String
  }

  type Shelf @key(fields: "id") {
    id: ID!
    name: String
    item: Album @shareable
  }

  type Project @key(fields: "id") {
    id: ID!
    name: String
    owner: User
    risk: Int @external
    grade: String @requires(fields: "risk")
  }

  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Gadget @key(fields: "id") {
    id: ID!
    x: Int
    y: Int @external
    z: Int @requires(fields: "y")
  }

  interface Goods {
    id: ID!
    name: String
  }

  interface Tagged {
    tags: [String!]
  }

  type Pen implements Goods & Tagged @key(fields: "id") {
    id: ID!
    name: String
    tags: [String!]
  }

  type Lamp implements Goods @key(fields: "id") {
    id: ID!
    name: String
    tags: [String!] @shareable
  }

  type Desk implements Goods @key(fields: "id") {
    id: ID!
    name: String
  }

  union Result = Novel | Movie

  type Library @key(fields: "id") {
    id: ID!
    name: String
    contents: [Result!]! @shareable
  }

  type Novel @key(fields: "id") {
    id: ID!
    title: String @shareable
  }

  type Movie @key(fields: "id") {
    id: ID!
    title: String @shareable
  }
`;

const album = (id, provided = false) => {
  const a = D.ALBUMS[id];
  if (!a) return null;
  const out = { __typename: "Album", id, title: a.title, related: a.related };
  return provided ? { ...out, rating: a.rating } : out;
};
const work = (ref) => (ref.kind === "Album" ? album(ref.id) : book(ref.id));
const book = (id) => (D.BOOKS[id] ? { __typename: "Book", ...D.BOOKS[id] } : null);
const person = (id) => {
  const p = D.PEOPLE[id];
  return p && { __typename: p.kind, id, code: p.code, tags: p.tags, name: p.name };
};
const goods = (id) => {
  const g = D.GOODS[id];
  return g && { __typename: g.kind, id, name: g.name, tags: g.tags };
};
const media = (id) => ({ __typename: D.MEDIA[id].kind, id, title: D.MEDIA[id].title });
const library = () => ({ id: "lib1", name: "City", contents: D.SEARCH.alpha.map(media) });

export const resolvers = {
  Query: {
    listing: () => ({ id: D.LISTINGS[0].id, title: D.LISTINGS[0].title }),
    listings: () => D.LISTINGS.map(({ id, title }) => ({ id, title })),
    viewer: () => ({ id: D.VIEWER.id, name: D.VIEWER.name }),
    orders: () => Object.keys(D.ORDERS).map((id) => ({ id })),
    order: (_, { id }) => (D.ORDERS[id] ? { id } : null),
    works: () => [album("al1"), book("bk1"), book("bk2")],
    album: (_, { id }) => album(id),
    people: () => ["m1", "g1", "g2"].map(person),
    visitors: () => [person("g1"), person("m1"), null],
    shelves: () => Object.keys(D.SHELVES).map((id) => ({ id })),
    projects: () => Object.keys(D.PROJECTS).map((id) => ({ id })),
    gadgets: () => Object.keys(D.GADGETS).map((id) => ({ id })),
    goods: () => Object.keys(D.GOODS).map(goods),
    search: () => D.SEARCH.alpha.map(media),
    library,
  },
  Viewer: {
    __resolveReference: (ref) => (ref.id === D.VIEWER.id ? { id: ref.id, name: D.VIEWER.name } : null),
    session: () => ({ id: D.VIEWER.session.id, left: D.VIEWER.session.left }),
  },
  Order: {
    __resolveReference: (ref) => (D.ORDERS[ref.id] ? { id: ref.id } : null),
    number: (o) => D.ORDERS[o.id].number,
    shipping: (o) => (D.ORDERS[o.id].shipping ? { method: D.ORDERS[o.id].shipping.method } : null),
  },
  Album: {
    __resolveReference: (ref) => album(ref.id),
    related: (a) => (a.related ? album(a.related, true) : null),
  },
  Book: {
    __resolveReference: (ref) => book(ref.id),
    related: (b) => work(b.related),
  },
  Member: { __resolveReference: (ref) => person(ref.id) },
  Guest: { __resolveReference: (ref) => person(ref.id) },
  Shelf: {
    __resolveReference: (ref) => (D.SHELVES[ref.id] ? { id: ref.id } : null),
    name: (s) => D.SHELVES[s.id].name,
    // alpha's Shelf.item is an Album: a shelf holding a film has no item here
    item: (s) => (D.SHELVES[s.id].item.kind === "Album" ? album(D.SHELVES[s.id].item.id) : null),
  },
  Project: {
    __resolveReference: (ref) => ({ ...ref }),
    name: (p) => D.PROJECTS[p.id].name,
    owner: (p) => ({ id: D.PROJECTS[p.id].owner }),
    grade: (p) => (need(p, "risk") > 20 ? "A" : "C"),
  },
  Gadget: {
    __resolveReference: (ref) => ({ ...ref }),
    x: (g) => D.GADGETS[g.id].x,
    z: (g) => need(g, "y") + 1,
  },
  Pen: { __resolveReference: (ref) => goods(ref.id) },
  Lamp: { __resolveReference: (ref) => goods(ref.id) },
  Desk: { __resolveReference: (ref) => goods(ref.id) },
  Library: { __resolveReference: (ref) => (ref.id === "lib1" ? library() : null) },
  Novel: { __resolveReference: (ref) => media(ref.id) },
  Movie: { __resolveReference: (ref) => media(ref.id) },
};
