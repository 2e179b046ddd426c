// edge/profiles: extends Member through its nested key and Location through its composite
// key; @requires with a nested selection that crosses into orgs; a shareable root field.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@external", "@requires"]
    )

  type Query {
    ping: String! @shareable
    featuredMembers: [Member!]!
  }

  type Member @key(fields: "id org { id }") {
    id: ID!
    org: Organization!
    role: String! @external
    displayName: String
    email: String!
    summary: String! @requires(fields: "role org { name status }")
  }

  type Organization @key(fields: "id") {
    id: ID!
    name: String! @external
    status: Status! @external
  }

  enum Status {
    ACTIVE
    SUSPENDED
    ARCHIVED
  }

  type Location @key(fields: "country city") {
    country: String!
    city: String!
    population: Int
    timezone: String!
  }
`;

const PROFILES = {
  "m1@o1": { displayName: "Wile E.", email: "wile@acme.test" },
  "m2@o1": { displayName: null, email: "boss@acme.test" },
  "m1@o2": { displayName: "Hank", email: "hank@globex.test" },
  "m3@o3": { displayName: "Milton", email: null },
};

const CITIES = {
  "DE/Berlin": { population: 3700000, timezone: "Europe/Berlin" },
  "PT/Porto": { population: null, timezone: "Europe/Lisbon" },
  "DE/Hamburg": { population: 1800000, timezone: "Europe/Berlin" },
};

export const resolvers = {
  Query: {
    ping: () => "pong",
    featuredMembers: () => [
      { id: "m2", org: { id: "o1" } },
      { id: "m3", org: { id: "o3" } },
    ],
  },
  Member: {
    __resolveReference: (ref) => ({ ...ref, ...(PROFILES[`${ref.id}@${ref.org.id}`] ?? { displayName: null, email: null }) }),
    org: (m) => ({ id: m.org.id }),
    summary: (m) => `${m.role} at ${m.org.name} (${m.org.status.toLowerCase()})`,
  },
  Location: {
    __resolveReference: (ref) => ({ ...ref, ...(CITIES[`${ref.country}/${ref.city}`] ?? {}) }),
  },
};
