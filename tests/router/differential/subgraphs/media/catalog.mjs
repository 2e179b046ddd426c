// media/catalog: an entity interface (Media @key) with its implementations, a value interface
// (Node) and a union (SearchResult) whose members differ from the people subgraph's.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  type Query {
    media: [Media!]!
    mediaItem(id: ID!): Media
    searchCatalog(term: String!): [SearchResult!]!
    nodes: [Node!]!
    shelves: [[Media]]!
  }

  interface Node {
    id: ID!
  }

  interface Media @key(fields: "id") {
    id: ID!
    title: String!
    year: Int
  }

  type Book implements Media & Node @key(fields: "id") {
    id: ID!
    title: String!
    year: Int
    pages: Int!
    author: Person
  }

  type Movie implements Media & Node @key(fields: "id") {
    id: ID!
    title: String!
    year: Int
    runtime: Int!
    director: Person
    cast: [Person!]!
  }

  type Song implements Media @key(fields: "id") {
    id: ID!
    title: String!
    year: Int
    seconds: Int!
  }

  union SearchResult = Book | Movie

  type Person @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

export const MEDIA = [
  { __typename: "Book", id: "b1", title: "Dune", year: 1965, pages: 412, author: "p1" },
  { __typename: "Movie", id: "m1", title: "Dune", year: 2021, runtime: 155, director: "p2", cast: ["p3", "p4"] },
  { __typename: "Song", id: "s1", title: "Spice Song", year: null, seconds: 201 },
  { __typename: "Book", id: "b2", title: "Solaris", year: 1961, pages: 204, author: "p5" },
  { __typename: "Movie", id: "m2", title: "Solaris", year: 1972, runtime: 167, director: "p6", cast: [] },
  { __typename: "Song", id: "s2", title: "Arrakis", year: 1984, seconds: 180 },
];

const byId = (id) => MEDIA.find((m) => m.id === id) ?? null;
const person = (id) => (id ? { id } : null);

export const resolvers = {
  Query: {
    media: () => MEDIA,
    mediaItem: (_, { id }) => byId(id),
    searchCatalog: (_, { term }) =>
      MEDIA.filter((m) => m.__typename !== "Song" && m.title.toLowerCase().includes(term.toLowerCase())),
    nodes: () => MEDIA.filter((m) => m.__typename !== "Song"),
    shelves: () => [[byId("b1"), byId("m1")], [], null, [byId("s1"), null]],
  },
  Media: {
    __resolveType: (m) => m.__typename,
    __resolveReference: (ref) => byId(ref.id),
  },
  Node: { __resolveType: (m) => m.__typename },
  SearchResult: { __resolveType: (m) => m.__typename },
  Book: { __resolveReference: (ref) => byId(ref.id), author: (b) => person(b.author) },
  Movie: {
    __resolveReference: (ref) => byId(ref.id),
    director: (m) => person(m.director),
    cast: (m) => m.cast.map(person),
  },
  Song: { __resolveReference: (ref) => byId(ref.id) },
};
