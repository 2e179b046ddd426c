// edge/orgs: composite and nested keys, custom scalars (DateTime, JSON), enums, lists of
// lists with nulls, a shareable root field, entities that resolve to null.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  scalar DateTime
  scalar JSON

  enum Status {
    ACTIVE
    SUSPENDED
    ARCHIVED
  }

  type Query {
    organizations(status: Status): [Organization!]!
    organization(id: ID!): Organization
    offices: [Office!]!
    ping: String! @shareable
    echo(value: JSON, at: DateTime, statuses: [Status!]): EchoResult!
  }

  type EchoResult {
    value: JSON
    at: DateTime
    statuses: [Status!]
  }

  type Organization @key(fields: "id") {
    id: ID!
    name: String!
    status: Status!
    founded: DateTime
    meta: JSON
    members: [Member!]!
    matrix: [[Int]]
    tags: [[String!]!]!
  }

  type Member @key(fields: "id org { id }") {
    id: ID!
    org: Organization!
    role: String!
  }

  type Location @key(fields: "country city") {
    country: String!
    city: String!
  }

  type Office {
    name: String!
    location: Location!
    headcount: Int
  }
`;

const ORGS = [
  { id: "o1", name: "Acme", status: "ACTIVE", founded: "1999-05-01T10:00:00Z", meta: { tier: "gold", seats: 40, flags: ["a", "b"] }, matrix: [[1, null], [2, 3]], tags: [["x", "y"], []] },
  { id: "o2", name: "Globex", status: "SUSPENDED", founded: null, meta: null, matrix: null, tags: [] },
  { id: "o3", name: "Initech", status: "ARCHIVED", founded: "2005-01-01T00:00:00Z", meta: [1, "two", { three: 3 }], matrix: [null, []], tags: [["office"]] },
];

const MEMBERS = [
  { id: "m1", org: "o1", role: "engineer" },
  { id: "m2", org: "o1", role: "manager" },
  { id: "m1", org: "o2", role: "owner" },
  { id: "m3", org: "o3", role: "intern" },
];

const OFFICES = [
  { name: "HQ", location: { country: "DE", city: "Berlin" }, headcount: 120 },
  { name: "Lab", location: { country: "PT", city: "Porto" }, headcount: null },
  { name: "Annex", location: { country: "DE", city: "Hamburg" }, headcount: 8 },
];

const org = (id) => ORGS.find((o) => o.id === id) ?? null;
const member = (id, orgId) => MEMBERS.find((m) => m.id === id && m.org === orgId) ?? null;

export const resolvers = {
  Query: {
    organizations: (_, { status }) => (status ? ORGS.filter((o) => o.status === status) : ORGS),
    organization: (_, { id }) => org(id),
    offices: () => OFFICES,
    ping: () => "pong",
    echo: (_, args) => ({ value: args.value ?? null, at: args.at ?? null, statuses: args.statuses ?? null }),
  },
  Organization: {
    __resolveReference: (ref) => org(ref.id),
    members: (o) => MEMBERS.filter((m) => m.org === o.id),
  },
  Member: {
    __resolveReference: (ref) => member(ref.id, ref.org.id),
    org: (m) => org(m.org),
  },
  Location: { __resolveReference: (ref) => ref },
};
