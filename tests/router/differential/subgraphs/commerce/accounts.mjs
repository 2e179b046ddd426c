// commerce/accounts: users (entity owner), a shareable root field, a mutation.
import { nextSeq } from "../state.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  scalar Date

  enum Role {
    ADMIN
    CUSTOMER
    GUEST
  }

  type Query {
    me: User
    user(id: ID!): User
    users(role: Role): [User!]!
    shop: ShopInfo! @shareable
  }

  type Mutation {
    login(username: String!): LoginResult!
  }

  type LoginResult {
    seq: Int!
    user: User
  }

  type ShopInfo @shareable {
    name: String!
    currency: String!
  }

  type User @key(fields: "id") {
    id: ID!
    name: String!
    username: String! @shareable
    birthDate: Date
    role: Role!
    nickname: String
    friends: [User!]!
  }
`;

export const USERS = [
  { id: "u1", name: "Ada Lovelace", username: "ada", birthDate: "1815-12-10", role: "ADMIN", nickname: "Countess", friends: ["u2", "u3"] },
  { id: "u2", name: "Alan Turing", username: "alan", birthDate: "1912-06-23", role: "CUSTOMER", nickname: null, friends: ["u1"] },
  { id: "u3", name: "Grace Hopper", username: "grace", birthDate: null, role: "CUSTOMER", nickname: "Amazing Grace", friends: [] },
  { id: "u4", name: "Guest", username: "guest", birthDate: null, role: "GUEST", nickname: null, friends: ["u1", "u2", "u3"] },
];

const byId = (id) => USERS.find((u) => u.id === id) ?? null;

export const resolvers = {
  Query: {
    me: () => byId("u1"),
    user: (_, { id }) => byId(id),
    users: (_, { role }) => (role ? USERS.filter((u) => u.role === role) : USERS),
    shop: () => ({ name: "Mosaic Shop", currency: "EUR" }),
  },
  Mutation: {
    login: (_, { username }) => ({
      seq: nextSeq(),
      user: USERS.find((u) => u.username === username) ?? null,
    }),
  },
  User: {
    __resolveReference: (ref) => byId(ref.id),
    friends: (user) => user.friends.map(byId),
  },
};
