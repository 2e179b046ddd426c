// media/people: Person (entity owner), Node implemented by Person here (by Book and Movie in
// catalog), SearchResult = Movie | Person here (Book | Movie in catalog).
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  type Query {
    people: [Person!]!
    person(id: ID!): Person
    searchPeople(term: String!): [SearchResult!]!
    peopleNodes: [Node!]!
  }

  interface Node {
    id: ID!
  }

  union SearchResult = Movie | Person

  type Person implements Node @key(fields: "id") {
    id: ID!
    name: String!
    born: Int
    directed: [Movie!]!
  }

  type Movie @key(fields: "id") {
    id: ID!
  }
`;

const PEOPLE = [
  { id: "p1", name: "Frank Herbert", born: 1920, directed: [] },
  { id: "p2", name: "Denis Villeneuve", born: 1967, directed: ["m1"] },
  { id: "p3", name: "Timothée Chalamet", born: 1995, directed: [] },
  { id: "p4", name: "Zendaya", born: 1996, directed: [] },
  { id: "p5", name: "Stanisław Lem", born: 1921, directed: [] },
  { id: "p6", name: "Andrei Tarkovsky", born: 1932, directed: ["m2"] },
];

const person = (id) => PEOPLE.find((p) => p.id === id) ?? null;

export const resolvers = {
  Query: {
    people: () => PEOPLE,
    person: (_, { id }) => person(id),
    searchPeople: (_, { term }) => {
      const t = term.toLowerCase();
      const people = PEOPLE.filter((p) => p.name.toLowerCase().includes(t)).map((p) => ({ __typename: "Person", ...p }));
      const movies = PEOPLE.flatMap((p) => p.directed)
        .filter((id) => (t === "dune" && id === "m1") || (t === "solaris" && id === "m2"))
        .map((id) => ({ __typename: "Movie", id }));
      return [...movies, ...people];
    },
    peopleNodes: () => PEOPLE.slice(0, 3).map((p) => ({ __typename: "Person", ...p })),
  },
  Node: { __resolveType: (x) => x.__typename },
  SearchResult: { __resolveType: (x) => x.__typename },
  Person: {
    __resolveReference: (ref) => person(ref.id),
    directed: (p) => p.directed.map((id) => ({ id })),
  },
  Movie: { __resolveReference: (ref) => ({ id: ref.id }) },
};
