// edge/faulty: errors with extensions.code, nullable and non-null fields returning null,
// references to entities that do not exist, a resolvable: false key.
import { fail } from "../errors.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    boom: String
    boomNonNull: String!
    nullableNull: String
    nonNullNull: String!
    maybeOrg(id: ID!): Organization
    mustOrg(id: ID!): Organization!
    orgRefs(ids: [ID!]!): [Organization]!
    strictOrgRefs(ids: [ID!]!): [Organization!]
    auditors: [Auditor!]!
    listWithNulls: [Int]!
    strictList: [Int!]
  }

  type Organization @key(fields: "id") {
    id: ID!
    risky: String
    riskyNonNull: String!
    score: Int!
    flags: [String!]
    audit: AuditInfo
  }

  type AuditInfo {
    passed: Boolean!
    notes: [String]
    auditor: Auditor!
  }

  type Auditor @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

const SCORES = { o1: 10, o2: null, o3: 7 };
const AUDITS = {
  o1: { passed: true, notes: ["clean", null], auditor: { id: "a1" } },
  o2: null,
  o3: { passed: false, notes: null, auditor: null },
};

export const resolvers = {
  Query: {
    boom: () => {
      throw fail("boom failed", "INTERNAL_SERVER_ERROR", { reason: "kaboom" });
    },
    boomNonNull: () => {
      throw fail("boom non-null failed", "FORBIDDEN");
    },
    nullableNull: () => null,
    nonNullNull: () => null,
    maybeOrg: (_, { id }) => ({ id }),
    mustOrg: (_, { id }) => ({ id }),
    orgRefs: (_, { ids }) => ids.map((id) => (id === "none" ? null : { id })),
    strictOrgRefs: (_, { ids }) => ids.map((id) => (id === "none" ? null : { id })),
    auditors: () => [{ id: "a1" }, { id: "a2" }],
    listWithNulls: () => [1, null, 3],
    strictList: () => [1, null, 3],
  },
  Organization: {
    __resolveReference: (ref) => ({ id: ref.id }),
    risky: (o) => {
      if (o.id === "o2") throw fail("risky is not available for o2", "NOT_FOUND", { org: o.id });
      return `risky-${o.id}`;
    },
    riskyNonNull: (o) => {
      if (o.id === "o1") return "fine";
      throw fail(`riskyNonNull failed for ${o.id}`, "CONFLICT");
    },
    score: (o) => SCORES[o.id] ?? null,
    flags: (o) => (o.id === "o3" ? ["a", null] : ["ok"]),
    audit: (o) => AUDITS[o.id] ?? null,
  },
};
